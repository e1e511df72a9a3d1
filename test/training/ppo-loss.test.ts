// PPO loss pieces on known values, the Gaussian log-prob, advantage normalization and
// explained variance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../training/backend.js';
import { explainedVariance, gaussianLogProb, normalizeInPlace, ppoLossTerms } from '../../training/algorithms/ppo.js';

before(async () => {
  await initBackend({ quiet: true });
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

test('clipped surrogate, clipped value loss, approx KL and clip fraction', () => {
  const t = ppoLossTerms({
    logp: tf.tensor1d([0, Math.log(1.5), Math.log(0.5)]),
    oldLogp: tf.tensor1d([0, 0, 0]),
    adv: tf.tensor1d([1, 1, -1]),
    value: tf.tensor1d([1, 2, 3]),
    oldValues: tf.tensor1d([1, 1, 1]),
    returns: tf.tensor1d([0, 0, 5]),
    clipCoef: 0.2,
    clipValueLoss: true,
  });
  // ratios 1, 1.5, 0.5: terms max(-A r, -A clip r) = -1, max(-1.5, -1.2) = -1.2, max(0.5, 0.8) = 0.8
  close(t.pgLoss.dataSync()[0], (-1 - 1.2 + 0.8) / 3);
  // values clipped to 1, 1.2, 1.2: max of squared errors = 1, 4, 14.44 -> 0.5 * mean
  close(t.vLoss.dataSync()[0], (0.5 * (1 + 4 + 14.44)) / 3, 1e-4);
  close(t.approxKl.dataSync()[0], (0 + (0.5 - Math.log(1.5)) + (-0.5 - Math.log(0.5))) / 3);
  close(t.clipFrac.dataSync()[0], 2 / 3);
  const u = ppoLossTerms({
    logp: tf.tensor1d([0, 0, 0]), oldLogp: tf.tensor1d([0, 0, 0]), adv: tf.tensor1d([1, 1, -1]),
    value: tf.tensor1d([1, 2, 3]), oldValues: tf.tensor1d([1, 1, 1]), returns: tf.tensor1d([0, 0, 5]), clipCoef: 0.2, clipValueLoss: false,
  });
  close(u.vLoss.dataSync()[0], 0.5 * (1 + 4 + 4) / 3);
  close(u.pgLoss.dataSync()[0], -1 / 3);
});

test('Gaussian log-prob matches the closed form', () => {
  const lp = gaussianLogProb(tf.tensor2d([[0.5, -1]]), tf.tensor2d([[0, 0]]), tf.tensor1d([Math.log(2), 0])).dataSync()[0];
  const n = (x: number, s: number) => -0.5 * (x / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
  close(lp, n(0.5, 2) + n(-1, 1));
});

test('advantage normalization gives zero mean and unit (unbiased) std', () => {
  const x = Float32Array.from([1, 2, 3, 4, 10]);
  normalizeInPlace(x);
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const varU = x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1);
  close(mean, 0);
  close(varU, 1, 1e-4);
});

test('explained variance: 1 for a perfect fit, 0 for predicting the mean, negative when worse', () => {
  const y = [1, 2, 3, 4];
  close(explainedVariance(y, y), 1);
  close(explainedVariance([2.5, 2.5, 2.5, 2.5], y), 0);
  assert.ok(explainedVariance([4, 3, 2, 1], y) < 0);
});
