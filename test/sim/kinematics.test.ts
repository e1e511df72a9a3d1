// Omniwheel drive in the Rapier physics: torque patterns move the ball where the
// Jacobian says, equal torques spin the body, and wheel speeds follow the formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BallbotWorld } from '../../sim/world.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { nominalParams } from '../../sim/episode-params.js';
import { invert3, omniwheelJacobian } from '../../sim/kinematics.js';
import { createLqrController } from '../../sim/lqr.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { BallbotBatch } from '../../sim/ballbot-batch.js';

const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);

async function oneRobot() {
  const world = await BallbotWorld.create(robot, 1);
  const sim = world.robots[0];
  sim.setParams(nominalParams(robot));
  sim.resetPose(0, 0, 0, 0, 0);
  return { world, sim };
}

/** Wheel torques that put ball torque tau (body frame) on the ball: T = (J^T)^-1 tau. */
function wheelTorquesFor(tau: [number, number, number]): Float64Array {
  const J = omniwheelJacobian(robot);
  const Jt = Float64Array.from([J[0], J[3], J[6], J[1], J[4], J[7], J[2], J[5], J[8]]);
  const inv = invert3(Jt);
  return Float64Array.from([0, 1, 2], (r) => inv[3 * r] * tau[0] + inv[3 * r + 1] * tau[1] + inv[3 * r + 2] * tau[2]);
}

test('a ball torque about +y rolls the ball toward +x, about +x toward -y', async () => {
  for (const [tau, dir] of [
    [[0, 0.5, 0], [1, 0]],
    [[0.5, 0, 0], [0, -1]],
    [[0, -0.5, 0], [-1, 0]],
  ] as const) {
    const { world, sim } = await oneRobot();
    sim.setCommand(wheelTorquesFor([tau[0], tau[1], tau[2]]), null);
    for (let k = 0; k < 10; k++) world.stepControl(); // 0.1 s
    const v = sim.ballVelocity(new Float64Array(3));
    const along = v[0] * dir[0] + v[1] * dir[1];
    const across = Math.abs(v[0] * dir[1] - v[1] * dir[0]);
    assert.ok(along > 0.05, `ball should move along (${dir}), got v=(${v[0].toFixed(3)}, ${v[1].toFixed(3)})`);
    assert.ok(across < 0.1 * along, `sideways velocity ${across} too large vs ${along}`);
    world.close();
  }
});

test('equal wheel torques spin the body about the vertical without tilting it', async () => {
  const { world, sim } = await oneRobot();
  sim.setCommand([0.3, 0.3, 0.3], null);
  for (let k = 0; k < 20; k++) world.stepControl();
  const w = sim.bodyAngvelWorld();
  assert.ok(w[2] < -0.5, `body yaw rate should be clearly negative (reaction to +z ball torque), got ${w[2]}`);
  assert.ok(Math.hypot(w[0], w[1]) < 0.05 * Math.abs(w[2]), `tilt rates ${w[0]}, ${w[1]} should stay small`);
  assert.ok(sim.tilt() < 0.01, `tilt ${sim.tilt()} rad`);
  world.close();
});

test('wheel speeds match the omniwheel formula within 2% while driving', async () => {
  const config = resolveEnvConfig({ task: 'velocity' });
  const task = { ...config.task, initTiltDeg: [0, 0] as [number, number], commands: { vx: [0.4, 0.4] as [number, number], vy: [-0.2, -0.2] as [number, number], yawRate: [0, 0] as [number, number], resampleS: [100, 100] as [number, number], zeroProbability: 0 } };
  const batch = await BallbotBatch.create({ ...config, task, numEnvs: 1, seed: 5 });
  const lqr = createLqrController(config.robot);
  const action = new Float32Array(3);
  for (let k = 0; k < 400; k++) {
    lqr.act(batch.obs, action);
    batch.step(action);
  }
  const sim = batch.world.robots[0];
  // Independent check: the ball's linear velocity (from the contact) implies its spin when it
  // rolls without slipping; the body spin is read from Rapier. Expected wheel speeds follow.
  const v = sim.ballVelocity(new Float64Array(3));
  const r = robot.ball.radius;
  const wBall = [-v[1] / r, v[0] / r, sim.ball.angvel().z];
  const wBody = sim.bodyAngvelWorld();
  const rel = [wBall[0] - wBody[0], wBall[1] - wBody[1], wBall[2] - wBody[2]];
  const q = sim.bodyRotation();
  // world -> body frame
  const { rotateInverse } = await import('../../sim/math3.js');
  const relBody = rotateInverse(q, rel, new Float64Array(3));
  const J = omniwheelJacobian(robot);
  const speed = Math.hypot(v[0], v[1]);
  assert.ok(speed > 0.2, `robot should be driving, speed ${speed}`);
  for (let i = 0; i < 3; i++) {
    const expected = J[3 * i] * relBody[0] + J[3 * i + 1] * relBody[1] + J[3 * i + 2] * relBody[2];
    const got = sim.wheelSpeed[i];
    const scale = Math.max(...[0, 1, 2].map((k) => Math.abs(sim.wheelSpeed[k])));
    assert.ok(Math.abs(got - expected) <= 0.02 * scale, `wheel ${i}: sim ${got.toFixed(3)} vs formula ${expected.toFixed(3)}`);
  }
  batch.close();
});

test('the Jacobian matches the reference closed form for b = 0, 120, 240 deg', () => {
  const J = omniwheelJacobian(robot);
  const k = robot.ball.radius / robot.wheels.radius, c = Math.SQRT1_2, s = Math.SQRT1_2;
  const expected = [-c, 0, s, c / 2, -Math.sqrt(3) * c / 2, s, c / 2, Math.sqrt(3) * c / 2, s].map((x) => k * x);
  for (let i = 0; i < 9; i++) assert.ok(Math.abs(J[i] - expected[i]) < 1e-9, `J[${i}] = ${J[i]} vs ${expected[i]}`);
});
