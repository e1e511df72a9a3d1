// The command-shaping rules through the real runtime (clip, soft-start ramp, slew limit), and
// the explicit paths out of and back into torque: operator e-stop, re-arm, refused arming.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { isZero, robot, runOnSim, startOnSim, testConfig } from './harness.js';

// A constant policy: action 0.9 on every wheel = 0.9 * 1.98 N m = 1.78 N m before safety.
const constant = writeRandomPolicy({ robot, rateHz: 100, constant: [0.9, -0.9, 0.9] });

test('clip, arming ramp and slew limit shape every command that is sent', async () => {
  const config = testConfig([
    'safety.actionClip.maxTorqueNm=1.0', 'safety.armingRamp.seconds=0.3', 'safety.slewRate.maxNmPerS=2',
    'safety.tiltCutoff.enabled=false',
  ]);
  const { summary, ticks, link } = await runOnSim({ policy: constant, config, arm: true, seconds: 1.2 });
  assert.deepEqual(summary.estops, []);
  const armed = ticks.filter((t) => t.mode !== 'DISARMED');
  assert.ok(armed.length > 50);
  // Raw torque exceeded the clip; nothing sent did.
  assert.ok(armed.every((t) => Math.abs(t.rawAction[0] - 0.9) < 1e-6));
  // The last command is stop()'s zero torque: stopping is allowed to step to zero.
  const cmds = link.sent.filter((s) => s.kind === 'command').map((s) => s.torques).slice(0, -1);
  assert.ok(cmds.every((c) => c.every((v) => Math.abs(v) <= 1.0 + 1e-12)), 'every command within the clip');
  // Slew: consecutive commands differ by at most 2 N m/s * 10 ms (tighter than the ramp's 1 N m / 0.3 s).
  for (let i = 1; i < cmds.length; i++) {
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(cmds[i][j] - cmds[i - 1][j]) <= 0.02 + 1e-9, `command ${i} jumps ${cmds[i - 1][j]} -> ${cmds[i][j]}`);
  }
  // Ramp: the first armed command is small, the torque reaches the clip only later, and the
  // state machine passes ARMING -> RUNNING.
  assert.ok(Math.abs(armed[0].torque[0]) <= 0.02 + 1e-9);
  assert.ok(armed.some((t) => Math.abs(t.torque[0] - 1.0) < 1e-9));
  assert.ok(armed.some((t) => t.mode === 'ARMING') && armed.some((t) => t.mode === 'RUNNING'));
  assert.ok(summary.clippedTicks > 0 && summary.slewLimitedTicks > 0);
  assert.ok((summary.safetyEvents.actionClip ?? 0) >= 1, 'the clip is logged when it starts acting');
});

test('operator e-stop latches; only an explicit re-arm brings torque back, through the ramp', async () => {
  // The constant policy tips the robot over; tilt limits are off so the re-arm path is what is tested.
  const config = testConfig(['safety.tiltCutoff.enabled=false', 'safety.armMaxTiltDeg=89', 'safety.armingRamp.seconds=0.2']);
  const { handle, ticks, link } = await startOnSim({ policy: constant, config, arm: true });
  await handle.step(30); // 0.2 s ramp at 100 Hz, then RUNNING
  assert.equal(handle.mode, 'RUNNING');
  await handle.step(10);
  handle.estop('test operator');
  const estopAt = ticks.length;
  await handle.step(40);
  assert.equal(handle.mode, 'ESTOP', 'no automatic recovery');
  const during = ticks.slice(estopAt);
  assert.ok(during.length === 40 && during.every((t) => isZero(t.torque) && t.mode === 'ESTOP'));
  handle.rearm('test re-arm');
  await handle.step(30);
  assert.equal(handle.mode, 'RUNNING', 'RUNNING again after the re-arm');
  await handle.step(10);
  const summary = await handle.stop();
  assert.equal(summary.estops.length, 1);
  assert.equal(summary.estops[0].rule, 'operator');
  const after = ticks.slice(estopAt + during.length);
  assert.ok(after.some((t) => t.mode === 'ARMING') && after.some((t) => t.mode === 'RUNNING'));
  assert.ok(after.some((t) => !isZero(t.torque)), 'torque again after the re-arm');
  const sent = link.sent.map((s) => s.kind);
  assert.ok(sent.lastIndexOf('arm') > sent.indexOf('estop'), 'the robot was told to leave its e-stop');
  assert.ok(isZero(link.sent[link.sent.length - 1].torques), 'stop() sends zero torque last');
});

test('arming is refused when the state is not safe (tilted robot), and nothing is commanded', async () => {
  const config = testConfig(['sim.initTiltDeg=30', 'safety.armWaitMs=300']);
  const { summary, link } = await runOnSim({ policy: writeRandomPolicy({ robot, rateHz: 100 }), config, arm: true, seconds: 0.8 });
  assert.equal(summary.finalMode, 'DISARMED');
  assert.equal(summary.armedTicks, 0);
  assert.equal(summary.safetyEvents.arm, 1);
  assert.ok(link.sent.every((s) => s.kind !== 'command' || isZero(s.torques)));
  assert.ok(!link.sent.some((s) => s.kind === 'arm'));
});
