// The LQR-teacher warm start (ppo.imitation): the imitation loss pulls the actor's mean onto the
// teacher's actions; on the real Rapier velocity env with tracking memory the collector labels
// every row with the LQR's action on that row's observation and the envs the teacher drives
// receive it; through train(), the phase lasts `iterations` and then PPO takes over, also across
// a resume; the config refuses what the teacher cannot serve.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLqrController } from '../../sim/lqr.js';
import { ACTION_SIZE, OBS_INDEX, OBS_SIZE } from '../../sim/observation.js';
import { resolveEnvConfig } from '../../sim/ballbot-env.js';
import { Rng } from '../../sim/rng.js';
import { PpoAgent } from '../../training/algorithms/ppo.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { PpoRolloutCollector } from '../../training/runners/ppo-rollout.js';
import { RolloutStorage } from '../../training/storage/rollout-storage.js';
import { makeLqrTeacher, makeVecEnv } from '../../training/tasks.js';
import { train } from '../../training/train.js';
import { metricRows } from './metric-rows.js';

let dir: string;
const memory = { leakSeconds: 4, clipM: 0.5 };
const WIDTH = OBS_SIZE + 3; // obs, then the tracking memory

function config(over: Record<string, unknown> = {}, imitation: Record<string, unknown> = { teacher: 'lqr', iterations: 1000 }) {
  return parseTrainConfig({
    algo: 'ppo', task: 'velocity', seed: 3, totalSteps: 60 * 512, numEnvs: 16, workers: 0, evalEpisodes: 0,
    env: { randomize: true, memory }, network: { actor: [32, 32], critic: [32], activation: 'elu' },
    ppo: { stepsPerEnv: 32, epochs: 4, numMinibatches: 2, lr: 3e-3, initLogStd: -1.5, vfCoef: 0, imitation },
    ...over,
  }, 'test');
}


before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-imitation-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the imitation loss pulls the actor mean onto the teacher, leaves log std alone, ignores the advantages', () => {
  const T = 16, N = 8, OD = 5, A = 3;
  const cfg = parseTrainConfig({
    algo: 'ppo', task: 'pendulum', totalSteps: 1000, numEnvs: N, network: { actor: [32], critic: [16] },
    ppo: { stepsPerEnv: T, epochs: 4, numMinibatches: 2, lr: 3e-3, entCoef: 0.01 },
  }, 'test');
  const rng = new Rng(5);
  const agent = new PpoAgent(OD, OD, A, cfg, rng, T * N);
  const storage = new RolloutStorage(T, N, OD, OD, A);
  storage.teacherActions = new Float32Array(T * N * A);
  for (let i = 0; i < storage.obs.length; i++) storage.obs[i] = rng.normal();
  // The teacher: a fixed smooth map of the observation; advantages that would push elsewhere.
  for (let i = 0; i < T * N; i++) {
    const o = storage.obs.subarray(i * OD, (i + 1) * OD);
    for (let j = 0; j < A; j++) storage.teacherActions[i * A + j] = Math.tanh(o[j] - 0.5 * o[j + 2]);
    storage.advantages[i] = rng.normal();
    for (let j = 0; j < A; j++) storage.actions[i * A + j] = 3 * rng.normal();
  }
  const distance = () => {
    const mu = agent.meanAction(storage.obs, T * N);
    let sq = 0;
    for (let k = 0; k < mu.length; k++) sq += (mu[k] - storage.teacherActions![k]) ** 2;
    return sq / (T * N);
  };
  const logStd = agent.logStd.slice();
  const before = distance();
  agent.imitating = true;
  agent.imitationWeight = 1;
  let stats = agent.update(storage, rng);
  for (let k = 0; k < 40; k++) stats = agent.update(storage, rng);
  assert.ok(distance() < 0.1 * before, `distance to the teacher ${before} -> ${distance()}`);
  assert.ok(Math.abs(stats.imitationLoss - distance()) < 0.05 * before, 'the reported imitation loss is the distance');
  assert.deepEqual(agent.logStd, logStd);
  // Weight 0: an ordinary PPO update again; the teacher's labels are not read.
  agent.imitating = false;
  agent.imitationWeight = 0;
  assert.ok(Number.isNaN(agent.update(storage, rng).imitationLoss));
});

test('the collector labels every row with the LQR on that row\'s observation; driven envs receive the label', async () => {
  const T = 40, N = 3;
  const vec = await makeVecEnv({ task: 'velocity', options: { randomize: true, memory } }, N, 11, 0);
  const AD = ACTION_SIZE;
  const storage = new RolloutStorage(T, N, WIDTH, WIDTH, AD);
  storage.teacherActions = new Float32Array(T * N * AD);
  const collector = new PpoRolloutCollector(vec, storage, { obs: null, priv: null, reward: null }, 0, { gamma: 0.99, gaeLambda: 0.95 }, true);
  collector.teacher = await makeLqrTeacher({}, N);
  collector.teacherDrives = Uint8Array.from([1, 0, 1]);
  const cfg = parseTrainConfig({ algo: 'ppo', task: 'velocity', totalSteps: T * N, numEnvs: N, env: { memory }, network: { actor: [8], critic: [8] }, ppo: { stepsPerEnv: T, numMinibatches: 1, initLogStd: -1 } }, 'test');
  const agent = new PpoAgent(WIDTH, WIDTH, AD, cfg, new Rng(2), N);
  await collector.reset(11);
  await collector.collect(agent.policy, new Rng(4));
  await vec.close();
  // An independent LQR per env over the recorded raw observations, reset where episodes end.
  const robot = resolveEnvConfig({}).robot;
  const lqr = Array.from({ length: N }, () => createLqrController(robot));
  const expected = new Float32Array(AD);
  const raw = collector.rawObs!;
  let driven = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < N; i++) {
      const row = t * N + i;
      lqr[i].act(raw.subarray(row * WIDTH, row * WIDTH + OBS_SIZE), expected);
      assert.deepEqual(storage.teacherActions.subarray(row * AD, (row + 1) * AD), expected, `label of step ${t}, env ${i}`);
      if (storage.dones[row]) lqr[i].reset();
      else if (t + 1 < T) {
        // The next observation's previous action is what the env received.
        const prev = raw.subarray((row + N) * WIDTH + OBS_INDEX.prevAction, (row + N) * WIDTH + OBS_INDEX.prevAction + AD);
        const sample = storage.actions.subarray(row * AD, (row + 1) * AD);
        const sent = collector.teacherDrives[i] ? expected : sample.map((v) => Math.max(-1, Math.min(1, v)));
        for (let k = 0; k < AD; k++) assert.ok(Math.abs(prev[k] - sent[k]) < 1e-5, `step ${t}, env ${i}: received ${prev[k]}, sent ${sent[k]}`);
        if (collector.teacherDrives[i]) driven++;
      }
    }
  }
  assert.ok(driven > 40);
});

test('a run resumed inside the imitation phase finishes the phase, then PPO keeps `keep` of it', async () => {
  for (const keep of [0, 0.25]) {
    const runDir = join(dir, `resumed-${keep}`);
    const cfg = config({ totalSteps: 8 * 512 }, { teacher: 'lqr', iterations: 5, keep });
    await train({ config: cfg, outDir: runDir, progress: false, maxIterations: 3, skipFinish: true });
    await train({ config: cfg, outDir: runDir, resume: true, progress: false, skipFinish: true });
    const rows = metricRows(runDir);
    assert.deepEqual(rows.map((r) => Number(r.imitation_weight)), [1, 1, 1, 1, 1, keep, keep, keep]);
    // The loss is reported where the teacher labels the rollout, and only there.
    assert.deepEqual(rows.map((r) => r.imitation_loss !== ''), [true, true, true, true, true, keep > 0, keep > 0, keep > 0]);
  }
});

test('the config refuses what the LQR teacher cannot serve, naming ppo.imitation', () => {
  assert.throws(() => config({ env: { randomize: false, residual: { scale: 0.5 } } }), /ppo\.imitation.*env\.residual/s);
  assert.throws(() => config({ env: { randomize: false } }), /ppo\.imitation.*env\.memory/s);
  assert.throws(() => config({ ppo: { mode: 'async', imitation: { teacher: 'lqr', iterations: 5 } } }), /ppo\.imitation.*ppo\.mode: sync/s);
  assert.throws(() => config({ task: 'pendulum', env: {} }), /ppo\.imitation.*ballbot task/s);
  assert.throws(() => config({}, { teacher: 'mpc', iterations: 5 }), /ppo\.imitation\.teacher/);
  assert.throws(() => config({}, { teacher: 'lqr' }), /ppo\.imitation\.iterations/);
});
