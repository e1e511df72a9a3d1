// The HIL suite end to end, as CI runs it: `ballbot hil --virtual --controller lqr --json`
// in a child process (real pty, real serialport, real gcc-built firmware, real deploy runtime),
// with shortened balance and corruption windows to keep CI fast.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../firmware-bridge/firmware-build.js';

const EXPECTED = [
  'handshake with a wrong schema hash refused', 'balance', 'push recovery', 'byte corruption',
  'operator e-stop round trip', 're-arm after e-stop', 'link cut',
];

describe('ballbot hil --virtual', () => {
  it('runs every scenario over the pty and they all pass', { timeout: 120_000 }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballbot-hil-'));
    const junit = join(dir, 'hil.xml');
    try {
      const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'ballbot.js'), 'hil', '--virtual', '--controller', 'lqr',
        '--balance-seconds', '8', '--corruption-seconds', '4', '--json', '--junit', junit], { encoding: 'utf8', timeout: 110_000 });
      const lines = r.stdout.trimEnd().split('\n');
      const result = JSON.parse(lines[lines.length - 1]) as { passed: boolean; scenarios: { name: string; passed: boolean; detail: string; metrics?: Record<string, number> }[] };
      for (const want of EXPECTED) assert.ok(result.scenarios.some((s) => s.name.includes(want)), `scenario '${want}' missing`);
      const failed = result.scenarios.filter((s) => !s.passed).map((s) => `${s.name}: ${s.detail}`);
      assert.deepEqual(failed, [], r.stderr.split('\n').filter((l) => l.startsWith('hil:')).join('\n'));
      assert.equal(result.passed, true);
      assert.equal(r.status, 0);
      // The corruption counters matched what was injected, and something was injected.
      const corruption = result.scenarios.find((s) => s.name.includes('corruption'))!;
      assert.ok(corruption.metrics!.framesCorrupted > 0);
      assert.equal(corruption.metrics!.framesLostSeen, corruption.metrics!.framesLostInjected);
      assert.ok(existsSync(junit));
      const xml = readFileSync(junit, 'utf8');
      assert.match(xml, /<testsuite name="ballbot-hil \(virtual robot\)" tests="7" failures="0"/);
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
