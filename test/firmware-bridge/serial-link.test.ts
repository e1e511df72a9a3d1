// The serial RobotLink over a real pty pair (socat) with the real serialport bindings, talking
// to the real C firmware (host build) inside the virtual robot.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAULT, MODE, SCHEMA_HASH } from '../../firmware-bridge/messages.js';
import { openPtyPair } from '../../firmware-bridge/pty-pair.js';
import { createSerialLink, type SerialLink } from '../../deploy/links/serial-link.js';
import { VirtualRobot } from '../../hil/serial-virtual-robot.js';

async function until(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('serial link over a pty to the C firmware', () => {
  let vr: VirtualRobot;
  let link: SerialLink;
  let seq = 0;
  const torques = new Float64Array(3);
  let commander: NodeJS.Timeout | null = null;
  const streamCommands = () => {
    commander = setInterval(() => link.sendCommand(torques, seq++), 10);
  };
  const stopCommands = () => {
    if (commander) clearInterval(commander);
    commander = null;
  };

  before(async () => {
    vr = await VirtualRobot.start({ seed: 3 });
  });
  after(async () => {
    stopCommands();
    await link?.close();
    await vr.close();
  });

  it('refuses a firmware built from another schema (wrong schema hash in HELLO)', async () => {
    const wrong = createSerialLink({ path: vr.hostPort, schemaHash: SCHEMA_HASH ^ 0x5a5a5a5a });
    await assert.rejects(wrong.connect(), /schema hash mismatch/);
    await until('the firmware to report the refused handshake', () => (vr.report.faultFlags & FAULT.HANDSHAKE_REJECTED) !== 0);
    assert.equal(vr.report.mode, MODE.DISARMED);
    await wrong.close();
  });

  it('handshakes, streams state with host timestamps, and reports the firmware limits', async () => {
    link = createSerialLink({ path: vr.hostPort });
    await link.connect();
    assert.equal(link.firmware?.watchdogMs, 100);
    assert.ok(Math.abs(link.firmware!.maxTorqueNm - vr.plant.robot.motor.maxTorque) < 1e-5);
    await until('a STATE', () => link.latestState() !== null);
    await sleep(100);
    const s = link.latestState()!;
    // The stamp is the measurement time on the host clock: never after the frame arrived, and
    // within the transit time before it (a loaded machine can delay reading, not the stamp's
    // meaning; a unit error would be off by orders of magnitude).
    const transit = link.status.lastStateMs - s.stampMs;
    assert.ok(transit >= -1 && transit < 1000, `state stamp is ${transit} ms before its arrival`);
    assert.ok(s.stampMs <= performance.now() + 1, 'the stamp is not in the future');
    assert.ok(Math.abs(Math.hypot(...Array.from(s.orientation)) - 1) < 1e-3, 'unit quaternion');
    assert.equal(s.faultFlags, 0);
    const h = link.health();
    assert.ok(h.ok, h.detail);
    // (A frame cut in half by the previous session's close may count as one bad frame.)
    assert.ok(h.framesOk >= 5 && h.framesOk > h.framesBad);
  });

  it('arms, and the firmware applies streamed commands within its torque limit', async () => {
    torques.set([0.5, -0.25, 9]);
    streamCommands();
    link.sendArm();
    // Re-send ARM while waiting: a stalled test process may let the watchdog trip (which is right).
    const rearm = setInterval(() => { if (vr.report.mode !== MODE.ARMED) link.sendArm(); }, 200);
    await until('the firmware to arm and apply the command', () => vr.report.mode === MODE.ARMED && vr.report.torque[0] === 0.5);
    clearInterval(rearm);
    assert.equal(vr.report.torque[1], -0.25);
    assert.ok(Math.abs(vr.report.torque[2] - vr.plant.robot.motor.maxTorque) < 1e-5, 'clamped to the firmware limit');
    await until('a round-trip measurement', () => Number.isFinite(link.health().rttMs));
    assert.ok(link.health().rttMs > 0);
    torques.fill(0);
  });

  it('counts exactly the frames lost to injected corruption', async () => {
    const before = { ...link.counters };
    vr.setCorruption(0.02, 1234);
    await sleep(1500);
    vr.setCorruption(0, 1);
    await sleep(200); // a few clean frames expose the last gaps
    const lostSeen = link.counters.gaps - before.gaps;
    // The injector's counters were reset when it started; read them after it stopped.
    assert.ok(vr.report.txCorrupted > 10, `only ${vr.report.txCorrupted} frames corrupted`);
    assert.equal(lostSeen, vr.report.txLost, 'host gaps = frames the injector destroyed');
    assert.ok(link.health().framesBad > 0);
  });

  it('link cut: the firmware watchdog zeroes torque within 100 ms and the link reports silence', async () => {
    torques.set([0.3, 0.3, 0.3]);
    link.sendArm(); // a loaded CI machine may have stalled the command stream past the watchdog earlier
    await until('torque applied', () => vr.report.torque[0] > 0.29);
    const trips0 = vr.report.watchdogTrips;
    vr.cutLink();
    await until('the watchdog to trip', () => vr.report.watchdogTrips > trips0);
    assert.equal(vr.report.mode, MODE.ESTOP);
    assert.deepEqual(Array.from(vr.report.torque), [0, 0, 0]);
    const zeroAfterMs = ((vr.report.watchdogTripUs - vr.report.watchdogLastFeedUs) >>> 0) / 1000;
    // Not before the watchdog time (how soon after it is a benchmark/HIL number, not a test).
    assert.ok(zeroAfterMs >= 100, `zeroed ${zeroAfterMs} ms after the last command`);
    await until('the host to see silence', () => !link.health().ok);
    assert.equal(link.health().detail, 'silent');
    vr.restoreLink();
    await until('state again', () => link.health().ok);
    // Latched: commands alone do not bring the motors back.
    await sleep(100);
    assert.equal(vr.report.mode, MODE.ESTOP);
    assert.ok(link.latestState()!.faultFlags! & FAULT.WATCHDOG, 'the watchdog fault reaches deploy as a stop flag');
    link.sendArm();
    await until('re-armed', () => vr.report.mode === MODE.ARMED && vr.report.torque[0] > 0.29);
    stopCommands();
  });

  it('e-stop from the host latches on the firmware', async () => {
    link.sendEstop('operator');
    await until('firmware e-stop', () => vr.report.mode === MODE.ESTOP && link.status.mode === MODE.ESTOP);
    assert.deepEqual(Array.from(vr.report.torque), [0, 0, 0]);
  });
});

describe('serial link failure modes', () => {
  it('rejects with a clear message when nothing answers on the port', async () => {
    const pair = await openPtyPair();
    try {
      const link = createSerialLink({ path: pair.b, handshakeTimeoutMs: 300 });
      await assert.rejects(link.connect(), /no HELLO reply from \/dev\/pts\/\d+ within 300 ms/);
    } finally {
      await pair.close();
    }
  });

  it('rejects with the path when the port does not exist', async () => {
    await assert.rejects(createSerialLink({ path: '/dev/does-not-exist-ballbot' }).connect(), /cannot open \/dev\/does-not-exist-ballbot/);
  });

  it('reports the failure when the other end goes away', async () => {
    const vr = await VirtualRobot.start({ seed: 4 });
    const link = createSerialLink({ path: vr.hostPort });
    try {
      await link.connect();
      await until('state', () => link.latestState() !== null);
      await vr.close(); // firmware process and socat gone: the port hangs up
      await until('health to fail', () => !link.health().ok);
      assert.match(link.health().detail ?? '', /silent|closed|error/);
      const t = new Float64Array(3);
      link.sendCommand(t, 1); // must not throw on a dead port
    } finally {
      await link.close();
      await vr.close();
    }
  });
});
