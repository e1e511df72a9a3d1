// TD3's distinctive pieces on hand-computed cases: target policy smoothing (noise clipped,
// then the action clipped), the min of the twin target critics, and the delayed actor and
// target updates in the real agent.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { ReplayBuffer } from '../../training/storage/replay-buffer.js';
import { DeterministicAgent, criticTargets, isActorUpdate, smoothTargetActions, td3Options } from '../../training/algorithms/td3.js';

before(async () => {
  await initBackend({ quiet: true });
});

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-6, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol, `${what}[${i}] = ${actual[i]}, expected ${e}`));
}

test('target policy smoothing clips the noise to +-noiseClip, then the action to [-1, 1]', () => {
  // sigma 0.2, clip 0.5: eps -> noise 0.2 (kept), -0.6 -> -0.5 (clipped), 0.1, -0.2, 4 -> 0.5 (clipped)
  const mu = Float32Array.from([0.9, -0.2, 0.0, -0.95, 0.3]);
  smoothTargetActions(mu, [1, -3, 0.5, -1, 20], 0.2, 0.5);
  close(mu, [1 /* 1.1 clipped */, -0.7, 0.1, -1 /* -1.15 clipped */, 0.8], 1e-6, 'smoothed action');
});

test('critic target takes the min of the twin target critics and does not bootstrap a termination', () => {
  const out = new Float32Array(3);
  criticTargets([1, 2, -1], [0, 1, 0], [Float32Array.from([5, 7, 3]), Float32Array.from([4, 9, 6])], 0.9, out);
  close(out, [1 + 0.9 * 4, 2, -1 + 0.9 * 3], 1e-6, 'target');
  // One critic (DDPG): plain r + gamma Q'.
  criticTargets([1, 2, -1], [0, 0, 0], [Float32Array.from([5, 7, 3])], 0.5, out);
  close(out, [3.5, 5.5, 0.5], 1e-6, 'single-critic target');
});

test('delayed policy updates: the actor steps on critic updates d, 2d, 3d, ...', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((u) => isActorUpdate(u, 2)), [false, true, false, true, false, true]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((u) => isActorUpdate(u, 3)), [false, false, true, false, false, true]);
  assert.deepEqual([1, 2, 3].map((u) => isActorUpdate(u, 1)), [true, true, true]);
});

test('TD3 agent: the actor and both targets stay put until the policyDelay-th critic update, then targets move by tau', () => {
  const config = parseTrainConfig({ algo: 'td3', task: 'pendulum', totalSteps: 100, network: { actor: [8], critic: [8], activation: 'relu' }, td3: { policyDelay: 3, tau: 0.25 } }, 'test');
  const rng = new Rng(3);
  const od = 3;
  const A = 1;
  const agent = new DeterministicAgent(od, A, config, td3Options(config), rng, 16);
  assert.equal(agent.nets.critics.length, 2, 'TD3 has twin critics');
  const batch = ReplayBuffer.makeBatch(16, od, A);
  for (let i = 0; i < batch.obs.length; i++) {
    batch.obs[i] = rng.normal();
    batch.nextObs[i] = rng.normal();
  }
  for (let i = 0; i < 16; i++) {
    batch.actions[i] = rng.uniform(-1, 1);
    batch.rewards[i] = rng.normal();
  }
  const actor0 = agent.actorValues.slice();
  const actorTarget0 = agent.actorTarget.slice();
  const criticTarget0 = agent.criticTarget.slice();
  const critic0 = agent.critic.dataSync().slice();
  for (let u = 1; u <= 2; u++) {
    const s = agent.update(batch, rng);
    assert.equal(s.actorUpdated, false, `update ${u} must not step the actor`);
    assert.ok(Number.isNaN(s.actorLoss));
  }
  assert.deepEqual(agent.actor.dataSync(), actor0, 'actor unchanged before the delay');
  assert.deepEqual(agent.actorTarget, actorTarget0, 'actor target unchanged before the delay');
  assert.deepEqual(agent.criticTarget, criticTarget0, 'critic target unchanged before the delay');
  assert.notDeepEqual(agent.critic.dataSync(), critic0, 'critics are trained every update');
  const s = agent.update(batch, rng);
  assert.equal(s.actorUpdated, true);
  const actor3 = agent.actor.dataSync();
  const critic3 = agent.critic.dataSync();
  assert.notDeepEqual(actor3, actor0, 'actor steps on the third update');
  close(agent.actorTarget, Array.from(actorTarget0, (t, i) => 0.75 * t + 0.25 * actor3[i]), 1e-6, 'actor target');
  close(agent.criticTarget, Array.from(criticTarget0, (t, i) => 0.75 * t + 0.25 * critic3[i]), 1e-6, 'critic target');
  assert.equal(agent.criticUpdates, 3);
});
