// `--realtime` on a real child process: what it reports matches what the kernel then says about
// that process (chrt -p), and without the privilege every step says what it needs.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyRealtime } from '../../deploy/realtime.js';

const REALTIME_JS = fileURLToPath(new URL('../../deploy/realtime.js', import.meta.url));

test('applyRealtime reports exactly what the kernel applied', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { stdio: 'ignore' });
  try {
    const lines = applyRealtime(child.pid!);
    const policy = spawnSync('chrt', ['-p', String(child.pid)], { encoding: 'utf8' }).stdout;
    const fifo = lines.find((l) => /SCHED_FIFO/.test(l))!;
    if (/^SCHED_FIFO priority 80/.test(fifo)) assert.match(policy, /SCHED_FIFO[\s\S]*priority: 80/);
    else assert.match(fifo, /^SCHED_FIFO not set: .*\(needs root, CAP_SYS_NICE or an rtprio limit\)/);
    const pin = lines.find((l) => /pinned|not pinned/.test(l))!;
    if (/^pinned to CPU (\d+)/.test(pin)) {
      const cpu = /CPU (\d+)/.exec(pin)![1];
      assert.match(spawnSync('taskset', ['-cp', String(child.pid)], { encoding: 'utf8' }).stdout, new RegExp(`list: ${cpu}\\s*$`));
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('without the privilege, each step says what it needs', { skip: process.getuid?.() !== 0 ? 'the test above already ran unprivileged' : false }, () => {
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--input-type=module', '-e',
    `import(${JSON.stringify(REALTIME_JS)}).then((m) => console.log(JSON.stringify(m.applyRealtime())))`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = JSON.parse(r.stdout.trim()) as string[];
  assert.match(lines[0], /^process priority not raised \((EACCES|EPERM)\): needs root or CAP_SYS_NICE/);
  assert.match(lines[1], /^SCHED_FIFO not set: chrt failed: .*Operation not permitted \(needs root, CAP_SYS_NICE or an rtprio limit\)/);
});
