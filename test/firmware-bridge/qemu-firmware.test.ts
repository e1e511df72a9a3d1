// The Cortex-M3 firmware on QEMU's LM3S6965 board, driven directly (no deploy loop): it boots,
// takes its limits from the simulator, answers the real serialport bindings on its QEMU pty,
// clamps torque in its 32-bit float core, trips its command watchdog from the SysTick tick
// after a link cut, and its hardware watchdog cuts the motors and resets a hung core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MODE } from '../../firmware-bridge/messages.js';
import { createSerialLink, type SerialLink } from '../../deploy/links/serial-link.js';
import { VirtualRobot } from '../../hil/serial-virtual-robot.js';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const WATCHDOG_MS = 250;

describe('Cortex-M3 firmware on QEMU lm3s6965evb', () => {
  let vr: VirtualRobot;
  let link: SerialLink;
  let seq = 0;
  const torques = new Float64Array(3);
  let commander: NodeJS.Timeout | null = null;
  const stopCommands = () => {
    if (commander) clearInterval(commander);
    commander = null;
  };

  before(async () => {
    // 100 Hz sensor stream; a wide hardware watchdog so a loaded machine's stalls do not trip it.
    vr = await VirtualRobot.start({ target: 'qemu', seed: 5, stateRateHz: 100, watchdogMs: WATCHDOG_MS, maxTorqueNm: 1.5, hwWatchdogMs: 500 });
  });
  after(async () => {
    stopCommands();
    await link?.close();
    await vr?.close();
  });

  it('boots, runs its control tick from the board timer and takes its limits from the simulator', async () => {
    assert.match(vr.firmwareDescription, /Cortex-M3 firmware on QEMU lm3s6965evb/);
    assert.equal(vr.report.boots, 1);
    const ticks0 = vr.report.firmwareTicks;
    await until('the SysTick tick to advance', () => vr.report.firmwareTicks > ticks0 + 100);
    link = createSerialLink({ path: vr.hostPort, handshakeTimeoutMs: 5000 });
    await link.connect();
    assert.equal(link.firmware?.watchdogMs, WATCHDOG_MS);
    assert.ok(Math.abs(link.firmware!.maxTorqueNm - 1.5) < 1e-6);
    await until('a STATE from the board', () => link.latestState() !== null);
    assert.ok(Math.abs(Math.hypot(...Array.from(link.latestState()!.orientation)) - 1) < 1e-3, 'unit quaternion through the board');
  });

  it('arms and clamps streamed torques to its limit', async () => {
    torques.set([0.5, -0.25, 9]);
    commander = setInterval(() => link.sendCommand(torques, seq++), 10);
    link.sendArm();
    const rearm = setInterval(() => { if (vr.report.mode !== MODE.ARMED) link.sendArm(); }, 300);
    await until('the board to arm and apply the command', () => vr.report.mode === MODE.ARMED && vr.report.torque[0] === 0.5);
    clearInterval(rearm);
    assert.equal(vr.report.torque[1], -0.25);
    assert.ok(Math.abs(vr.report.torque[2] - 1.5) < 1e-6, `clamped to 1.5 N m, got ${vr.report.torque[2]}`);
  });

  it('zeroes torque and latches the e-stop from its timer tick after a link cut, never before its watchdog', async () => {
    await until('armed with torque', () => vr.report.mode === MODE.ARMED && vr.report.torque[0] === 0.5);
    const trips0 = vr.report.watchdogTrips;
    vr.cutLink();
    await until('the command watchdog to trip', () => vr.report.watchdogTrips > trips0);
    assert.equal(vr.report.mode, MODE.ESTOP);
    assert.deepEqual(Array.from(vr.report.torque), [0, 0, 0]);
    const afterMs = ((vr.report.watchdogTripUs - vr.report.watchdogLastFeedUs) >>> 0) / 1000;
    assert.ok(afterMs >= WATCHDOG_MS, `tripped ${afterMs} ms after the last command, before its ${WATCHDOG_MS} ms`);
    assert.ok(afterMs < WATCHDOG_MS + 250, `tripped ${afterMs} ms after the last command`);
    stopCommands();
    vr.restoreLink();
  });

  it('its hardware watchdog cuts the motors of a hung core and resets the board', async () => {
    // Re-arm with torque, then hang the core at its interrupt level: no tick kicks the watchdog.
    commander = setInterval(() => link.sendCommand(torques, seq++), 10);
    const rearm = setInterval(() => { if (vr.report.mode !== MODE.ARMED) link.sendArm(); }, 300);
    await until('armed with torque again', () => vr.report.mode === MODE.ARMED && vr.report.torque[0] === 0.5);
    clearInterval(rearm);
    const warnings0 = vr.report.hwWatchdogWarnings;
    vr.hangFirmware();
    await until('the hardware watchdog warning', () => vr.report.hwWatchdogWarnings > warnings0);
    assert.deepEqual(Array.from(vr.report.torque), [0, 0, 0], 'motors off at the warning');
    assert.equal(vr.report.mode, MODE.ESTOP);
    await until('the board to reset and boot again', () => vr.report.boots === 2);
    stopCommands();
  });
});
