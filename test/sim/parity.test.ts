// Parity: the training env and the plant that deploy's sim link and the virtual robot run
// (sim/plant.ts) are the same robot. From one seed (randomized mass, friction, latency, motor
// strength, sensor noise), one start pose and one action sequence, they give bit-identical
// observations, commanded torques and delivered motor torques when driven with deploy's own
// observation and actuation functions. The virtual robot's serial wire carries torques as
// float32, so there the test bounds the physical difference instead: once with the plant fed
// float32 torques, and once through the real thing in lockstep: deploy's serial link over a pty
// to the gcc-built C firmware, which drives the virtual robot's plant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BallbotBatch } from '../../sim/ballbot-batch.js';
import { DEFAULT_RANDOMIZATION_CONFIG, DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadRandomizationConfig } from '../../sim/config/randomization.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { loadTask } from '../../sim/config/task.js';
import { envSeed } from '../../sim/episode-start.js';
import { createLqrController } from '../../sim/lqr.js';
import { actionToTorque, buildObservation, clipAction, OBS_SIZE, torqueToAction } from '../../sim/observation.js';
import { createPlant } from '../../sim/plant.js';
import { createSerialLink } from '../../deploy/links/serial-link.js';
import { VirtualRobot, withSensorRate } from '../../hil/serial-virtual-robot.js';

const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
// Pushes and commands are scheduled by the env (a task's business), not by the plant.
const randomization = { ...loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG), pushes: { enabled: false, intervalS: [4, 15] as [number, number], velocityMps: [0, 0] as [number, number] } };
const task = { ...loadTask('balance'), initTiltDeg: [3, 3] as [number, number] };
const SEED = 11;
const STEPS = 300;

interface Trace { obs: Float32Array[]; command: Float64Array[]; delivered: Float64Array[]; tilt: number[]; position: Float64Array[] }

/** The training env under the LQR: the action sequence and what the env saw and did. */
async function trainingEnv(): Promise<Trace & { actions: Float32Array[]; strength: number[] }> {
  const batch = await BallbotBatch.create({ robot, task, randomization, numEnvs: 1, seed: SEED });
  const sim = batch.world.robots[0];
  const lqr = createLqrController(robot);
  lqr.reset();
  const t: Trace & { actions: Float32Array[]; strength: number[] } = {
    obs: [batch.obs.slice(0, OBS_SIZE)], command: [], delivered: [], actions: [], tilt: [], position: [],
    strength: Array.from(sim.params.motorMaxTorque, (m) => m / robot.motor.maxTorque),
  };
  const a = new Float32Array(3);
  for (let k = 0; k < STEPS; k++) {
    lqr.act(batch.obs.subarray(0, OBS_SIZE), a);
    t.actions.push(a.slice());
    batch.step(a);
    assert.equal(batch.terminated[0] + batch.truncated[0], 0, `the episode must not end at step ${k}`);
    t.command.push(sim.command.slice());
    t.delivered.push(sim.wheelTorque.slice());
    t.obs.push(batch.obs.slice(0, OBS_SIZE));
    t.tilt.push(sim.tilt());
    t.position.push(sim.localPosition(new Float64Array(3)));
  }
  batch.close();
  return t;
}

/**
 * A plant as deploy's sim link and the virtual robot build it, driven the way deploy's tick is:
 * replaying `actions`, or closing the loop with the LQR on the plant's own observations.
 */
async function plantSide(actions: Float32Array[] | 'lqr', options: { robot: typeof robot; wire?: (x: number) => number }): Promise<Trace> {
  const plant = await createPlant({ robot: options.robot, seed: envSeed(SEED, 0), randomize: randomization, initTiltDeg: 3, randomPose: true });
  const prev = new Float32Array(3), safe = new Float32Array(3), zeroCommand = new Float32Array(3);
  const torque = new Float64Array(3), sent = new Float64Array(3);
  const obs = new Float32Array(OBS_SIZE);
  const t: Trace = { obs: [buildObservation(plant.sensors(), prev, zeroCommand, obs).slice()], command: [], delivered: [], tilt: [], position: [] };
  const maxT = robot.motor.maxTorque; // the artifact's scaling; the check makes it the robot's rating for the env
  const lqr = createLqrController(robot);
  lqr.reset();
  const a = new Float32Array(3);
  for (let k = 0; k < STEPS; k++) {
    if (actions === 'lqr') lqr.act(obs, a);
    else a.set(actions[k]);
    clipAction(a, safe);
    actionToTorque(safe, maxT, torque);
    for (let i = 0; i < 3; i++) sent[i] = options.wire ? options.wire(torque[i]) : torque[i];
    plant.applyCommand(sent);
    torqueToAction(torque, maxT, prev);
    plant.stepControl();
    t.command.push(sent.slice());
    const truth = plant.truth();
    t.delivered.push(truth.wheelTorque.slice());
    t.tilt.push(truth.tiltRad);
    t.position.push(truth.ballPosition.slice());
    t.obs.push(buildObservation(plant.sensors(), prev, zeroCommand, obs).slice());
  }
  plant.close();
  return t;
}

/** Poll (1 ms) until `cond()` holds; the lockstep run waits on the firmware and the pty. */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

function maxPhysicalDifference(a: Trace, b: Pick<Trace, 'tilt' | 'position'>): { tilt: number; position: number } {
  let tilt = 0, position = 0;
  for (let k = 0; k < STEPS; k++) {
    tilt = Math.max(tilt, Math.abs(a.tilt[k] - b.tilt[k]));
    position = Math.max(position, Math.hypot(a.position[k][0] - b.position[k][0], a.position[k][1] - b.position[k][1]));
  }
  return { tilt, position };
}

const env = await trainingEnv();

test('the seed gives a randomized robot with motors of different strength (the case that used to differ)', () => {
  assert.ok(env.strength.some((s) => Math.abs(s - 1) > 0.01), `motor strengths ${env.strength}`);
});

test("training env and deploy's sim-link plant: bit-identical observations and torques", async () => {
  const deploy = await plantSide(env.actions, { robot });
  for (let k = 0; k <= STEPS; k++) assert.deepEqual(deploy.obs[k], env.obs[k], `observation after step ${k}`);
  for (let k = 0; k < STEPS; k++) {
    assert.deepEqual(deploy.command[k], env.command[k], `commanded torque at step ${k}`);
    assert.deepEqual(deploy.delivered[k], env.delivered[k], `delivered motor torque at step ${k}`);
  }
});

test('the virtual robot plant (torques as float32 on the wire), LQR in the loop on both: the physical state stays within 0.03 deg and 1 mm', async () => {
  const vrRobot = withSensorRate(robot, robot.control.rateHz);
  assert.deepEqual(vrRobot.control, robot.control, 'at the control rate the virtual robot steps the same physics');
  // Closed loop: replaying actions open-loop would let the unstable plant amplify the rounding.
  const vr = await plantSide('lqr', { robot: vrRobot, wire: Math.fround });
  assert.deepEqual(vr.obs[0], env.obs[0], 'same start');
  let maxObs = 0, maxTorque = 0;
  for (let k = 0; k < STEPS; k++) {
    for (let i = 0; i < OBS_SIZE; i++) maxObs = Math.max(maxObs, Math.abs(vr.obs[k + 1][i] - env.obs[k + 1][i]));
    for (let i = 0; i < 3; i++) maxTorque = Math.max(maxTorque, Math.abs(vr.delivered[k][i] - env.delivered[k][i]));
  }
  const { tilt: maxTilt, position: maxPos } = maxPhysicalDifference(env, vr);
  // Encoder quantization turns a tiny state difference into a one-count step in wheel velocity,
  // so observations and torques are reported; the physical state is what must agree.
  console.log(`virtual robot vs training env over ${STEPS} steps: max |tilt diff| ${maxTilt.toExponential(2)} rad, max position diff ${maxPos.toExponential(2)} m, max |obs diff| ${maxObs.toExponential(2)}, max |torque diff| ${maxTorque.toExponential(2)} N m`);
  assert.ok(maxTilt < 5e-4, `tilt differs by ${maxTilt} rad (0.03 deg allowed)`);
  assert.ok(maxPos < 1e-3, `ball position differs by ${maxPos} m`);
});

test('through the C firmware and the serial link, in lockstep, LQR in the loop: torques applied as sent, the physical state within 0.03 deg and 1 mm', { timeout: 120_000 }, async () => {
  const vr = await VirtualRobot.start({
    robot, seed: envSeed(SEED, 0), randomize: randomization, initTiltDeg: 3, randomPose: true,
    stateRateHz: robot.control.rateHz, watchdogMs: 10_000, clock: 'lockstep',
  });
  const link = createSerialLink({ path: vr.hostPort, rateHz: robot.control.rateHz });
  const fw: Pick<Trace, 'tilt' | 'position'> = { tilt: [], position: [] };
  let maxCommandError = 0;
  try {
    await link.connect();
    const nextState = async (afterMs: number) => {
      await waitFor(() => (link.latestState()?.stampMs ?? -Infinity) > afterMs, 'a STATE frame from the firmware');
      return link.latestState()!;
    };
    vr.publishSensors();
    let state = await nextState(-Infinity);
    link.sendArm();
    await waitFor(() => vr.report.mode === 1, 'the firmware to arm');
    const lqr = createLqrController(robot);
    lqr.reset();
    const obs = new Float32Array(OBS_SIZE), a = new Float32Array(3), safe = new Float32Array(3), prev = new Float32Array(3), zeroCommand = new Float32Array(3);
    const torque = new Float64Array(3);
    for (let k = 0; k < STEPS; k++) {
      buildObservation(state, prev, zeroCommand, obs);
      lqr.act(obs, a);
      clipAction(a, safe);
      actionToTorque(safe, robot.motor.maxTorque, torque);
      torqueToAction(torque, robot.motor.maxTorque, prev);
      const unchanged = [0, 1, 2].every((i) => Math.fround(torque[i]) === vr.report.torque[i]);
      link.sendCommand(torque, k + 1);
      // The firmware reports when its motor output changes; an unchanged output sends nothing.
      if (!unchanged) await waitFor(() => vr.report.lastControlSeq === k + 1, `command ${k + 1} applied by the firmware`);
      for (let i = 0; i < 3; i++) maxCommandError = Math.max(maxCommandError, Math.abs(vr.report.torque[i] - torque[i]));
      const stamp = state.stampMs;
      vr.step();
      state = await nextState(stamp);
      const truth = vr.truth();
      fw.tilt.push(truth.tiltRad);
      fw.position.push(truth.ballPosition.slice());
    }
  } finally {
    await link.close();
    await vr.close();
  }
  assert.equal(vr.report.watchdogTrips, 0);
  const d = maxPhysicalDifference(env, fw);
  console.log(`C firmware path vs training env over ${STEPS} steps: max |tilt diff| ${d.tilt.toExponential(2)} rad, max position diff ${d.position.toExponential(2)} m, max |applied - sent torque| ${maxCommandError.toExponential(2)} N m`);
  assert.ok(maxCommandError < 1e-6, `the firmware applied torques differing from those sent by ${maxCommandError} N m`);
  assert.ok(d.tilt < 5e-4, `tilt differs by ${d.tilt} rad (0.03 deg allowed)`);
  assert.ok(d.position < 1e-3, `ball position differs by ${d.position} m`);
});

