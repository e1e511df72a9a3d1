// The tracking memory (sim/tracking-memory.ts): it integrates a constant tracking error, leaks,
// clips, reads the ball velocity with the LQR's kinematics; the MemoryVecEnv wrapper on the real
// Rapier env presents [obs, memory / clip], passes the plain observation through unchanged and
// starts a fresh memory whenever an episode restarts; env.memory is validated naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { invert3, omniwheelJacobian, wheelSpeedsFromRelative } from '../../sim/kinematics.js';
import { MemoryVecEnv } from '../../sim/memory-vec-env.js';
import { GYRO_SCALE, OBS_INDEX, OBS_SIZE, OBSERVATION_LAYOUT, WHEEL_VEL_SCALE } from '../../sim/observation.js';
import {
  DEFAULT_CLIP_YAW_RAD, parseTrackingMemoryOptions, TRACKING_MEMORY_FEATURES, trackingMemoryModel, updateTrackingMemory, writeTrackingMemoryFeatures,
} from '../../sim/tracking-memory.js';
import { makeBallbotVecEnv } from '../../sim/vec-env.js';
import { parseTrainConfig } from '../../training/config.js';

const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
const dt = 1 / robot.control.rateHz;
const model = trackingMemoryModel(robot, { leakSeconds: 4, clipM: 0.5 });
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('a constant tracking error integrates as a leaky sum, and the memory clips', () => {
  const obs = new Float32Array(OBS_SIZE);
  obs[OBS_INDEX.command] = 0.3; // standing still while 0.3 m/s forward is asked: error -0.3 m/s
  obs[OBS_INDEX.command + 2] = -0.2; // no turn while -0.2 rad/s is asked: error +0.2 rad/s
  const m = new Float32Array(3);
  const leak = Math.exp(-dt / 4);
  for (let k = 1; k <= 50; k++) updateTrackingMemory(model, m, obs);
  const sum = dt * (1 - leak ** 50) / (1 - leak);
  close(m[0], -0.3 * sum, 1e-6, 'ex after 50 steps');
  close(m[1], 0, 1e-9, 'ey');
  close(m[2], 0.2 * sum, 1e-6, 'ez after 50 steps');
  // The steady state -0.3 * dt / (1 - leak) ~ -1.2 m lies past the clip.
  for (let k = 0; k < 2000; k++) updateTrackingMemory(model, m, obs);
  assert.equal(m[0], -0.5);
  close(m[2], 0.2 * dt * (1 - leak ** 2050) / (1 - leak), 1e-4, 'ez (heading for 0.8 rad, inside its clip)');
  assert.ok(m[2] < DEFAULT_CLIP_YAW_RAD);
  const features = new Float32Array(3);
  writeTrackingMemoryFeatures(model, m, features);
  assert.equal(features[0], -1);
});

test('with no error the memory decays by exp(-dt / leakSeconds) per step', () => {
  const m = Float32Array.of(0.2, -0.1, 0.5);
  const zero = new Float32Array(OBS_SIZE);
  for (let k = 0; k < 100; k++) updateTrackingMemory(model, m, zero);
  const f = Math.exp(-100 * dt / 4);
  close(m[0], 0.2 * f, 1e-6, 'ex');
  close(m[1], -0.1 * f, 1e-6, 'ey');
  close(m[2], 0.5 * f, 1e-6, 'ez');
});

test('the velocity estimate is the LQR kinematics: wheels rolling the ball at a known rate', () => {
  // Ball spinning at 2 rad/s about body +y and -1 rad/s about +x relative to a still body: it rolls
  // forward at r * 2 and left at r * 1. The body turns at 0.5 rad/s (gyro z, which also enters J^-1's sum).
  const J = omniwheelJacobian(robot);
  const wheel = new Float64Array(3);
  wheelSpeedsFromRelative(J, [-1, 2, 0], wheel);
  const obs = new Float32Array(OBS_SIZE);
  for (let i = 0; i < 3; i++) obs[OBS_INDEX.wheelVel + i] = wheel[i] * WHEEL_VEL_SCALE;
  obs[OBS_INDEX.gyro + 2] = 0.5 * GYRO_SCALE;
  obs[OBS_INDEX.command] = 0.1;
  const m = new Float32Array(3);
  updateTrackingMemory(model, m, obs);
  const r = robot.ball.radius;
  close(m[0] / dt, 2 * r - 0.1, 1e-5, 'vx - command');
  close(m[1] / dt, r, 1e-5, 'vy');
  close(m[2] / dt, 0.5, 1e-5, 'yaw rate');
  assert.ok(invert3(J).every(Number.isFinite));
});

test('MemoryVecEnv on the real sim: [obs, memory / clip], the plain obs unchanged, a fresh memory per episode', async () => {
  const n = 2, seed = 5;
  const options = { task: 'velocity', randomize: true, numEnvs: n, seed: 0, workers: 0 } as const;
  const plain = await makeBallbotVecEnv(options);
  const env = new MemoryVecEnv(await makeBallbotVecEnv(options), robot, { leakSeconds: 4, clipM: 0.5 });
  try {
    assert.equal(env.observationSpace.shape[0], OBS_SIZE + 3);
    assert.deepEqual(env.observationSpace.names, [...OBSERVATION_LAYOUT, ...TRACKING_MEMORY_FEATURES]);
    const W = OBS_SIZE + 3;
    const reference = new Float32Array(n * 3);
    const features = new Float32Array(3);
    const expectRows = (obs: Float32Array, plainObs: Float32Array, memory: Float32Array, what: string) => {
      for (let i = 0; i < n; i++) {
        assert.deepEqual(Array.from(obs.subarray(i * W, i * W + OBS_SIZE)), Array.from(plainObs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE)), `${what}: env ${i} obs`);
        writeTrackingMemoryFeatures(model, memory.subarray(i * 3, (i + 1) * 3), features);
        assert.deepEqual(Array.from(obs.subarray(i * W + OBS_SIZE, (i + 1) * W)), Array.from(features), `${what}: env ${i} memory`);
      }
    };
    const advance = (plainObs: Float32Array, i: number, memory: Float32Array) => updateTrackingMemory(model, memory.subarray(i * 3, (i + 1) * 3), plainObs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE));
    const p0 = await plain.reset(seed);
    const o0 = await env.reset(seed);
    for (let i = 0; i < n; i++) advance(p0, i, reference);
    expectRows(o0, p0, reference, 'reset');
    // Full torque on every wheel: the robot falls within a few hundred steps, so episodes restart.
    const actions = new Float32Array(n * 3).fill(0.6);
    let restarts = 0;
    for (let t = 0; t < 400; t++) {
      const p = await plain.step(actions);
      const r = await env.step(actions);
      assert.deepEqual(Array.from(r.terminated), Array.from(p.terminated));
      const finalRef = reference.slice();
      for (let i = 0; i < n; i++) {
        if (p.terminated[i] || p.truncated[i]) {
          restarts++;
          advance(p.finalObs, i, finalRef);
          writeTrackingMemoryFeatures(model, finalRef.subarray(i * 3, (i + 1) * 3), features);
          assert.deepEqual(Array.from(r.finalObs.subarray(i * W + OBS_SIZE, (i + 1) * W)), Array.from(features), `step ${t}: final memory of env ${i}`);
          reference.fill(0, i * 3, (i + 1) * 3);
        }
        advance(p.obs, i, reference);
      }
      expectRows(r.obs, p.obs, reference, `step ${t}`);
      assert.deepEqual(Array.from(env.memory), Array.from(reference));
    }
    assert.ok(restarts >= 1, 'at least one episode restarted');
  } finally {
    await plain.close();
    await env.close();
  }
});

test('env.memory is validated naming the key, and refused beside env.residual', () => {
  assert.deepEqual(parseTrackingMemoryOptions({}, 'c.yaml'), { leakSeconds: 4, clipM: 0.5 });
  assert.throws(() => parseTrackingMemoryOptions({ leak: 3 }, 'c.yaml'), /c\.yaml: env\.memory: unknown key 'leak'/);
  assert.throws(() => parseTrackingMemoryOptions({ leakSeconds: -1 }, 'c.yaml'), /env\.memory\.leakSeconds must be a number in \(0, 60\], got -1/);
  assert.throws(() => parseTrackingMemoryOptions([1], 'c.yaml'), /env\.memory must be an object/);
  const base = { algo: 'ppo', task: 'velocity', totalSteps: 1000, env: {} as Record<string, unknown> };
  assert.throws(() => parseTrainConfig({ ...base, env: { memory: { clipM: 'big' } } }, 'run.yaml'), /run\.yaml[\s\S]*env\.memory[\s\S]*clipM/);
  assert.throws(() => parseTrainConfig({ ...base, env: { memory: {}, residual: { scale: 0.5 } } }, 'run.yaml'), /env\.memory and env\.residual cannot be combined/);
  assert.equal(parseTrainConfig({ ...base, env: { memory: { leakSeconds: 2 } } }, 'run.yaml').env.memory !== undefined, true);
});
