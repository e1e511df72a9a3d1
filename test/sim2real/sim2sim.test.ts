// The MuJoCo ballbot (mujoco-js, real wasm) against the textbook fall and against Rapier: with
// zero torque from 2 deg it passes 20 deg near the linearized model's 0.415 s, and the LQR made
// for the robot balances the same seeded episodes in both engines with nearly the same tilt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { LqrPolicy } from '../../deploy/lqr-policy.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { nominalParams } from '../../sim/episode-params.js';
import { quatFromAxisAngle } from '../../sim/math3.js';
import { MujocoBallbot } from '../../sim/mujoco/mujoco-plant.js';
import { Rng } from '../../sim/rng.js';
import { runSim2sim } from '../../sim/sim2sim.js';

const robot = loadRobotConfig(fileURLToPath(new URL('../../../configs/robot/default.yaml', import.meta.url)));

test('MuJoCo ballbot with zero torque falls from 2 deg past 20 deg in 0.35-0.48 s', async () => {
  const mj = await MujocoBallbot.create(robot, nominalParams(robot), new Rng(1));
  try {
    mj.place(quatFromAxisAngle(1, 0, 0, (2 * Math.PI) / 180, new Float64Array(4)));
    let t = 0;
    while (mj.tiltRad() < (20 * Math.PI) / 180 && t < 2) { mj.applyCommand([0, 0, 0]); mj.stepControl(); t += 1 / robot.control.rateHz; }
    assert.ok(t > 0.35 && t < 0.48, `passed 20 deg at ${t.toFixed(3)} s`);
  } finally {
    mj.close();
  }
});

test('sim2sim: LQR balances the same episodes in Rapier and MuJoCo, max tilts within 1 deg', async () => {
  const lqr = await LqrPolicy.create(robot, robot.control.rateHz);
  const r = await runSim2sim(lqr, robot, { episodes: 2, seconds: 3, seed: 7 });
  assert.equal(r.rapier.successRate, 1);
  assert.equal(r.mujoco.successRate, 1);
  assert.equal(r.disagreements, 0);
  assert.ok(r.meanAbsMaxTiltDifferenceDeg < 1, `difference ${r.meanAbsMaxTiltDifferenceDeg} deg`);
  assert.ok(r.rapier.meanMaxTiltAfterPushDeg > 1, 'the push moved it');
});
