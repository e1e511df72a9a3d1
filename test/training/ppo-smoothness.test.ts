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
