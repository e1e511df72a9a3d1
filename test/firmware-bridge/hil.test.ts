// The HIL suite end to end, as CI runs it: `ballbot hil --virtual --controller lqr --json`
// in a child process (real pty, real serialport, real gcc-built firmware, real deploy runtime),
// with shortened balance and corruption windows to keep CI fast. The timeouts are widened
// (firmware watchdog 300 ms, stale state 200 ms) so a scheduler stall on a shared machine is
// not mistaken for a link fault. The test asserts that the suite passed, and that balance and
// push recovery ended without an e-stop: a HIL run is real time, so a machine too loaded to
// hold the loop's deadlines fails it (deterministic balance checks are the lockstep tests in
// test/deploy/).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../firmware-bridge/firmware-build.js';
import { applyRealtime } from '../../deploy/realtime.js';

const EXPECTED = [
  'handshake with a wrong schema hash refused', 'balance', 'push recovery', 'byte corruption',
  'operator e-stop round trip', 're-arm after e-stop', 'link cut',
];

describe('ballbot hil --virtual', () => {
  it('runs every scenario over the pty', { timeout: 120_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ballbot-hil-'));
    const junit = join(dir, 'hil.xml');
    try {
      // Real time, as on a robot: the suite runs with the deploy --realtime settings where the
      // OS permits them (what was applied is printed as a diagnostic).
      const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'ballbot.js'), 'hil', '--virtual', '--controller', 'lqr',
        '--balance-seconds', '8', '--corruption-seconds', '4', '--json', '--junit', junit,
        '--watchdog-ms', '300', '--slack-ms', '20', '--set', 'safety.staleState.timeoutMs=200', '--set', 'safety.linkHealth.maxSilenceMs=250',
        '--set', 'safety.deadlineOverruns.maxConsecutive=20'], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Not pinned: the virtual robot and its firmware run in the same process tree and need the other core.
      for (const line of applyRealtime(child.pid!, { pin: false })) t.diagnostic(`realtime: ${line}`);
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
      child.stderr.resume();
      const killer = setTimeout(() => child.kill('SIGKILL'), 110_000);
      const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      clearTimeout(killer);
      const r = { stdout, status };
      const lines = r.stdout.trimEnd().split('\n');
      const result = JSON.parse(lines[lines.length - 1]) as { passed: boolean; scenarios: { name: string; passed: boolean; detail: string; metrics?: Record<string, number> }[] };
      const scenario = (part: string) => {
        const s = result.scenarios.find((x) => x.name.includes(part));
        assert.ok(s, `scenario '${part}' missing`);
        return s;
      };
      for (const want of EXPECTED) scenario(want);
      for (const s of result.scenarios) t.diagnostic(`${s.passed ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail}`);
      assert.equal(r.status, result.passed ? 0 : 1, 'exit code follows the verdict');
      // The suite passed: every scenario, not only the exit code agreeing with the verdict.
      assert.equal(result.passed, true, result.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${s.detail}`).join('\n'));
      assert.equal(r.status, 0);

      assert.ok(scenario('wrong schema').passed, scenario('wrong schema').detail);
      const corruption = scenario('corruption');
      assert.ok(corruption.metrics!.framesCorrupted > 0);
      assert.equal(corruption.metrics!.framesLostSeen, corruption.metrics!.framesLostInjected, 'host counters = injected losses');
      assert.match(scenario('operator e-stop').detail, /firmware latched e-stop/);
      const cut = scenario('link cut');
      assert.ok(cut.metrics!.firmwareZeroAfterLastCommandMs >= 300, 'firmware zeroed torque, not before its watchdog');
      assert.ok(Number.isFinite(cut.metrics!.hostEstopAfterLastStateMs), 'host latched its e-stop');
      // Balance and push recovery end without any e-stop and without a fall.
      for (const part of ['balance', 'push recovery']) {
        const s = scenario(part);
        assert.ok(s.passed, `${s.name}: ${s.detail}`);
        assert.doesNotMatch(s.detail, /e-stop|FELL/, `${s.name}: ${s.detail}`);
      }
      assert.ok(existsSync(junit));
      const xml = readFileSync(junit, 'utf8');
      assert.match(xml, /<testsuite name="ballbot-hil \(virtual robot\)" tests="7" failures="\d+"/);
      assert.equal((xml.match(/<failure /g) ?? []).length, result.scenarios.filter((s) => !s.passed).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad usage with a clear message', () => {
    const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'ballbot.js'), 'hil', '--controller', 'lqr'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /exactly one of --port PATH or --virtual/);
  });
});
