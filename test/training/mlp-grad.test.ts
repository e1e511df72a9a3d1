// The hand-written MLP backward pass (mlpTensorFast) gives the same values and gradients
// w.r.t. the flat parameters and the input as tfjs autodiff (mlpTensor).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { initBackend, tf } from '../../training/backend.js';
import { ParamLayout } from '../../training/networks/flat-params.js';
import { declareMlp, initMlp, type HiddenActivation, type MlpDef } from '../../training/networks/mlp.js';
import { mlpTensor, mlpTensorFast } from '../../training/networks/mlp-tensor.js';

before(async () => {
  await initBackend({ quiet: true });
});

for (const activation of ['tanh', 'relu', 'elu'] as HiddenActivation[]) {
  test(`manual backward equals autodiff (${activation}, MLP in the middle of the flat vector)`, () => {
    const layout = new ParamLayout();
    layout.add('before', [5]);
    const def: MlpDef = { prefix: 'm', sizes: [4, 8, 6, 3], activation };
    declareMlp(layout, def);
    layout.add('after', [2]);
    const rng = new Rng(7);
    const values = new Float32Array(layout.size);
    initMlp(layout, values, def, rng, 1);
    for (let i = 0; i < values.length; i++) values[i] += 0.1 * rng.normal(); // non-zero biases too
    const theta = tf.tensor1d(values);
    const x = tf.tensor2d(Float32Array.from({ length: 10 * 4 }, () => rng.normal()), [10, 4]);
    const wOut = tf.tensor2d(Float32Array.from({ length: 30 }, () => rng.normal()), [10, 3]);
    const loss = (f: typeof mlpTensor) => (th: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.mul(tf.tanh(f(layout, th as tf.Tensor1D, def, xx as tf.Tensor2D)), wOut));
    const [gThA, gXA] = tf.grads(loss(mlpTensor))([theta, x]);
    const [gThB, gXB] = tf.grads(loss(mlpTensorFast))([theta, x]);
    const va = mlpTensor(layout, theta, def, x).dataSync();
    const vb = mlpTensorFast(layout, theta, def, x).dataSync();
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      return m;
    };
    assert.ok(maxDiff(va, vb) < 1e-6);
    const ga = gThA.dataSync();
    const gb = gThB.dataSync();
    assert.equal(gb.length, layout.size);
    assert.ok(maxDiff(ga, gb) < 1e-5, `theta grad diff ${maxDiff(ga, gb)}`);
    assert.ok(Math.max(...Array.from(ga).map(Math.abs)) > 1e-3, 'gradient should not be trivially zero');
    assert.equal(gb[0], 0); // outside the MLP's region
    assert.equal(gb[layout.size - 1], 0);
    assert.ok(maxDiff(gXA.dataSync(), gXB.dataSync()) < 1e-5);
  });
}
