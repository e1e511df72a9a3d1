// GAE against a hand-computed case with a termination and a time-limit truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeGae } from '../../training/storage/gae.js';

test('GAE: termination cuts bootstrap and trace; truncation bootstraps from V(final obs) but cuts the trace', () => {
  // Two envs, four steps (row-major [t * N + e]). Env 0: terminated at t=1, truncated at t=3
  // with V(final obs) = 10. Env 1: never ends; V(obs after the rollout) = 3.
  const gamma = 0.9;
  const lambda = 0.8;
  const rewards = [1, 1, 2, 1, 3, 1, 4, 1];
  const values = [0.5, 2, 1, 2, 1.5, 2, 2, 2];
  const nextValues = [1, 2, 999, 2, 2, 2, 10, 3]; // 999: after a termination, must be ignored
  const terminated = [0, 0, 1, 0, 0, 0, 0, 0];
  const dones = [0, 0, 1, 0, 0, 0, 1, 0];
  const adv = new Float32Array(8);
  const ret = new Float32Array(8);
  computeGae({ numSteps: 4, numEnvs: 2, rewards, values, nextValues, terminated, dones, gamma, lambda }, adv, ret);
  // Env 0 by hand:
  const a3 = 4 + 0.9 * 10 - 2; // truncated: bootstrap from V(final) = 11
  const a2 = 3 + 0.9 * 2 - 1.5 + 0.9 * 0.8 * a3; // 3.3 + 7.92 = 11.22
  const a1 = 2 + 0 - 1; // terminated: no bootstrap, no carry = 1
  const a0 = 1 + 0.9 * 1 - 0.5 + 0.9 * 0.8 * a1; // 1.4 + 0.72 = 2.12
  // Env 1: constant reward 1, values 2, next values 2 then 3 at the end.
  const b3 = 1 + 0.9 * 3 - 2; // 1.7
  const b2 = 1 + 0.9 * 2 - 2 + 0.72 * b3;
  const b1 = 1 + 0.9 * 2 - 2 + 0.72 * b2;
  const b0 = 1 + 0.9 * 2 - 2 + 0.72 * b1;
  const expected = [a0, b0, a1, b1, a2, b2, a3, b3];
  expected.forEach((e, i) => assert.ok(Math.abs(adv[i] - e) < 1e-5, `advantage[${i}] = ${adv[i]}, expected ${e}`));
  expected.forEach((e, i) => assert.ok(Math.abs(ret[i] - (e + values[i])) < 1e-5, `return[${i}]`));
  assert.ok(Math.abs(a3 - 11) < 1e-12 && Math.abs(a2 - 11.22) < 1e-12 && Math.abs(a0 - 2.12) < 1e-12);
});

test('GAE with lambda 1 and no episode end equals discounted return minus value', () => {
  const T = 5;
  const rewards = [1, 2, 3, 4, 5];
  const values = [0, 0, 0, 0, 0];
  const nextValues = [0, 0, 0, 0, 7];
  const zeros = [0, 0, 0, 0, 0];
  const adv = new Float32Array(T);
  const ret = new Float32Array(T);
  computeGae({ numSteps: T, numEnvs: 1, rewards, values, nextValues, terminated: zeros, dones: zeros, gamma: 0.5, lambda: 1 }, adv, ret);
  const g = 0.5;
  const expected0 = 1 + g * 2 + g ** 2 * 3 + g ** 3 * 4 + g ** 4 * 5 + g ** 5 * 7;
  assert.ok(Math.abs(adv[0] - expected0) < 1e-5);
});
