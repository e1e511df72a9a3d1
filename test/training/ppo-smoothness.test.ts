// CAPS temporal smoothness: with no advantage signal, the term alone pulls the policy mean of
// consecutive steps of one episode together; without it the actor does not move at all.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../training/backend.js';
import { Rng } from '../../sim/rng.js';
import { PpoAgent } from '../../training/algorithms/ppo.js';
import { parseTrainConfig } from '../../training/config.js';
import { RolloutStorage } from '../../training/storage/rollout-storage.js';

before(async () => {
  await initBackend();
});

const T = 16, N = 4, OD = 4, A = 2;

function setup(temporalSmoothness: number) {
  const config = parseTrainConfig({
    algo: 'ppo', task: 'pendulum', totalSteps: 1000, numEnvs: N, network: { actor: [16], critic: [16] },
    ppo: { stepsPerEnv: T, epochs: 4, numMinibatches: 2, lr: 3e-3, entCoef: 0, normAdvantages: false, temporalSmoothness },
  }, 'test');
  const rng = new Rng(3);
  const agent = new PpoAgent(OD, OD, A, config, rng, T * N);
  // A bigger initial head than the default 0.01, so the means differ between steps.
  for (let i = 0; i < agent.values.length; i++) agent.values[i] += 0.3 * rng.normal();
  const storage = new RolloutStorage(T, N, OD, OD, A);
  for (let i = 0; i < storage.obs.length; i++) storage.obs[i] = rng.normal();
  storage.dones[5 * N + 1] = 1; // env 1's episode ends at step 5: (5, 6) is not a pair
  return { agent, storage, rng };
}

/** Mean |mu(s_t) - mu(s_t+1)|^2 over the rollout's pairs within an episode. */
function changes(agent: PpoAgent, storage: RolloutStorage): { within: number } {
  const mu = agent.meanAction(storage.obs, T * N).slice();
  const d2 = (i: number) => Array.from({ length: A }, (_, j) => (mu[i * A + j] - mu[(i + N) * A + j]) ** 2).reduce((a, b) => a + b, 0);
  let sum = 0, n = 0;
  for (let i = 0; i + N < T * N; i++) if (!storage.dones[i]) { sum += d2(i); n++; }
  return { within: sum / n };
}

test('temporal smoothness pulls the means of consecutive steps together', () => {
  const { agent, storage, rng } = setup(5);
  const before = changes(agent, storage);
  for (let k = 0; k < 10; k++) agent.update(storage, rng);
  const after = changes(agent, storage);
  assert.ok(after.within < 0.5 * before.within, `within-episode change ${before.within} -> ${after.within}`);
});

test('without the term and without advantages the actor does not move', () => {
  const { agent, storage, rng } = setup(0);
  const before = agent.meanAction(storage.obs, T * N).slice();
  for (let k = 0; k < 3; k++) agent.update(storage, rng);
  assert.deepEqual(Array.from(agent.meanAction(storage.obs, T * N)), Array.from(before));
});

test('with a perception encoder the term reaches the next step through the encoder', async () => {
  // The observation is the same at every step and only the height scan changes, so the pulled
  // pairs differ only in what the encoder reads of the next step's scan.
  const { randomAgent, config } = await import('./perceptive-fixture.js');
  const extras = [{ name: 'height_scan', shape: [11, 11] }];
  const { agent: base, rng } = await randomAgent(5, extras);
  const smooth = { ...config, ppo: { ...config.ppo, stepsPerEnv: T, epochs: 4, numMinibatches: 2, lr: 3e-3, entCoef: 0, normAdvantages: false, temporalSmoothness: 5 } };
  const agent = new PpoAgent(15, 15, 3, smooth, new Rng(1), T * N, extras);
  agent.values.set(base.values);
  const storage = new RolloutStorage(T, N, 15, 15, 3, { height_scan: 121 });
  const scan = storage.extras.height_scan;
  for (let i = 0; i < scan.length; i++) scan[i] = rng.normal();
  for (let i = 0; i < T * N; i++) storage.obs.set(Float32Array.from({ length: 15 }, (_, j) => 0.1 * j), i * 15);
  const change = () => {
    const mu = agent.meanAction(storage.obs, T * N, { height_scan: scan }).slice();
    let sum = 0;
    for (let i = 0; i + N < T * N; i++) for (let j = 0; j < 3; j++) sum += (mu[i * 3 + j] - mu[(i + N) * 3 + j]) ** 2;
    return sum;
  };
  const before = change();
  for (let k = 0; k < 10; k++) agent.update(storage, rng);
  const after = change();
  assert.ok(after < 0.5 * before, `within-episode change ${before} -> ${after}`);
});
