// The tanh-squashed Gaussian log-prob (with the change-of-variables correction) is a proper
// density over (-1, 1): check it against numerical integration and the Gaussian CDF.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../training/backend.js';
import { squashedLogProb } from '../../training/algorithms/sac.js';

before(async () => {
  await initBackend({ quiet: true });
});

function densityOverA(mu: number, logStd: number, as: number[]): Float32Array {
  // For each action a in (-1, 1) the pre-squash sample is u = atanh(a).
  const u = as.map((a) => Math.atanh(a));
  return tf.exp(squashedLogProb(tf.tensor2d(u, [u.length, 1]), tf.tensor2d(as.map(() => mu), [u.length, 1]), tf.tensor2d(as.map(() => logStd), [u.length, 1]))).dataSync() as Float32Array;
}

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is too coarse; integrate the normal density instead.
  const n = 20000;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const t = ((i + 0.5) / n) * x;
    s += Math.exp(-t * t);
  }
  return ((2 / Math.sqrt(Math.PI)) * s * x) / n;
}

for (const [mu, sigma] of [[0.3, 0.5], [-0.8, 0.3], [0, 1]] as const) {
  test(`squashed density integrates to 1 and matches the Gaussian CDF (mu ${mu}, sigma ${sigma})`, () => {
    const n = 20000;
    const as: number[] = [];
    for (let i = 0; i < n; i++) as.push(-1 + (2 * (i + 0.5)) / n);
    const p = densityOverA(mu, Math.log(sigma), as);
    let total = 0;
    let below = 0;
    const cut = 0.2;
    for (let i = 0; i < n; i++) {
      total += (p[i] * 2) / n;
      if (as[i] < cut) below += (p[i] * 2) / n;
    }
    assert.ok(Math.abs(total - 1) < 2e-3, `integral ${total}`);
    // P(tanh(u) < cut) = P(u < atanh(cut)) = Phi((atanh(cut) - mu) / sigma)
    const z = (Math.atanh(cut) - mu) / sigma;
    const cdf = 0.5 * (1 + erf(z / Math.SQRT2));
    assert.ok(Math.abs(below - cdf) < 2e-3, `P(a < ${cut}) = ${below}, Gaussian CDF ${cdf}`);
  });
}

test('the stable log(1 - tanh(u)^2) form agrees with the direct one where both are accurate', () => {
  const u = [-2, -0.5, 0, 0.7, 1.9];
  const lp = squashedLogProb(tf.tensor2d(u, [5, 1]), tf.zeros([5, 1]) as tf.Tensor2D, tf.zeros([5, 1]) as tf.Tensor2D).dataSync();
  u.forEach((x, i) => {
    const direct = -0.5 * x * x - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(x) ** 2);
    assert.ok(Math.abs(lp[i] - direct) < 1e-4, `u=${x}: ${lp[i]} vs ${direct}`);
  });
});
