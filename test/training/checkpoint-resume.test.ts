// Checkpoints: the learner state round-trips exactly, resuming the same checkpoint twice
// continues identically (optimizer, normalizer, RNG, counters restored), and the exported
// ONNX actor equals the tfjs actor within 1e-5 on 1000 random observations.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../sim/rng.js';
import { initBackend, tf } from '../../training/backend.js';
import { loadCheckpoint } from '../../training/io/checkpoint.js';
import { parseTrainConfig, type TrainConfig } from '../../training/config.js';
import { exportRunPolicy } from '../../training/io/export-policy.js';
import { mlpTensor } from '../../training/networks/mlp-tensor.js';
import { PpoAgent, type PpoState } from '../../training/algorithms/ppo.js';
import { loadRunPolicy } from '../../training/io/run-policy.js';
import { RunningNormalizer, type NormalizerState } from '../../training/storage/running-normalizer.js';
import { train } from '../../training/train.js';

before(async () => {
  await initBackend({ quiet: true });
});

function ppoConfig(): TrainConfig {
  return parseTrainConfig(
    {
      algo: 'ppo', task: 'pendulum', seed: 3, totalSteps: 100000, numEnvs: 2, checkpointEvery: 1, evalEpisodes: 0,
      network: { actor: [16, 16], critic: [16, 16] },
      ppo: { stepsPerEnv: 64, epochs: 2, numMinibatches: 4, schedule: 'adaptive', normalizeReward: true },
    },
    'test',
  );
}

function sacConfig(): TrainConfig {
  return parseTrainConfig(
    {
      algo: 'sac', task: 'pendulum', seed: 4, totalSteps: 100000, numEnvs: 1, checkpointEvery: 1, evalEpisodes: 0, normalizeObs: true,
      network: { actor: [16, 16], critic: [16, 16], activation: 'relu' },
      sac: { learningStarts: 900, batchSize: 16, bufferSize: 5000 },
    },
    'test',
  );
}

function latestState(dir: string): Record<string, unknown> {
  return loadCheckpoint<Record<string, unknown>>(dir).state;
}

for (const [name, makeConfig] of [['PPO', ppoConfig], ['SAC', sacConfig]] as const) {
  test(`${name}: resuming the same checkpoint twice gives bit-identical runs; counters and metrics continue`, async () => {
    const root = mkdtempSync(join(tmpdir(), `resume-${name}-`));
    try {
      const a = join(root, 'a');
      const config = makeConfig();
      await train({ config, outDir: a, progress: false, maxIterations: 2, skipFinish: true });
      const mid = latestState(a);
      assert.equal(mid.iteration, 2);
      const b = join(root, 'b');
      cpSync(a, b, { recursive: true });
      await train({ config, outDir: a, resume: true, progress: false, maxIterations: 1, skipFinish: true });
      await train({ config, outDir: b, resume: true, progress: false, maxIterations: 1, skipFinish: true });
      const sa = latestState(a);
      const sb = latestState(b);
      assert.equal(sa.iteration, 3);
      assert.equal(sa.envSteps, (mid.envSteps as number) + (name === 'PPO' ? 128 : 1000));
      assert.deepEqual(sa.agent, sb.agent);
      assert.deepEqual(sa.rng, sb.rng);
      assert.deepEqual(sa.normalizer, sb.normalizer);
      // The learner actually moved during the resumed iteration.
      assert.notDeepEqual(sa.agent, mid.agent);
      const csv = readFileSync(join(a, 'metrics.csv'), 'utf8').trim().split('\n');
      assert.deepEqual(csv.slice(1).map((l) => Number(l.split(',')[0])), [1, 2, 3]);
      // A fresh run refuses to overwrite an existing one.
      await assert.rejects(train({ config, outDir: a, progress: false, maxIterations: 1, skipFinish: true }), /already holds a run/);
      assert.ok(readdirSync(join(a, 'checkpoints')).every((f) => !f.includes('.tmp')), 'temp files left behind');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
}

test('PPO agent state round-trips through a checkpoint exactly', async () => {
  const root = mkdtempSync(join(tmpdir(), 'roundtrip-'));
  try {
    const config = ppoConfig();
    await train({ config, outDir: root, progress: false, maxIterations: 1, skipFinish: true });
    const s = latestState(root) as { agent: PpoState };
    const agent = new PpoAgent(3, 3, 1, config, new Rng(99), 2);
    agent.setState(s.agent);
    const back = agent.getState();
    assert.deepEqual(back.theta, s.agent.theta);
    assert.deepEqual(back.adam.m, s.agent.adam.m);
    assert.deepEqual(back.adam.v, s.agent.adam.v);
    assert.equal(back.adam.t, s.agent.adam.t);
    assert.equal(back.lr, s.agent.lr);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('exported ONNX actor equals the tfjs actor within 1e-5 on 1000 random observations', async () => {
  const root = mkdtempSync(join(tmpdir(), 'export-'));
  try {
    const config = ppoConfig();
    await train({ config, outDir: root, progress: false, maxIterations: 2, skipFinish: true });
    const s = latestState(root) as { agent: PpoState; normalizer: NormalizerState };
    const file = join(root, 'policy.onnx');
    exportRunPolicy(loadRunPolicy(root), file);
    assert.ok(existsSync(file));
    const agent = new PpoAgent(3, 3, 1, config, new Rng(0), 2);
    agent.setState(s.agent);
    const norm = new RunningNormalizer(3, config.obsClip);
    norm.setState(s.normalizer);
    const n = 1000;
    const rng = new Rng(8);
    const obs = Float32Array.from({ length: n * 3 }, () => rng.normal() * 3);
    const x = norm.normalize(obs, new Float32Array(n * 3), n);
    const ref = tf.tidy(() => tf.clipByValue(mlpTensor(agent.layout, tf.tensor1d(agent.values), agent.actorDef, tf.tensor2d(x, [n, 3])), -2, 2).dataSync());
    const session = await ort.InferenceSession.create(file);
    const out = (await session.run({ obs: new ort.Tensor('float32', obs, [n, 3]) })).action.data as Float32Array;
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, Math.abs(out[i] - ref[i]));
    assert.ok(maxErr < 1e-5, `max error ${maxErr}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
