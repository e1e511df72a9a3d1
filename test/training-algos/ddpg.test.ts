// DDPG's target update on a hand-computed case, and the DDPG agent: one critic, no smoothing,
// actor and polyak target update after every critic update.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig } from '../../training/config.js';
import { ddpgOptions } from '../../training/algorithms/ddpg.js';
import { ReplayBuffer } from '../../training/storage/replay-buffer.js';
import { DeterministicAgent, polyakUpdate } from '../../training/algorithms/td3.js';

before(async () => {
  await initBackend({ quiet: true });
});

test('polyak target update: target <- (1 - tau) target + tau source', () => {
  const target = Float32Array.from([0, 1, 2, -4]);
  polyakUpdate(target, [10, -1, 2, 4], 0.1);
  const expected = [1, 0.8, 2, -3.2];
  expected.forEach((e, i) => assert.ok(Math.abs(target[i] - e) < 1e-6, `target[${i}] = ${target[i]}, expected ${e}`));
  polyakUpdate(target, [5, 5, 5, 5], 1); // tau 1: hard copy
  assert.deepEqual(Array.from(target), [5, 5, 5, 5]);
});

test('DDPG options: one critic, no target smoothing, no delay', () => {
  const config = parseTrainConfig({ algo: 'ddpg', task: 'pendulum', totalSteps: 100, ddpg: { tau: 0.01, gamma: 0.98 } }, 'test');
  const o = ddpgOptions(config);
  assert.equal(o.numCritics, 1);
  assert.equal(o.policyNoise, 0);
  assert.equal(o.policyDelay, 1);
  assert.equal(o.tau, 0.01);
  assert.equal(o.gamma, 0.98);
});

test('DDPG agent: every update moves the actor and polyak-averages both targets towards the new weights', () => {
  const config = parseTrainConfig({ algo: 'ddpg', task: 'pendulum', totalSteps: 100, network: { actor: [8], critic: [8], activation: 'relu' }, ddpg: { tau: 0.1 } }, 'test');
  const rng = new Rng(5);
  const agent = new DeterministicAgent(3, 1, config, ddpgOptions(config), rng, 8);
  assert.equal(agent.nets.critics.length, 1);
  const batch = ReplayBuffer.makeBatch(8, 3, 1);
  for (let i = 0; i < batch.obs.length; i++) {
    batch.obs[i] = rng.normal();
    batch.nextObs[i] = rng.normal();
  }
  for (let i = 0; i < 8; i++) {
    batch.actions[i] = rng.uniform(-1, 1);
    batch.rewards[i] = 1 + rng.normal();
  }
  let actorTarget = agent.actorTarget.slice();
  let criticTarget = agent.criticTarget.slice();
  for (let u = 0; u < 2; u++) {
    const before = agent.actorValues.slice();
    const s = agent.update(batch, rng);
    assert.equal(s.actorUpdated, true);
    assert.notDeepEqual(agent.actorValues, before, 'actor moved');
    const actor = agent.actor.dataSync();
    const critic = agent.critic.dataSync();
    for (let i = 0; i < actor.length; i++) assert.ok(Math.abs(agent.actorTarget[i] - (0.9 * actorTarget[i] + 0.1 * actor[i])) < 1e-6);
    for (let i = 0; i < critic.length; i++) assert.ok(Math.abs(agent.criticTarget[i] - (0.9 * criticTarget[i] + 0.1 * critic[i])) < 1e-6);
    actorTarget = agent.actorTarget.slice();
    criticTarget = agent.criticTarget.slice();
  }
});
