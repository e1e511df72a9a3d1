// A2C's n-step returns on a hand-computed rollout (termination and truncation inside), the
// PPO settings that make one PPO update an A2C update, and why that is exact: at ratio 1 the
// gradient of the clipped surrogate is the policy gradient -A * d log pi / n.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../training/backend.js';
import { a2cAsPpo, nStepReturns } from '../../training/algorithms/a2c.js';
import { parseTrainConfig } from '../../training/config.js';
import { ppoLoss } from '../../training/algorithms/ppo.js';

before(async () => {
  await initBackend({ quiet: true });
});

test('n-step returns: discounted rewards to the rollout end plus gamma^k V(s_T); a termination stops, a truncation bootstraps V(final)', () => {
  // One env (N = 1), T = 5, gamma 0.5. Steps 0-1 then terminate at t = 1; steps 2-3 truncated at
  // t = 3 with V(final obs) = 8; step 4 is cut by the rollout end with V(s_5) = 4.
  const gamma = 0.5;
  const rewards = [1, 2, 3, 1, 2];
  const values = [0.5, 1, 2, 1, 3];
  const nextValues = [1, 777, 1, 8, 4]; // 777 follows a termination: must be ignored
  const terminated = [0, 1, 0, 0, 0];
  const dones = [0, 1, 0, 1, 0];
  const adv = new Float32Array(5);
  const ret = new Float32Array(5);
  nStepReturns({ numSteps: 5, numEnvs: 1, rewards, values, nextValues, terminated, dones, gamma }, adv, ret);
  const R1 = 2; // terminal
  const R0 = 1 + 0.5 * R1; // 2
  const R3 = 1 + 0.5 * 8; // 5: truncated, bootstraps
  const R2 = 3 + 0.5 * R3; // 5.5
  const R4 = 2 + 0.5 * 4; // 4: rollout end
  const expected = [R0, R1, R2, R3, R4];
  expected.forEach((e, i) => {
    assert.ok(Math.abs(ret[i] - e) < 1e-6, `return[${i}] = ${ret[i]}, expected ${e}`);
    assert.ok(Math.abs(adv[i] - (e - values[i])) < 1e-6, `advantage[${i}] = ${adv[i]}, expected ${e - values[i]}`);
  });
});

test('n-step returns over two envs: each column independent (row-major [t * N + e])', () => {
  const adv = new Float32Array(4);
  const ret = new Float32Array(4);
  // env 0: rewards 1, 1, V(s_2) = 10; env 1: rewards 0, 2 then terminated.
  nStepReturns({ numSteps: 2, numEnvs: 2, rewards: [1, 0, 1, 2], values: [0, 0, 0, 0], nextValues: [0, 0, 10, 5], terminated: [0, 0, 0, 1], dones: [0, 0, 0, 1], gamma: 0.9 }, adv, ret);
  const expected = [1 + 0.9 * (1 + 0.9 * 10), 0 + 0.9 * 2, 1 + 0.9 * 10, 2];
  expected.forEach((e, i) => assert.ok(Math.abs(ret[i] - e) < 1e-5, `return[${i}] = ${ret[i]}, expected ${e}`));
});

test('A2C as PPO: one epoch, one full-batch minibatch, no value clipping, lambda 1 for n-step returns', () => {
  const cfg = parseTrainConfig({ algo: 'a2c', task: 'pendulum', totalSteps: 100, a2c: { nSteps: 7, lr: 5e-4, entCoef: 0.01, vfCoef: 0.25, maxGradNorm: 0.7 } }, 'test');
  const p = a2cAsPpo(cfg);
  assert.equal(p.epochs, 1);
  assert.equal(p.numMinibatches, 1);
  assert.equal(p.stepsPerEnv, 7);
  assert.equal(p.gaeLambda, 1);
  assert.equal(p.clipValueLoss, false);
  assert.equal(p.targetKl, null);
  assert.deepEqual([p.lr, p.entCoef, p.vfCoef, p.maxGradNorm], [5e-4, 0.01, 0.25, 0.7]);
  const gae = a2cAsPpo(parseTrainConfig({ algo: 'a2c', task: 'pendulum', totalSteps: 100, a2c: { advantage: 'gae', gaeLambda: 0.9 } }, 'test'));
  assert.equal(gae.gaeLambda, 0.9);
});

test('at ratio 1 the clipped surrogate has the A2C gradient d/dlogp = -A / n (the clip is inactive)', () => {
  const adv = [2, -1, 0.5, -3];
  const mean = Float32Array.from([0.1, -0.2, 0.3, 0]);
  const actions = Float32Array.from([0.6, -1.2, 0.8, 1]);
  const std = 1.5;
  const z = Array.from(actions, (a, i) => (a - mean[i]) / std);
  // Behaviour log-probs equal to the current policy's: every ratio is 1.
  const logProbs = Float32Array.from(z, (zi) => -0.5 * zi * zi - Math.log(std) - 0.5 * Math.log(2 * Math.PI));
  const mb = { actions, means: mean, logProbs, adv: Float32Array.from(adv), returns: new Float32Array(4), values: new Float32Array(4) };
  const loss = ppoLoss(mb, 4, mean, Float32Array.of(Math.log(std)), new Float32Array(4), Float32Array.of(Math.log(std)), { clipCoef: 0.2, clipValueLoss: false, entCoef: 0, vfCoef: 0.5, schedule: 'fixed' });
  // d loss / d mean = d loss / d logp * d logp / d mean = (-A / n) * z / std.
  adv.forEach((a, i) => {
    const expected = (-a / 4) * (z[i] / std);
    assert.ok(Math.abs(loss.dMean[i] - expected) < 1e-6, `d loss / d mean[${i}] = ${loss.dMean[i]}, expected ${expected}`);
  });
});
