// TD3, DDPG and A2C through the real `train()` path on the pendulum task: the exported ONNX
// artifact (run by onnxruntime-node) equals the plain-JS actor, TD3 exports its EMA weights
// when asked, --resume continues a TD3 run deterministically, and A2C runs as one full-batch epoch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../sim/rng.js';
import { initBackend } from '../../training/backend.js';
import { loadCheckpoint } from '../../training/io/checkpoint.js';
import { parseTrainConfig } from '../../training/config.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import { loadRunPolicy, specActions } from '../../training/io/run-policy.js';
import { train } from '../../training/train.js';

let dir: string;
before(async () => {
  await initBackend({ quiet: true });
  dir = mkdtempSync(join(tmpdir(), 'ballbot-algos-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const small = { actor: [16], critic: [16], activation: 'relu' };

function td3Config(extra: Record<string, unknown> = {}) {
  return parseTrainConfig({
    algo: 'td3', task: 'pendulum', seed: 4, totalSteps: 3000, numEnvs: 1, network: small, normalizeObs: false, checkpointEvery: 1, evalEpisodes: 0,
    td3: { learningStarts: 1000, batchSize: 16, utd: 0.05, ema: { decay: 0.9, export: true }, ...extra },
  }, 'test');
}

test('TD3: the exported ONNX policy is the EMA actor and matches the plain-JS forward pass', async () => {
  const out = join(dir, 'td3-ema');
  const r = await train({ config: { ...td3Config(), totalSteps: 1500, evalEpisodes: 2 }, outDir: out, progress: false });
  assert.ok(r.policyFile && existsSync(r.policyFile));
  assert.equal(r.eval?.episodes, 2);
  const ckpt = loadCheckpoint<{ agent: { actor: Float32Array; ema: { values: Float32Array; updates: number } } }>(out);
  const { actor, ema } = ckpt.state.agent;
  assert.ok(ema.updates > 0, 'EMA was updated');
  assert.notDeepEqual(ema.values, actor, 'EMA differs from the raw actor');
  const policy = loadRunPolicy(out);
  assert.equal(policy.algo, 'td3');
  assert.deepEqual(policy.spec.layers[0].weights, ema.values.subarray(0, 3 * 16), 'first layer holds the EMA weights');
  // The same run exported with ema.export = false uses the raw weights.
  const raw = loadRunPolicy(out);
  const rawSpec = (await import('../../training/networks/deterministic-policy.js')).deterministicRunSpec('td3', { ...policy.config, td3: { ...policy.config.td3, ema: { decay: 0.9, export: false } } }, policy.envInfo, ckpt.state.agent, {});
  assert.deepEqual(rawSpec.layers[0].weights, actor.subarray(0, 3 * 16));
  assert.equal(raw.spec.layers.at(-1)!.activation, 'linear', 'tanh output rescaled to the torque bounds by a last linear layer');
  const pendulum = { caller: 'test', robot: null, inputs: { obs: policy.envInfo.obsNames ?? ['obs_0', 'obs_1', 'obs_2'] }, actionLayout: policy.envInfo.actNames ?? ['action_0'], recurrentState: false, baseControllers: [] };
  const onnx = await OnnxPolicy.load(r.policyFile!, pendulum);
  const rng = new Rng(9);
  const n = 64;
  const obs = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const th = rng.uniform(-Math.PI, Math.PI);
    obs.set([Math.cos(th), Math.sin(th), rng.uniform(-8, 8)], i * 3);
  }
  const viaOnnx = new Float32Array(n);
  for (let i = 0; i < n; i++) onnx.act(obs.subarray(i * 3, i * 3 + 3), viaOnnx.subarray(i, i + 1));
  const viaJs = specActions(policy.spec, policy.envInfo, obs, n, new Float32Array(n));
  for (let i = 0; i < n; i++) assert.ok(Math.abs(viaOnnx[i] - viaJs[i]) < 1e-4, `action ${i}: onnx ${viaOnnx[i]} vs js ${viaJs[i]}`);
});

test('TD3: resuming the same checkpoint twice continues identically (agent, targets, EMA, noise, buffer, counters)', async () => {
  // Env state is not checkpointed (the runners reset the envs on resume, as PPO and SAC do),
  // so the check is determinism of the continuation from a checkpoint.
  const config = td3Config({ noise: { type: 'ou', sigma: 0.3 } });
  const first = join(dir, 'td3-a');
  await train({ config, outDir: first, progress: false, skipFinish: true, maxIterations: 2 });
  assert.equal(loadCheckpoint<{ envSteps: number }>(first).state.envSteps, 2000);
  const second = join(dir, 'td3-b');
  cpSync(first, second, { recursive: true });
  await train({ config, outDir: first, resume: true, progress: false, skipFinish: true });
  await train({ config, outDir: second, resume: true, progress: false, skipFinish: true });
  type S = { envSteps: number; updates: number; noise: Float32Array; agent: { actor: Float32Array; critic: Float32Array; actorTarget: Float32Array; criticTarget: Float32Array; criticUpdates: number; ema: { values: Float32Array } } };
  const a = loadCheckpoint<S>(first).state;
  const b = loadCheckpoint<S>(second).state;
  assert.equal(a.envSteps, 3000);
  assert.equal(a.agent.criticUpdates, 100, '(3000 - 1000) steps x utd 0.05');
  assert.equal(b.agent.criticUpdates, a.agent.criticUpdates);
  assert.deepEqual(b.agent.actor, a.agent.actor);
  assert.deepEqual(b.agent.critic, a.agent.critic);
  assert.deepEqual(b.agent.actorTarget, a.agent.actorTarget);
  assert.deepEqual(b.agent.criticTarget, a.agent.criticTarget);
  assert.deepEqual(b.agent.ema.values, a.agent.ema.values);
  assert.deepEqual(b.noise, a.noise, 'OU noise state restored');
});

test('DDPG and A2C train through --algo dispatch and export a policy', async () => {
  const ddpg = parseTrainConfig({
    algo: 'ddpg', task: 'pendulum', totalSteps: 1200, numEnvs: 2, network: small, normalizeObs: false, evalEpisodes: 2,
    ddpg: { learningStarts: 1000, batchSize: 16, utd: 0.1 },
  }, 'test');
  const d = await train({ config: ddpg, outDir: join(dir, 'ddpg'), progress: false });
  assert.equal(loadRunPolicy(join(dir, 'ddpg')).algo, 'ddpg');
  assert.ok(d.policyFile && existsSync(d.policyFile));
  const a2c = parseTrainConfig({ algo: 'a2c', task: 'pendulum', totalSteps: 320, numEnvs: 4, network: { actor: [16], critic: [16], activation: 'tanh' }, evalEpisodes: 2, a2c: { nSteps: 16 } }, 'test');
  const r = await train({ config: a2c, outDir: join(dir, 'a2c'), progress: false });
  assert.equal(r.envSteps, 320);
  assert.equal(r.iteration, 5, '320 steps / (4 envs x 16 steps)');
  const policy = loadRunPolicy(join(dir, 'a2c'));
  assert.equal(policy.algo, 'a2c');
  assert.equal(policy.config.ppo.epochs, 1, 'the checkpoint holds the derived one-epoch PPO settings');
  assert.equal(policy.config.ppo.numMinibatches, 1);
  assert.ok(r.policyFile && existsSync(r.policyFile));
  assert.ok(Number.isFinite(r.eval?.meanReturn));
});
