// The LQR baseline in the Rapier physics, through the same observation and action path a
// policy uses: buildObservation(plant.sensors(), previous action, command) -> controller ->
// actionToTorque -> plant.applyCommand. Nominal parameters, flat ground, sensor noise on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import { createZeroController, type Controller } from '../../sim/controller.js';
import { planarMassMatrix, planarParams } from '../../sim/linear-model.js';
import { createLqrController, type LqrController } from '../../sim/lqr.js';
import { actionToTorque, buildObservation, OBS_SIZE } from '../../sim/observation.js';
import { createPlant, type Plant } from '../../sim/plant.js';

const ROBOT_FILE = fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url));
const RAD = 180 / Math.PI;

interface RunOptions {
  seconds: number;
  command?: [number, number, number];
  /** Body velocity kick (m/s) at pushAtS. */
  push?: { atS: number; dvx: number; dvy: number };
  /** Stop once the tilt passes this, deg. */
  stopAboveDeg?: number;
  /** Window at the end for the mean velocities, s (default 2). */
  tailS?: number;
}

interface RunResult {
  maxTiltDeg: number;
  /** Largest tilt from 3 s after the start (or after the push), deg. */
  maxTiltDegSettled: number;
  /** First time the tilt exceeded stopAboveDeg, s (null if never). */
  stopTimeS: number | null;
  finalPosition: [number, number];
  /** Mean ball velocity over the last tailS seconds, m/s. */
  meanVelocityTail: [number, number];
  meanYawRateTail: number;
}

function run(plant: Plant, controller: Controller, o: RunOptions): RunResult {
  const robot = plant.robot;
  const obs = new Float32Array(OBS_SIZE), action = new Float32Array(3), prev = new Float32Array(3);
  const torque = new Float64Array(3);
  const command = new Float32Array(o.command ?? [0, 0, 0]);
  const steps = Math.round(o.seconds / plant.controlDt);
  const pushStep = o.push ? Math.round(o.push.atS / plant.controlDt) : -1;
  const settleFrom = (o.push ? o.push.atS : 0) + 3;
  const tailFrom = steps - Math.round((o.tailS ?? 2) / plant.controlDt);
  const result: RunResult = {
    maxTiltDeg: 0, maxTiltDegSettled: 0, stopTimeS: null, finalPosition: [0, 0], meanVelocityTail: [0, 0], meanYawRateTail: 0,
  };
  controller.reset();
  for (let k = 0; k < steps; k++) {
    if (k === pushStep && o.push) plant.push(o.push.dvx, o.push.dvy);
    buildObservation(plant.sensors(), prev, command, obs);
    controller.act(obs, action);
    actionToTorque(action, robot.motor.maxTorque, torque);
    plant.applyCommand(torque);
    prev.set(action);
    plant.stepControl();
    const truth = plant.truth();
    const tilt = truth.tiltRad * RAD;
    result.maxTiltDeg = Math.max(result.maxTiltDeg, tilt);
    if (truth.timeS >= settleFrom) result.maxTiltDegSettled = Math.max(result.maxTiltDegSettled, tilt);
    if (k >= tailFrom) {
      const n = steps - tailFrom;
      result.meanVelocityTail[0] += truth.ballVelocity[0] / n;
      result.meanVelocityTail[1] += truth.ballVelocity[1] / n;
      result.meanYawRateTail += truth.bodyAngularVelocity[2] / n;
    }
    result.finalPosition = [truth.ballPosition[0], truth.ballPosition[1]];
    if (o.stopAboveDeg !== undefined && tilt > o.stopAboveDeg) {
      result.stopTimeS = truth.timeS;
      break;
    }
  }
  return result;
}

function robot(): RobotConfig {
  return loadRobotConfig(ROBOT_FILE);
}

test('LQR balances 60 s from 5 deg: tilt below 2 deg after 3 s, holds its place, odometry agrees', async () => {
  const r = robot();
  const plant = await createPlant({ robot: r, initTiltDeg: 5, seed: 1 });
  const lqr: LqrController = createLqrController(r);
  try {
    const res = run(plant, lqr, { seconds: 60, stopAboveDeg: 20 });
    assert.equal(res.stopTimeS, null, 'did not fall');
    assert.ok(res.maxTiltDegSettled < 2, `max tilt after 3 s ${res.maxTiltDegSettled.toFixed(3)} deg`);
    const dist = Math.hypot(...res.finalPosition);
    assert.ok(dist < 0.2, `final distance from start ${dist.toFixed(3)} m`);
    // Wheel odometry (J^-1 on the encoders) must track the true ball position.
    const odoErr = Math.hypot(lqr.position[0] - res.finalPosition[0], lqr.position[1] - res.finalPosition[1]);
    assert.ok(odoErr < 0.05, `odometry error ${odoErr.toFixed(3)} m`);
  } finally {
    plant.close();
  }
});

test('LQR recovers from moderate pushes (0.6 m/s kicks, the top of the configured range)', async () => {
  const r = robot();
  const plant = await createPlant({ robot: r, seed: 2 });
  const lqr = createLqrController(r);
  try {
    for (const [dvx, dvy] of [[0.6, 0], [0, -0.6], [-0.45, 0.45]]) {
      plant.reset({ seed: 2 });
      const res = run(plant, lqr, { seconds: 9, push: { atS: 1, dvx, dvy }, stopAboveDeg: 20 });
      const label = `push (${dvx}, ${dvy})`;
      assert.equal(res.stopTimeS, null, `${label}: did not fall`);
      assert.ok(res.maxTiltDeg > 1.5, `${label}: the push was felt (max tilt ${res.maxTiltDeg.toFixed(2)} deg)`);
      assert.ok(res.maxTiltDegSettled < 2, `${label}: tilt 3 s after the push ${res.maxTiltDegSettled.toFixed(3)} deg`);
      const dist = Math.hypot(...res.finalPosition);
      assert.ok(dist < 0.25, `${label}: back near the start, ${dist.toFixed(3)} m`);
    }
  } finally {
    plant.close();
  }
});

test('LQR follows a velocity and yaw-rate command', async () => {
  const r = robot();
  const plant = await createPlant({ robot: r, seed: 3 });
  const lqr = createLqrController(r);
  try {
    const straight = run(plant, lqr, { seconds: 10, command: [0.5, 0, 0], stopAboveDeg: 20, tailS: 5 });
    assert.equal(straight.stopTimeS, null);
    const [vx, vy] = straight.meanVelocityTail;
    assert.ok(Math.abs(vx - 0.5) < 0.03 && Math.abs(vy) < 0.03, `mean velocity (${vx.toFixed(3)}, ${vy.toFixed(3)}) for command 0.5 m/s forward`);
    plant.reset({ seed: 3 });
    const turning = run(plant, lqr, { seconds: 6, command: [0, 0, 0.5], stopAboveDeg: 20 });
    assert.equal(turning.stopTimeS, null);
    assert.ok(Math.abs(turning.meanYawRateTail - 0.5) < 0.05, `yaw rate ${turning.meanYawRateTail.toFixed(3)} for 0.5 rad/s`);
    assert.ok(turning.maxTiltDegSettled < 2, `tilt while turning ${turning.maxTiltDegSettled.toFixed(3)} deg`);
  } finally {
    plant.close();
  }
});

test('upright is unstable: with zero torque the robot falls past 20 deg from 2 deg within 3 s', async () => {
  const r = robot();
  const plant = await createPlant({ robot: r, initTiltDeg: 2, seed: 4 });
  try {
    const res = run(plant, createZeroController(), { seconds: 3, stopAboveDeg: 20 });
    assert.ok(res.stopTimeS !== null && res.stopTimeS < 3, `fell at ${res.stopTimeS} s`);
  } finally {
    plant.close();
  }
});

/** Time for the frictionless nonlinear planar model (see sim/linear-model.ts) to fall from 2 to 20 deg. */
function planarFallTime(r: RobotConfig): number {
  const p = planarParams(r, 'roll');
  const [[m11], [, m22]] = planarMassMatrix(p);
  const mrl = p.bodyMass * p.ballRadius * p.comHeight, mgl = p.bodyMass * p.gravity * p.comHeight;
  let th = 2 / RAD, thd = 0, t = 0;
  const h = 1e-5;
  while (th < 20 / RAD) {
    // M(theta) [phi'', theta''] = [m r l sin(theta) theta'^2, m g l sin(theta)], solved for theta''.
    const c = Math.cos(th), s = Math.sin(th);
    const a12 = mrl * c, b1 = mrl * s * thd * thd, b2 = mgl * s;
    const thdd = (m11 * b2 - a12 * b1) / (m11 * m22 - a12 * a12);
    thd += thdd * h;
    th += thd * h;
    t += h;
  }
  return t;
}

test('without friction the Rapier fall matches the nonlinear planar model the LQR is derived from', async () => {
  const r = robot();
  r.motor.coulombFriction = 0;
  r.motor.viscousFriction = 0;
  r.ball.rollingDamping = 0;
  const plant = await createPlant({ robot: r, initTiltDeg: 2, seed: 5 });
  try {
    const res = run(plant, createZeroController(), { seconds: 2, stopAboveDeg: 20 });
    const expected = planarFallTime(r);
    assert.ok(res.stopTimeS !== null, 'fell');
    // The crossing is seen at the first control step after it: within one period (+ a little).
    const dt = plant.controlDt;
    assert.ok(res.stopTimeS >= expected - 0.2 * dt && res.stopTimeS <= expected + 1.5 * dt,
      `Rapier passes 20 deg at ${res.stopTimeS.toFixed(3)} s, planar model at ${expected.toFixed(3)} s`);
  } finally {
    plant.close();
  }
});

test('integral action finds the balance point of an unmodelled centre-of-mass offset', async () => {
  const nominal = robot();
  const offset = robot();
  offset.body.comOffset = [0.02, -0.015]; // the plant has it; the controller is designed without it
  const plant = await createPlant({ robot: offset, seed: 6 });
  try {
    const withIntegral = run(plant, createLqrController(nominal), { seconds: 20, stopAboveDeg: 20 });
    plant.reset({ seed: 6 });
    const without = run(plant, createLqrController(nominal, { integralAction: false }), { seconds: 20, stopAboveDeg: 20 });
    assert.equal(withIntegral.stopTimeS, null);
    assert.equal(without.stopTimeS, null);
    const dIntegral = Math.hypot(...withIntegral.finalPosition), dWithout = Math.hypot(...without.finalPosition);
    assert.ok(dIntegral < 0.1, `with integral action the robot returns to its place (${dIntegral.toFixed(3)} m)`);
    assert.ok(dWithout > 0.3, `without it the robot settles away from its place (${dWithout.toFixed(3)} m)`);
  } finally {
    plant.close();
  }
});
