// Depth camera and height scan against real Rapier heightfields: geometry from a known
// pose, noise and dropout statistics, latency, rate, determinism, config validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRandomizationConfig, RandomizationSchema } from '../../sim/config/randomization.js';
import { DEFAULT_RANDOMIZATION_CONFIG } from '../../sim/config/paths.js';
import { BallbotEnv } from '../../sim/ballbot-env.js';
import { makeBallbotVecEnv } from '../../sim/vec-env.js';
import { SyncVecEnv } from '../../sim/sync-vec-env.js';
import { MISSING_READING, PerceptionRandomizationSchema } from '../../sim/perception/config.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT, PerceptionBatch } from '../../sim/perception/perception-batch.js';
import { perceptiveRobot, perceptiveTask, rig, terrainFrom } from './helpers.js';

const exactScan = { noiseStd: 0, dropout: 0, latencyTicks: 0 };
const exact = { ...exactScan, noisePerMetre: 0 };

test('depth of a flat floor from a known pose equals the analytic z-depth, before any physics step', async () => {
  const floor = 0.3, pitchDeg = 35, vfov = 40, mountZ = 0.45;
  const robot = perceptiveRobot({ depthCamera: { ...exact, width: 8, height: 6, pitchDeg, verticalFovDeg: vfov, horizontalFovDeg: 60, position: [0, 0, mountZ] } });
  const r = await rig(robot, terrainFrom(() => floor), null, perceptiveTask('balance', true, false));
  r.place(1.3, -0.7, 0.4);
  const depth = r.perception.output(DEPTH_INPUT);
  const camZ = floor + robot.ball.radius + mountZ;
  const th = (pitchDeg * Math.PI) / 180, tz = Math.tan(((vfov / 2) * Math.PI) / 180);
  for (let row = 0; row < 6; row++) {
    // An unnormalised ray (1, y, z) in the camera frame drops sin(th) - z cos(th) per metre of z-depth.
    const z = tz * (1 - (2 * (row + 0.5)) / 6);
    const expected = (camZ - floor) / (Math.sin(th) - z * Math.cos(th));
    for (let col = 0; col < 8; col++) {
      const got = depth[row * 8 + col];
      assert.ok(Math.abs(got - expected) < 1e-3, `pixel (${row}, ${col}): depth ${got.toFixed(4)} m, expected ${expected.toFixed(4)} m`);
    }
  }
  r.world.close();
});

test('the depth camera reads MISSING_READING where no ground is in range and sees the flat slab elsewhere', async () => {
  const robot = perceptiveRobot({ depthCamera: { ...exact, width: 4, height: 4, pitchDeg: -10, maxRange: 3 } });
  const r = await rig(robot, null, null, perceptiveTask('balance', true, false));
  r.place(0, 0);
  // Tilted up by 10 deg: the top rows see the sky.
  const depth = r.perception.output(DEPTH_INPUT);
  for (let col = 0; col < 4; col++) assert.equal(depth[col], MISSING_READING, `top row, column ${col}`);
  // The bottom row looks down at the slab (z = 0) from the camera height.
  const th = (-10 * Math.PI) / 180, z = Math.tan((29 * Math.PI) / 180) * (1 - (2 * 3.5) / 4);
  const expected = (robot.ball.radius + 0.45) / (Math.sin(th) - z * Math.cos(th));
  assert.ok(expected < 3, 'the slab is within range for this row');
  for (let col = 0; col < 4; col++) assert.ok(Math.abs(depth[12 + col] - expected) < 1e-3, `bottom row, column ${col}: ${depth[12 + col]} vs ${expected}`);
  r.world.close();
});

test('a step in the terrain shows up in the height scan at the right cells', async () => {
  const robot = perceptiveRobot({ heightScan: exactScan });
  // Vertices at x >= 0.3 m are 5 cm high: the face runs from x = 0.2 to 0.3 m (0.1 m cells).
  const r = await rig(robot, terrainFrom((x) => (x >= 0.3 - 1e-6 ? 0.05 : 0)), null, perceptiveTask('balance', false, true));
  r.place(0.05, 0.013, 0);
  const scan = r.perception.output(HEIGHT_SCAN_INPUT);
  // Column k samples x = 0.05 + (k - 5) * 0.1: columns 0..6 reach x <= 0.15, column 7 is on the face (x = 0.25), 8..10 are on top.
  for (let row = 0; row < 11; row++) {
    for (let col = 0; col < 11; col++) {
      const h = scan[row * 11 + col];
      if (col <= 6) assert.ok(Math.abs(h) < 2e-3, `cell (${row}, ${col}) before the step: ${h}`);
      else if (col === 7) assert.ok(Math.abs(h - 0.025) < 3e-3, `cell (${row}, ${col}) on the face: ${h}`);
      else assert.ok(Math.abs(h - 0.05) < 2e-3, `cell (${row}, ${col}) on the step: ${h}`);
    }
  }
  // Turned to face +y, the step lies to the robot's right: it moves to the low rows.
  r.place(0.05, 0.013, Math.PI / 2);
  for (let row = 0; row < 11; row++) {
    const h = scan[row * 11 + 5];
    assert.ok(row <= 2 ? Math.abs(h - 0.05) < 2e-3 : row >= 4 ? Math.abs(h) < 2e-3 : true, `turned: row ${row} reads ${h}`);
  }
  r.world.close();
});

test('dropout rate and noise std match the config, and randomization scales the noise', async () => {
  const camera = { width: 32, height: 24, pitchDeg: 60, latencyTicks: 0, rateHz: 100 };
  const noisy = perceptiveRobot({ depthCamera: { ...camera, noiseStd: 0.01, noisePerMetre: 0, dropout: 0.2 } });
  const clean = perceptiveRobot({ depthCamera: { ...camera, ...exact } });
  const task = perceptiveTask('balance', true, false);
  const doubled = { ...RandomizationSchema.parse(loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG)), perception: PerceptionRandomizationSchema.parse({ noiseScale: [2, 2] }) };
  const stats = async (randomization: typeof doubled | null) => {
    const a = await rig(noisy, null, randomization, task), b = await rig(clean, null, null, task);
    let missing = 0, count = 0, sum2 = 0, valid = 0;
    for (let episode = 0; episode < 10; episode++) {
      a.place(0, 0, 0, episode + 1);
      b.place(0, 0, 0, episode + 1);
      const x = a.perception.output(DEPTH_INPUT), ref = b.perception.output(DEPTH_INPUT);
      for (let p = 0; p < x.length; p++) {
        count++;
        if (x[p] === MISSING_READING) missing++;
        else if (ref[p] !== MISSING_READING) { sum2 += (x[p] - ref[p]) ** 2; valid++; }
      }
    }
    a.world.close(); b.world.close();
    return { dropout: missing / count, std: Math.sqrt(sum2 / valid) };
  };
  const nominal = await stats(null);
  assert.ok(Math.abs(nominal.dropout - 0.2) < 0.015, `dropout ${nominal.dropout.toFixed(4)}, config 0.2`);
  assert.ok(Math.abs(nominal.std - 0.01) < 0.0006, `noise std ${nominal.std.toFixed(5)} m, config 0.01`);
  const scaled = await stats(doubled);
  assert.ok(Math.abs(scaled.std - 0.02) < 0.0012, `noise std with noiseScale 2: ${scaled.std.toFixed(5)} m`);
});

test('latency delays the frames by the configured ticks; the rate holds frames between renders', async () => {
  const camera = { width: 8, height: 6, noiseStd: 0, noisePerMetre: 0, dropout: 0 };
  const bumpy = terrainFrom((x, y) => 0.05 * (1 + Math.sin(3 * x) * Math.cos(2 * y)));
  const task = perceptiveTask('balance', true, false);
  const now = await rig(perceptiveRobot({ depthCamera: { ...camera, latencyTicks: 0, rateHz: 100 } }), bumpy, null, task);
  const late = await rig(perceptiveRobot({ depthCamera: { ...camera, latencyTicks: 3, rateHz: 100 } }), bumpy, null, task);
  const slow = await rig(perceptiveRobot({ depthCamera: { ...camera, latencyTicks: 0, rateHz: 30 } }), bumpy, null, task);
  const rigs = [now, late, slow];
  for (const r of rigs) r.place(0, 0);
  const history: Float32Array[] = [now.perception.output(DEPTH_INPUT).slice()];
  let slowChanges = 0;
  let previousSlow = slow.perception.output(DEPTH_INPUT).slice();
  for (let t = 1; t <= 100; t++) {
    for (const r of rigs) {
      const sim = r.world.robots[0];
      sim.resetPose(0.02 * t, 0.01 * t, 0, 0, 0.03 * t); // a new pose every tick
      r.perception.step(0, sim);
    }
    history.push(now.perception.output(DEPTH_INPUT).slice());
    assert.deepEqual(late.perception.output(DEPTH_INPUT), history[Math.max(0, t - 3)], `tick ${t}: the late camera shows the frame of tick ${Math.max(0, t - 3)}`);
    const s = slow.perception.output(DEPTH_INPUT);
    if (s.some((v, k) => v !== previousSlow[k])) slowChanges++;
    previousSlow = s.slice();
  }
  assert.notDeepEqual(history[10], history[11], 'frames must differ from tick to tick for this test to mean anything');
  assert.equal(slowChanges, 30, `a 30 Hz camera at 100 Hz control renders 30 new frames per second, saw ${slowChanges}`);
  for (const r of rigs) r.world.close();
});

test('perceptive env: deterministic per seed, proprioception identical to the blind env', async () => {
  const robot = perceptiveRobot({ depthCamera: { width: 16, height: 12 }, heightScan: {} });
  const randomize = { ...loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG), perception: PerceptionRandomizationSchema.parse({ noiseScale: [0.5, 2], extraLatencyTicks: [0, 2], cameraPositionErrorM: 0.01, cameraAngleErrorDeg: 2, scanPositionErrorM: 0.02, scanYawErrorDeg: 3 }) };
  const make = (seed: number, perception = true) =>
    BallbotEnv.create({ robot, task: perception ? perceptiveTask('terrain-mixed') : { ...perceptiveTask('terrain-mixed'), perception: undefined }, randomize, seed });
  const run = async (seed: number, perception = true) => {
    const env = await make(seed, perception);
    const frames: Float32Array[] = [env.reset(seed)];
    const action = new Float32Array([0.1, -0.05, 0.02]);
    for (let t = 0; t < 30; t++) {
      frames.push(env.step(action).obs);
      if (perception) frames.push(env.extraObservation!(DEPTH_INPUT), env.extraObservation!(HEIGHT_SCAN_INPUT));
    }
    const spaces = env.observationSpaces;
    env.close();
    return { frames, spaces };
  };
  const a = await run(5), b = await run(5), c = await run(6);
  assert.deepEqual(a.frames, b.frames, 'same seed, same frames');
  assert.notDeepEqual(a.frames[2], c.frames[2], 'another seed, another depth image');
  assert.deepEqual(a.spaces?.[DEPTH_INPUT].shape, [12, 16]);
  assert.deepEqual(a.spaces?.[HEIGHT_SCAN_INPUT].shape, [11, 11]);
  const blind = await run(5, false);
  assert.equal(blind.spaces, undefined, 'a blind task has no extra observations');
  const proprio = a.frames.filter((_, k) => k === 0 || k % 3 === 1);
  assert.deepEqual(proprio, blind.frames, 'perception must not change the proprioceptive observations');
});

test('perception config errors name the key; a task asking for a sensor the robot lacks is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'perception-'));
  const bad = join(dir, 'random.yaml');
  const base = loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG);
  writeFileSync(bad, JSON.stringify({ ...base, perception: { noiseScale: [2, 1], extraLatencyTicks: [0, 1.5], bogus: 1 } }));
  assert.throws(() => loadRandomizationConfig(bad), (err: Error) =>
    /random\.yaml/.test(err.message) && /perception\.noiseScale/.test(err.message) && /perception\.extraLatencyTicks/.test(err.message) && /'bogus'/.test(err.message));
  const blindRobot = perceptiveRobot({});
  assert.throws(() => PerceptionBatch.forTask(blindRobot, perceptiveTask('balance', true, false), null, 1, 0.01), /perception\.depthCamera/);
  assert.equal(PerceptionBatch.forTask(blindRobot, perceptiveTask('balance', false, false), null, 1, 0.01), null);
  assert.throws(() => PerceptionBatch.forTask(perceptiveRobot({ heightScan: { rateHz: 200 } }), perceptiveTask('balance', false, true), null, 1, 0.01), /perception\.heightScan\.rateHz 200 exceeds control\.rateHz 100/);
  assert.throws(() => perceptiveRobot({ depthCamera: { minRange: 2, maxRange: 1 } }), /minRange must be less than maxRange/);
});

test('the vec env hands out extra observation batches and the final frame of an ended episode', async () => {
  const robot = perceptiveRobot({ depthCamera: { width: 8, height: 6 }, heightScan: {} });
  const task = { ...perceptiveTask('terrain-steps'), episodeSeconds: 0.1 }; // truncated after 10 ticks
  const action = new Float32Array([0.2, 0, -0.1]);
  const single = await BallbotEnv.create({ robot, task, seed: 9 });
  single.reset(9);
  let last = single.step(action);
  for (let t = 1; t < 10; t++) last = single.step(action);
  assert.ok(last.truncated, 'the single env episode ends at tick 10');
  const finalDepth = single.extraObservation(DEPTH_INPUT);
  single.close();
  const vec = await makeBallbotVecEnv({ robot, task, seed: 9, numEnvs: 1, workers: 0 });
  assert.deepEqual(Object.keys(vec.observationSpaces ?? {}), [DEPTH_INPUT, HEIGHT_SCAN_INPUT]);
  vec.reset(9);
  let step = await vec.step(action);
  for (let t = 1; t < 10; t++) step = await vec.step(action);
  assert.equal(step.truncated[0], 1);
  assert.deepEqual(step.finalExtras![DEPTH_INPUT], finalDepth, 'finalExtras holds the last frame of the old episode');
  assert.notDeepEqual(step.extras![DEPTH_INPUT], finalDepth, 'extras already holds the new episode');
  await vec.close();
  // The generic SyncVecEnv over single envs hands out the same batches.
  const sync = new SyncVecEnv([await BallbotEnv.create({ robot, task, seed: 9 }), await BallbotEnv.create({ robot, task, seed: 10 })]);
  sync.reset(9);
  let syncStep = sync.step(new Float32Array([...action, ...action]));
  for (let t = 1; t < 10; t++) syncStep = sync.step(new Float32Array([...action, ...action]));
  assert.equal(syncStep.truncated[0], 1);
  assert.deepEqual(syncStep.finalExtras![DEPTH_INPUT].subarray(0, finalDepth.length), finalDepth, 'SyncVecEnv: final frame of env 0');
  assert.deepEqual(syncStep.extras![DEPTH_INPUT].subarray(0, finalDepth.length), sync.envs[0].extraObservation!(DEPTH_INPUT), 'SyncVecEnv: env 0 already in its new episode');
  assert.notDeepEqual(syncStep.extras![DEPTH_INPUT].subarray(0, finalDepth.length), finalDepth);
  sync.close();
  // Worker threads carry the extras through shared buffers: the same rows as in-process.
  const inproc = await makeBallbotVecEnv({ robot, task, seed: 9, numEnvs: 3, workers: 0 });
  const threaded = await makeBallbotVecEnv({ robot, task, seed: 9, numEnvs: 3, workers: 2 });
  assert.deepEqual(threaded.observationSpaces, inproc.observationSpaces);
  await inproc.reset(9);
  await threaded.reset(9);
  assert.deepEqual(threaded.currentExtras(), inproc.currentExtras(), 'after reset');
  const actions = new Float32Array(9).fill(0.1);
  for (let t = 0; t < 10; t++) {
    const a = await inproc.step(actions);
    const b = await threaded.step(actions);
    assert.deepEqual(b.extras, a.extras, `extras at tick ${t + 1}`);
    if (t === 9) {
      assert.equal(a.truncated[0], 1);
      assert.deepEqual(b.finalExtras, a.finalExtras, 'final frames');
    }
  }
  await inproc.close();
  await threaded.close();
});
