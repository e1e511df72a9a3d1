// LQR design checks on the linear model, and the controller's observation -> action path,
// without the physics engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import { mul, spectralRadius, sub, transpose, zeros, type Matrix } from '../../sim/dense-matrix.js';
import { omniwheelJacobian } from '../../sim/kinematics.js';
import {
  continuousPlanarModel, discretize, fallRate, planarDiscreteModel, planarFeedforward, planarParams, withIntegrator,
} from '../../sim/linear-model.js';
import {
  createLqrController, dareResidual, defaultLoopDelay, defaultTractionLimit, designPlanarLqr, lqrGains, solveDare, tiltAnglesFromGravity,
} from '../../sim/lqr.js';
import { quatFromAxisAngle, quatMultiply } from '../../sim/math3.js';
import { buildObservation, GYRO_SCALE, OBS_INDEX, OBS_SIZE, WHEEL_VEL_SCALE } from '../../sim/observation.js';
import { Rng } from '../../sim/rng.js';

const ROBOT_FILE = fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url));
const DEG = Math.PI / 180;

function robot(): RobotConfig {
  return loadRobotConfig(ROBOT_FILE);
}

function closedLoop(A: Matrix, B: Matrix, gain: number[]): Matrix {
  return sub(A, mul(B, [gain]));
}

test('the Riccati solution satisfies the DARE and its gain is the optimal one', () => {
  const r = robot();
  for (const axis of ['pitch', 'roll'] as const) {
    for (const delayS of [0, defaultLoopDelay(r), 0.023]) {
      const lqr = designPlanarLqr(r, axis, { delayS });
      const { A, B } = lqr.model;
      assert.ok(dareResidual(A, B, lqr.Q, lqr.R, lqr.P) < 1e-9, `${axis} delay ${delayS}: DARE residual`);
      // P is symmetric positive definite on the plant block (diagonal entries > 0, symmetric).
      for (let i = 0; i < A.length; i++) {
        for (let j = 0; j < A.length; j++) assert.ok(Math.abs(lqr.P[i][j] - lqr.P[j][i]) <= 1e-9 * Math.abs(lqr.P[i][i]) + 1e-12);
      }
      for (let i = 0; i < 4; i++) assert.ok(lqr.P[i][i] > 0);
      // The gain is K = (R + B'PB)^-1 B'PA.
      const BtP = mul(transpose(B), lqr.P);
      const denom = lqr.R[0][0] + mul(BtP, B)[0][0];
      const K = mul(BtP, A)[0].map((x) => x / denom);
      K.forEach((k, i) => assert.ok(Math.abs(k - lqr.gain[i]) <= 1e-9 * Math.abs(k) + 1e-12, `gain ${i}`));
    }
  }
});

test('solveDare solves a scalar problem with a known answer', () => {
  // a = 2, b = 1, q = 1, r = 1: p = 1 + 4p - 4p^2/(1+p)  =>  p^2 - 4p - 1 = 0, p = 2 + sqrt(5).
  const { P, K } = solveDare([[2]], [[1]], [[1]], [[1]]);
  assert.ok(Math.abs(P[0][0] - (2 + Math.sqrt(5))) < 1e-9);
  assert.ok(Math.abs(K[0][0] - (2 * P[0][0]) / (1 + P[0][0])) < 1e-9);
  assert.throws(() => solveDare([[2]], [[0]], [[1]], [[1]]), /did not converge/);
});

test('the open-loop model is unstable at the analytic fall rate; LQR closes it stably', () => {
  const r = robot();
  // Without damping the discrete unstable eigenvalue is exactly exp(lambda dt).
  const undamped = structuredClone(r);
  undamped.ball.rollingDamping = 0;
  undamped.motor.viscousFriction = 0;
  const lambda = fallRate(planarParams(undamped, 'pitch'));
  assert.ok(lambda > 1, 'the body falls');
  const dt = 1 / r.control.rateHz;
  const open = planarDiscreteModel(undamped, 'pitch');
  const rho = spectralRadius(open.A);
  assert.ok(rho > 1, `open-loop spectral radius ${rho}`);
  assert.ok(Math.abs(rho / Math.exp(lambda * dt) - 1) < 2e-3, `rho ${rho} vs exp(lambda dt) ${Math.exp(lambda * dt)}`);

  const gains = lqrGains(r);
  for (const lqr of [gains.pitch, gains.roll]) {
    assert.ok(spectralRadius(lqr.model.A) > 1, `${lqr.axis} open loop unstable`);
    const rcl = spectralRadius(closedLoop(lqr.model.A, lqr.model.B, lqr.gain));
    assert.ok(rcl < 0.999, `${lqr.axis} closed-loop spectral radius ${rcl}`);
  }
  // Feedback signs: tilting forward (theta > 0) must drive the ball forward (u > 0).
  assert.ok(gains.pitch.gain[1] < 0);
});

test('the gains tolerate a loop delay one control period longer than designed for', () => {
  const r = robot();
  const designed = defaultLoopDelay(r);
  const dt = 1 / r.control.rateHz;
  const lqr = designPlanarLqr(r, 'pitch', { delayS: designed });
  assert.ok(lqr.integral, 'integral action is on by default');
  const designedPast = lqr.model.pastInputs;
  // Plant with the longer delay; the controller still feeds back x, its own input history
  // (the same slots) and its position integral.
  const slower = withIntegrator(planarDiscreteModel(r, 'pitch', designed + dt), 0);
  const n = slower.A.length;
  assert.equal(slower.pastInputs, designedPast + 1);
  const column = (j: number) => (j < 4 + designedPast ? j : n - 1); // the integral is last in both
  const Acl = slower.A.map((row) => row.slice());
  for (let j = 0; j < lqr.gain.length; j++) Acl.forEach((row, i) => { row[column(j)] -= slower.B[i][0] * lqr.gain[j]; });
  assert.ok(spectralRadius(Acl) < 1, 'stable with one extra period of delay');
  // ...but not with four: the test can tell a robust design from a fragile one.
  const much = withIntegrator(planarDiscreteModel(r, 'pitch', designed + 4 * dt), 0);
  const m = much.A.length;
  const Abad = much.A.map((row) => row.slice());
  for (let j = 0; j < lqr.gain.length; j++) Abad.forEach((row, i) => { row[j < 4 + designedPast ? j : m - 1] -= much.B[i][0] * lqr.gain[j]; });
  assert.ok(spectralRadius(Abad) > 1, 'four extra periods of delay destabilize it');
});

test('discretization with a fractional input delay matches a fine-step integration', () => {
  const r = robot();
  const { A, B } = continuousPlanarModel(planarParams(r, 'pitch'));
  const dt = 0.01, delay = 0.0137; // one full period plus a fraction
  const model = discretize(A, B, dt, delay);
  assert.equal(model.pastInputs, 2);
  // Simulate a piecewise-constant input sequence through the true delayed system.
  const inputs = [0.7, -1.2, 0.4, 2.0, -0.3, 0.9, 0, -0.8];
  const x = [0.01, 0.02, -0.1, 0.3];
  const fine = 20000;
  const h = dt / fine;
  const inputAt = (t: number) => {
    const k = Math.floor((t - delay) / dt + 1e-12);
    return k >= 0 && k < inputs.length ? inputs[k] : 0;
  };
  const f = (s: number[], u: number) => s.map((_, i) => A[i].reduce((acc, a, j) => acc + a * s[j], 0) + B[i][0] * u);
  let s = x.slice();
  for (let step = 0; step < fine * inputs.length; step++) {
    const t = step * h;
    const u = inputAt(t + h / 2); // the input is constant within each fine step
    const k1 = f(s, u), k2 = f(s.map((v, i) => v + (h / 2) * k1[i]), u);
    const k3 = f(s.map((v, i) => v + (h / 2) * k2[i]), u), k4 = f(s.map((v, i) => v + h * k3[i]), u);
    s = s.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  let z: Matrix = zeros(model.A.length, 1);
  x.forEach((v, i) => { z[i][0] = v; });
  for (const u of inputs) z = mul(model.A, z).map((row, i) => [row[0] + model.B[i][0] * u]);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(z[i][0] - s[i]) < 1e-8 * (1 + Math.abs(s[i])), `state ${i}: ${z[i][0]} vs ${s[i]}`);
  assert.throws(() => discretize(A, B, 0, 0), /control period/);
  assert.throws(() => discretize(A, B, dt, -1), /delay/);
});

test('the feedforward holds the linear model on an accelerating reference', () => {
  const r = robot();
  for (const axis of ['pitch', 'roll'] as const) {
    const p = planarParams(r, axis);
    const { A, B } = continuousPlanarModel(p);
    for (const [acc, rate] of [[2, 0], [0, 4], [-1.5, 3]]) {
      const { torque, tilt } = planarFeedforward(p, acc, rate);
      const x = [0.3, tilt, rate, 0];
      const xdot = A.map((row, i) => row.reduce((s, a, j) => s + a * x[j], 0) + B[i][0] * torque);
      const expected = [rate, 0, acc, 0];
      xdot.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-9, `${axis} (${acc}, ${rate}) row ${i}: ${v} vs ${expected[i]}`));
    }
    // Accelerating forward needs a forward lean.
    assert.ok(planarFeedforward(p, 1, 0).tilt > 0);
  }
});

test('tilt angles from the projected gravity recover known rotations at any heading', () => {
  const rng = new Rng(5);
  const obs = new Float32Array(OBS_SIZE);
  const angles = [0, 0];
  const qYaw = new Float64Array(4), qPitch = new Float64Array(4), qRoll = new Float64Array(4), q = new Float64Array(4);
  for (let i = 0; i < 200; i++) {
    const yaw = rng.uniform(-Math.PI, Math.PI), pitch = rng.uniform(-1.2, 1.2), roll = rng.uniform(-1.2, 1.2);
    // Z-Y-X: R = Rz(yaw) Ry(pitch) Rx(roll).
    quatFromAxisAngle(0, 0, 1, yaw, qYaw);
    quatFromAxisAngle(0, 1, 0, pitch, qPitch);
    quatFromAxisAngle(1, 0, 0, roll, qRoll);
    quatMultiply(quatMultiply(qYaw, qPitch, q), qRoll, q);
    buildObservation({ orientation: q, gyro: [0, 0, 0], wheelVelocity: [0, 0, 0] }, [0, 0, 0], [0, 0, 0], obs);
    tiltAnglesFromGravity(obs[0], obs[1], obs[2], angles);
    assert.ok(Math.abs(angles[0] - roll) < 1e-5, `roll ${angles[0]} vs ${roll}`);
    assert.ok(Math.abs(angles[1] - pitch) < 1e-5, `pitch ${angles[1]} vs ${pitch}`);
  }
  // A pure pitch forward puts gravity along +x in the body frame.
  tiltAnglesFromGravity(Math.sin(0.1), 0, -Math.cos(0.1), angles);
  assert.ok(Math.abs(angles[1] - 0.1) < 1e-12 && Math.abs(angles[0]) < 1e-12);
});

/** Observation of a body tilted by (roll, pitch), otherwise at rest. */
function tiltedObservation(roll: number, pitch: number): Float32Array {
  const q = quatMultiply(quatFromAxisAngle(0, 1, 0, pitch, new Float64Array(4)), quatFromAxisAngle(1, 0, 0, roll, new Float64Array(4)), new Float64Array(4));
  return buildObservation({ orientation: q, gyro: [0, 0, 0], wheelVelocity: [0, 0, 0] }, [0, 0, 0], [0, 0, 0], new Float32Array(OBS_SIZE));
}

/** Ball torque J^T T (body frame) that an action asks for. */
function ballTorque(r: RobotConfig, action: Float32Array): number[] {
  const J = omniwheelJacobian(r);
  const T = Array.from(action, (a) => a * r.motor.maxTorque);
  return [0, 1, 2].map((c) => J[c] * T[0] + J[3 + c] * T[1] + J[6 + c] * T[2]);
}

test('wheel torques from (J^T)^-1 give back the planar LQR torques (round trip through J^T)', () => {
  const r = robot();
  const ctl = createLqrController(r);
  const { pitch, roll } = ctl.gains;
  const action = new Float32Array(3);
  for (const [rollAngle, pitchAngle] of [[0, 0.5 * DEG], [-0.4 * DEG, 0], [0.3 * DEG, -0.2 * DEG]]) {
    ctl.reset();
    ctl.act(tiltedObservation(rollAngle, pitchAngle), action);
    assert.ok(Math.max(...action.map(Math.abs)) < 1, 'small tilt stays below saturation');
    const tau = ballTorque(r, action);
    // First call: no motion, no history, so u = -K_theta theta in each plane.
    assert.ok(Math.abs(tau[1] - -pitch.gain[1] * pitchAngle) < 1e-4, `pitch torque ${tau[1]}`);
    assert.ok(Math.abs(tau[0] - -roll.gain[1] * rollAngle) < 1e-4, `roll torque ${tau[0]}`);
    assert.ok(Math.abs(tau[2]) < 1e-4, `yaw torque ${tau[2]}`);
  }
  // Tilting forward pushes the ball forward: positive torque about +y on the ball.
  ctl.reset();
  ctl.act(tiltedObservation(0, 1 * DEG), action);
  assert.ok(ballTorque(r, action)[1] > 0);
});

test('saturation scales all wheels together, keeping the torque direction; traction limit; NaN gives zero torque', () => {
  const r = robot();
  const loose = createLqrController(r, { maxPlanarTorqueNm: 100 }); // only the wheel limits act
  const small = new Float32Array(3), big = new Float32Array(3);
  loose.act(tiltedObservation(0.2 * DEG, 0.3 * DEG), small);
  loose.reset();
  loose.act(tiltedObservation(20 * DEG, 30 * DEG), big);
  assert.ok(Math.abs(Math.max(...big.map(Math.abs)) - 1) < 1e-6, 'largest wheel at the limit');
  const ts = ballTorque(r, small), tb = ballTorque(r, big);
  const cos = (ts[0] * tb[0] + ts[1] * tb[1]) / (Math.hypot(ts[0], ts[1]) * Math.hypot(tb[0], tb[1]));
  assert.ok(cos > 0.99, `direction kept (cos ${cos})`);
  // The default traction limit caps the planar torque below what ground friction can carry.
  const limit = defaultTractionLimit(r);
  assert.ok(Math.hypot(tb[0], tb[1]) > limit, 'without the limit the wheels ask for more');
  const ctl = createLqrController(r);
  const capped = new Float32Array(3);
  ctl.act(tiltedObservation(20 * DEG, 30 * DEG), capped);
  const tc = ballTorque(r, capped);
  assert.ok(Math.abs(Math.hypot(tc[0], tc[1]) - limit) < 1e-4, `planar torque ${Math.hypot(tc[0], tc[1])} at the limit ${limit}`);
  ctl.reset();
  const bad = tiltedObservation(0, 0);
  bad[OBS_INDEX.gyro] = Number.NaN;
  ctl.act(bad, big);
  assert.deepEqual(Array.from(big), [0, 0, 0]);
});

test('odometry integrates the ball velocity seen by the encoders with the right signs', () => {
  const r = robot();
  const dt = 1 / r.control.rateHz;
  const J = omniwheelJacobian(r);
  const ctl = createLqrController(r);
  const obs = tiltedObservation(0, 0);
  // Ball spinning about +y at 2 rad/s and about +x at 1 rad/s, body still:
  // it moves at (r * 2, -r * 1) m/s.
  const w = [1, 2, 0];
  for (let i = 0; i < 3; i++) obs[OBS_INDEX.wheelVel + i] = (J[3 * i] * w[0] + J[3 * i + 1] * w[1] + J[3 * i + 2] * w[2]) * WHEEL_VEL_SCALE;
  const out = new Float32Array(3);
  const steps = 50;
  for (let k = 0; k <= steps; k++) ctl.act(obs, out);
  const tol = 1e-4;
  assert.ok(Math.abs(ctl.position[0] - r.ball.radius * 2 * steps * dt) < tol, `x ${ctl.position[0]}`);
  assert.ok(Math.abs(ctl.position[1] + r.ball.radius * 1 * steps * dt) < tol, `y ${ctl.position[1]}`);
  // A yaw rate through the gyro turns the odometry frame: a quarter turn sends "forward" to +y.
  ctl.reset();
  obs[OBS_INDEX.gyro + 2] = (Math.PI / 2) * GYRO_SCALE;
  const w2 = [0, 2, 0];
  for (let i = 0; i < 3; i++) obs[OBS_INDEX.wheelVel + i] = (J[3 * i] * w2[0] + J[3 * i + 1] * w2[1] + J[3 * i + 2] * w2[2]) * WHEEL_VEL_SCALE;
  // Body rate about z adds to the ball rate; remove it so the ball itself has no spin.
  for (let i = 0; i < 3; i++) obs[OBS_INDEX.wheelVel + i] -= J[3 * i + 2] * (Math.PI / 2) * WHEEL_VEL_SCALE;
  for (let k = 0; k < 100; k++) ctl.act(obs, out); // one second: a quarter turn
  assert.ok(ctl.position[1] > 0.5 * ctl.position[0] && ctl.position[0] > 0, `turning left: ${Array.from(ctl.position)}`);
});

test('bad options are rejected with the option named', () => {
  const r = robot();
  assert.throws(() => createLqrController(r, { weights: { tiltDeg: 0 } }), /weights\.tiltDeg/);
  assert.throws(() => createLqrController(r, { tiltFilterTimeConstantS: -1 }), /tiltFilterTimeConstantS/);
  assert.throws(() => createLqrController(r, { maxPositionErrorM: 0 }), /maxPositionErrorM/);
  assert.throws(() => createLqrController(r, { yawRateGain: -1 }), /yawRateGain/);
  assert.throws(() => createLqrController(r, { maxPlanarTorqueNm: 0 }), /maxPlanarTorqueNm/);
  assert.throws(() => createLqrController(r, { maxReferenceAccelMps2: -2 }), /maxReferenceAccelMps2/);
});
