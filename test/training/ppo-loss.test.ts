// PPO loss pieces on known values, the hand-written loss gradient against tfjs autodiff of the
// same loss, the adaptive schedule's KL, advantage normalization and explained variance.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../training/backend.js';
import { Rng } from '../../sim/rng.js';
import { explainedVariance, normalizeInPlace, ppoLoss } from '../../training/algorithms/ppo.js';

before(async () => {
  await initBackend({ quiet: true });
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} != ${b}`);

const LOG_2PI = Math.log(2 * Math.PI);

const lossCfg = (clipValueLoss: boolean, entCoef = 0, vfCoef = 1) => ({ clipCoef: 0.2, clipValueLoss, entCoef, vfCoef, schedule: 'fixed' as const });

test('clipped surrogate, clipped value loss, approx KL and clip fraction', () => {
  // One action dim, mean 0, std 1, actions 0: logp = -0.5 log 2 pi; behaviour log-probs set so the ratios are 1, 1.5, 0.5.
  const logp = -0.5 * LOG_2PI;
  const mb = {
    actions: new Float32Array(3), means: new Float32Array(3), logProbs: Float32Array.from([logp, logp - Math.log(1.5), logp - Math.log(0.5)]),
    adv: Float32Array.from([1, 1, -1]), returns: Float32Array.from([0, 0, 5]), values: Float32Array.from([1, 1, 1]),
  };
  const t = ppoLoss(mb, 3, new Float32Array(3), new Float32Array(1), Float32Array.from([1, 2, 3]), new Float32Array(1), lossCfg(true));
  // ratios 1, 1.5, 0.5: terms max(-A r, -A clip r) = -1, max(-1.5, -1.2) = -1.2, max(0.5, 0.8) = 0.8
  close(t.pgLoss, (-1 - 1.2 + 0.8) / 3);
  // values clipped to 1, 1.2, 1.2: max of squared errors = 1, 4, 14.44 -> 0.5 * mean
  close(t.vLoss, (0.5 * (1 + 4 + 14.44)) / 3, 1e-4);
  close(t.approxKl, (0 + (0.5 - Math.log(1.5)) + (-0.5 - Math.log(0.5))) / 3);
  close(t.clipFrac, 2 / 3);
  close(t.entropy, 0.5 * (1 + LOG_2PI));
  const u = ppoLoss({ ...mb, logProbs: Float32Array.from([logp, logp, logp]) }, 3, new Float32Array(3), new Float32Array(1), Float32Array.from([1, 2, 3]), new Float32Array(1), lossCfg(false));
  close(u.vLoss, 0.5 * (1 + 4 + 4) / 3);
  close(u.pgLoss, -1 / 3);
});

/** The same loss written with tfjs ops, differentiated by tfjs: the reference for the hand-written gradient. */
function referenceLoss(mb: { actions: tf.Tensor2D; logProbs: tf.Tensor1D; adv: tf.Tensor1D; returns: tf.Tensor1D; values: tf.Tensor1D }, mean: tf.Tensor2D, logStd: tf.Tensor1D, value: tf.Tensor1D, cfg: ReturnType<typeof lossCfg>): tf.Scalar {
  const A = mb.actions.shape[1];
  const z = tf.mul(tf.sub(mb.actions, mean), tf.exp(tf.neg(logStd)));
  const logp = tf.sub(tf.mul(tf.sum(tf.square(z), 1), -0.5), tf.add(tf.sum(logStd), 0.5 * A * LOG_2PI));
  const c = cfg.clipCoef;
  const ratio = tf.exp(tf.sub(logp, mb.logProbs));
  const pg = tf.mean(tf.maximum(tf.mul(tf.neg(mb.adv), ratio), tf.mul(tf.neg(mb.adv), tf.clipByValue(ratio, 1 - c, 1 + c))));
  let v: tf.Tensor;
  if (cfg.clipValueLoss) {
    const clipped = tf.add(mb.values, tf.clipByValue(tf.sub(value, mb.values), -c, c));
    v = tf.mul(tf.mean(tf.maximum(tf.squaredDifference(value, mb.returns), tf.squaredDifference(clipped, mb.returns))), 0.5);
  } else v = tf.mul(tf.mean(tf.squaredDifference(value, mb.returns)), 0.5);
  const entropy = tf.add(tf.sum(logStd), 0.5 * A * (1 + LOG_2PI));
  return tf.add(tf.sub(pg, tf.mul(entropy, cfg.entCoef)), tf.mul(v, cfg.vfCoef)) as tf.Scalar;
}

for (const clipValueLoss of [true, false]) {
  test(`hand-written loss gradient equals tfjs autodiff (clipValueLoss ${clipValueLoss}, ratios inside and outside the clip)`, () => {
    const rng = new Rng(11);
    const n = 32;
    const A = 3;
    const mean = Float32Array.from({ length: n * A }, () => rng.normal());
    const logStd = Float32Array.from({ length: A }, () => 0.3 * rng.normal());
    const actions = Float32Array.from(mean, (m) => m + rng.normal());
    // Behaviour log-probs a bit off the current policy, so some ratios leave [0.8, 1.2].
    const logProbs = Float32Array.from({ length: n }, () => -3 + 0.5 * rng.normal());
    const adv = Float32Array.from({ length: n }, () => rng.normal());
    const returns = Float32Array.from({ length: n }, () => rng.normal());
    const values = Float32Array.from({ length: n }, () => rng.normal());
    const value = Float32Array.from(values, (v) => v + 0.4 * rng.normal());
    const cfg = lossCfg(clipValueLoss, 0.01, 0.5);
    const ours = ppoLoss({ actions, means: mean, logProbs, adv, returns, values }, n, mean, logStd, value, logStd, cfg);
    assert.ok(ours.clipFrac > 0.1 && ours.clipFrac < 0.9, `clip fraction ${ours.clipFrac}: the test should exercise both branches`);
    const mbT = { actions: tf.tensor2d(actions, [n, A]), logProbs: tf.tensor1d(logProbs), adv: tf.tensor1d(adv), returns: tf.tensor1d(returns), values: tf.tensor1d(values) };
    const f = (m: tf.Tensor, l: tf.Tensor, v: tf.Tensor) => referenceLoss(mbT, m as tf.Tensor2D, l as tf.Tensor1D, v as tf.Tensor1D, cfg);
    const { value: refLoss, grads } = tf.valueAndGrads(f)([tf.tensor2d(mean, [n, A]), tf.tensor1d(logStd), tf.tensor1d(value)]);
    const ourLoss = ours.pgLoss - cfg.entCoef * ours.entropy + cfg.vfCoef * ours.vLoss;
    close(ourLoss, refLoss.dataSync()[0], 1e-5);
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
    assert.ok(maxDiff(ours.dMean, grads[0].dataSync()) < 1e-6, `dMean differs by ${maxDiff(ours.dMean, grads[0].dataSync())}`);
    assert.ok(maxDiff(ours.dLogStd, grads[1].dataSync()) < 1e-5, `dLogStd differs by ${maxDiff(ours.dLogStd, grads[1].dataSync())}`);
    assert.ok(maxDiff(ours.dValue, grads[2].dataSync()) < 1e-6, `dValue differs by ${maxDiff(ours.dValue, grads[2].dataSync())}`);
    assert.ok(Math.max(...Array.from(ours.dMean, Math.abs)) > 1e-3, 'the gradient should not be trivially zero');
  });
}

test('analytic KL for the adaptive schedule: 0 for the same policy, the closed form otherwise', () => {
  const mb = { actions: Float32Array.from([0.5, -1]), means: Float32Array.from([0, 0]), logProbs: Float32Array.from([-2]), adv: Float32Array.from([1]), returns: new Float32Array(1), values: new Float32Array(1) };
  const cfg = { ...lossCfg(false), schedule: 'adaptive' as const };
  const same = ppoLoss(mb, 1, Float32Array.from([0, 0]), Float32Array.from([0, 0]), new Float32Array(1), Float32Array.from([0, 0]), cfg);
  close(same.policyKl, 0);
  const moved = ppoLoss(mb, 1, Float32Array.from([1, 0]), Float32Array.from([Math.log(2), 0]), new Float32Array(1), Float32Array.from([0, 0]), cfg);
  // KL(N(0,1) || N(1,2^2)) in dim 0 = log 2 + (1 + 1) / 8 - 0.5; dim 1 is 0.
  close(moved.policyKl, Math.log(2) + 2 / 8 - 0.5);
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
