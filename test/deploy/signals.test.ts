// Every terminating signal, with real child processes: zero torque, the e-stop latched with
// rule 'signal', the recording closed with its footer, exit code 128 + N. Over the sim link for
// each signal, and over serial against the virtual robot (real pty, C firmware) for SIGHUP (an
// SSH session dropping): the firmware must latch from the host's ESTOP frame, not its watchdog.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FAULT, MODE } from '../../firmware-bridge/messages.js';
import { VirtualRobot } from '../../hil/serial-virtual-robot.js';
import { lastJsonLine, spawnDeploy, until, WIDE_TIMING_FLAGS } from './harness.js';
import { readMcap } from './mcap-read.js';

const dir = mkdtempSync(join(tmpdir(), 'ballbot-signals-'));
const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as const;

async function signalRun(signal: keyof typeof SIGNALS, linkArgs: string[], file: string) {
  // The tilt cutoff is off so that, however starved this machine leaves the real-time loop,
  // the signal is what latches the e-stop.
  const run = spawnDeploy(['--controller', 'lqr', '--arm', '--record', file, '--json', ...linkArgs, ...WIDE_TIMING_FLAGS, '--set', 'safety.tiltCutoff.enabled=false']);
  await until(() => /DISARMED -> ARMING/.test(run.err()), 'the run to arm', 30_000);
  run.child.kill(signal);
  const code = await run.exited;
  return { code, run };
}

function assertStoppedBySignal(signal: keyof typeof SIGNALS, r: Awaited<ReturnType<typeof signalRun>>, file: string): void {
  assert.equal(r.code, 128 + SIGNALS[signal], r.run.err());
  const summary = lastJsonLine(r.run.out());
  assert.equal(summary.finalMode, 'ESTOP');
  assert.equal(summary.estops[0].rule, 'signal');
  assert.match(summary.estops[0].reason, new RegExp(signal));
  const back = readMcap(file);
  assert.equal(back.complete, true, 'the recording has its footer');
  assert.ok(back.messages.some((m) => m.topic === '/deploy/safety' && m.data.rule === 'signal' && m.data.effect === 'estop' && m.data.detail === signal));
  const estopTick = summary.estops[0].atTick;
  const after = back.messages.filter((m) => m.topic === '/deploy/action' && m.data.tick > estopTick);
  assert.ok(after.every((m) => m.data.mode === 'ESTOP' && m.data.safeTorqueNm.every((v: number) => v === 0)), 'zero torque after the signal');
  assert.equal(back.messages.filter((m) => m.topic === '/deploy/mode').at(-1)!.data.to, 'ESTOP');
  assert.ok(back.messages.some((m) => m.topic === '/deploy/link'), 'link counters recorded');
}

for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
  test(`${signal} on --link sim: e-stop, footer, exit ${128 + SIGNALS[signal]}`, { timeout: 60_000 }, async () => {
    const file = join(dir, `${signal}.mcap`);
    assertStoppedBySignal(signal, await signalRun(signal, ['--link', 'sim'], file), file);
  });
}

test('SIGHUP on --link serial (virtual robot): the firmware latches from the ESTOP frame, not its watchdog', { timeout: 60_000 }, async () => {
  const vr = await VirtualRobot.start({ seed: 5 });
  try {
    const file = join(dir, 'serial-hup.mcap');
    const r = await signalRun('SIGHUP', ['--link', 'serial', '--port', vr.hostPort], file);
    assertStoppedBySignal('SIGHUP', r, file);
    await until(() => vr.report.mode === MODE.ESTOP, 'the firmware to report ESTOP', 5000);
    assert.ok(vr.report.faultFlags & FAULT.ESTOP);
    assert.equal(vr.report.faultFlags & FAULT.WATCHDOG, 0, 'latched by the host ESTOP frame, before the watchdog could fire');
    assert.ok(vr.report.torque.every((v) => v === 0));
  } finally {
    await vr.close();
  }
});
