// Processor-in-the-loop HIL: the Cortex-M3 build of the firmware (gcc-arm-none-eabi, newlib)
// booted on QEMU's LM3S6965 board, its protocol UART a QEMU pty that the real serialport
// bindings open, its plant channel on the second UART. `ballbot hil --virtual --target qemu`
// end to end in a child process, with the CI timeouts of hil.test.ts (a shared 2-core machine
// stalls processes for 60-200 ms, and an emulated board stalls with them), and the board's
// hardware watchdog widened to 1 s; the board streams at 200 Hz (the emulated UARTs write one
// byte per system call, so 500 Hz of sensors, reports and STATE costs QEMU most of a loaded
// core). Asserts what holds under any load; the toolchain being absent is a failure that says
// what to install, never a skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkMcuToolchain, packageRoot } from '../../firmware-bridge/firmware-build.js';

const EXPECTED = [
  'handshake with a wrong schema hash refused', 'balance', 'push recovery', 'byte corruption',
  'operator e-stop round trip', 're-arm after e-stop', 'link cut',
];
const ballbot = join(packageRoot(), 'bin', 'ballbot.js');

interface Row { name: string; host: number | null; firmware: number | null }

describe('ballbot hil --virtual --target qemu', () => {
  it('has the Cortex-M toolchain and QEMU (CI installs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm)', () => {
    checkMcuToolchain(true); // throws with the apt-get line when one is missing
  });

  it('runs every scenario against the firmware booted in QEMU', { timeout: 300_000 }, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ballbot-qemu-hil-'));
    const junit = join(dir, 'hil.xml');
    try {
      const r = spawnSync(process.execPath, [ballbot, 'hil', '--virtual', '--target', 'qemu', '--controller', 'lqr',
        '--balance-seconds', '8', '--corruption-seconds', '4', '--json', '--junit', junit,
        '--watchdog-ms', '300', '--hw-watchdog-ms', '1000', '--state-rate', '200', '--slack-ms', '20',
        '--set', 'safety.staleState.timeoutMs=200', '--set', 'safety.linkHealth.maxSilenceMs=250',
        '--set', 'safety.deadlineOverruns.maxConsecutive=20'], { encoding: 'utf8', timeout: 280_000 });
      const lines = r.stdout.trimEnd().split('\n');
      assert.ok(lines.length > 0 && lines[lines.length - 1].startsWith('{'), `no JSON result; stderr:\n${r.stderr.slice(-3000)}`);
      const result = JSON.parse(lines[lines.length - 1]) as {
        passed: boolean; target: string; counters: Row[];
        scenarios: { name: string; passed: boolean; detail: string; metrics?: Record<string, number> }[];
      };
      const scenario = (part: string) => {
        const s = result.scenarios.find((x) => x.name.includes(part));
        assert.ok(s, `scenario '${part}' missing`);
        return s;
      };
      const counter = (part: string) => {
        const c = result.counters.find((x) => x.name.includes(part));
        assert.ok(c, `counter '${part}' missing`);
        return c;
      };
      for (const want of EXPECTED) scenario(want);
      for (const s of result.scenarios) t.diagnostic(`${s.passed ? 'PASS' : 'FAIL'} ${s.name}: ${s.detail}`);
      for (const c of result.counters) t.diagnostic(`${c.name}: host ${c.host ?? '-'}, firmware ${c.firmware ?? '-'}`);
      assert.equal(r.status, result.passed ? 0 : 1, 'exit code follows the verdict');
      assert.equal(result.target, 'virtual robot on QEMU lm3s6965evb');
      assert.match(r.stderr, /firmware booted \(boot 1\) on Cortex-M3 firmware on QEMU lm3s6965evb \(flash \d+ bytes/);

      // The firmware on the emulated board answered over the pty: it refused the wrong schema,
      // paired, streamed states the host decoded, and decoded the host's frames itself.
      assert.ok(scenario('wrong schema').passed, scenario('wrong schema').detail);
      assert.ok(counter('frames received OK').host! > 100, 'host decoded the board\'s frames');
      assert.ok(counter('frames received OK').firmware! > 100, 'board decoded the host\'s frames');
      assert.ok(counter('frames sent').firmware! >= counter('frames received OK').host!, 'the host never decodes more than the board sent');
      assert.ok(counter('control ticks').firmware! > 1000, 'the board\'s timer ran the control tick');
      assert.ok(counter('firmware boots').firmware! >= 1);
      // The board's counters and the host's agree on the injected losses, as on the host target.
      const corruption = scenario('corruption');
      assert.ok(corruption.passed && corruption.metrics, corruption.detail);
      assert.ok(corruption.metrics.framesCorrupted > 0, corruption.detail);
      assert.equal(corruption.metrics.framesLostSeen, corruption.metrics.framesLostInjected, 'host counters = injected losses');
      // Link cut: the watchdog running from the board's timer zeroes torque, never early.
      const cut = scenario('link cut');
      assert.ok(cut.passed && cut.metrics, cut.detail);
      assert.ok(cut.metrics.firmwareZeroAfterLastCommandMs >= 300, `firmware zeroed torque before its watchdog: ${cut.detail}`);
      assert.ok(Number.isFinite(cut.metrics.hostEstopAfterLastStateMs), 'host latched its e-stop');
      // Every scenario passes: the suite's verdict, not only its exit code.
      for (const part of ['balance', 'push recovery', 're-arm', 'operator e-stop']) {
        const s = scenario(part);
        assert.ok(s.passed, `${s.name}: ${s.detail}`);
      }
      assert.ok(result.passed, 'the suite passed on the QEMU board');
      assert.ok(existsSync(junit));
      const xml = readFileSync(junit, 'utf8');
      assert.match(xml, /<testsuite name="ballbot-hil \(virtual robot on QEMU lm3s6965evb\)" tests="7" failures="\d+"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with what to install when the Arm toolchain is absent', () => {
    // PATH holds only node (a link to it in an empty directory): no arm-none-eabi-gcc, no qemu-system-arm.
    const bin = mkdtempSync(join(tmpdir(), 'ballbot-no-toolchain-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const r = spawnSync(join(bin, 'node'), [ballbot, 'hil', '--virtual', '--target', 'qemu', '--controller', 'lqr'], {
        encoding: 'utf8', env: { ...process.env, PATH: bin }, timeout: 60_000,
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /needs the Debian packages gcc-arm-none-eabi, qemu-system-arm \(not found\); install with: sudo apt-get install gcc-arm-none-eabi qemu-system-arm/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('refuses a target it does not know, and --target without --virtual', () => {
    const bad = spawnSync(process.execPath, [ballbot, 'hil', '--virtual', '--target', 'stm32', '--controller', 'lqr'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--target: unknown target 'stm32' \(available: host, qemu\)/);
    const port = spawnSync(process.execPath, [ballbot, 'hil', '--port', '/dev/null', '--target', 'qemu', '--controller', 'lqr'], { encoding: 'utf8' });
    assert.equal(port.status, 2);
    assert.match(port.stderr, /--target selects where the virtual robot runs/);
  });
});
