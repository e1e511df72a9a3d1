// The MLP forward on tfjs kernels with the hand-written backward (MlpKernels) gives the same
// values and gradients w.r.t. the flat parameters and the input as tfjs autodiff (mlpTensor).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { initBackend, tf } from '../../training/backend.js';
import { ParamLayout } from '../../training/networks/flat-params.js';
import { declareMlp, initMlp, type HiddenActivation, type MlpDef } from '../../training/networks/mlp.js';
import { mlpTensor } from '../../training/networks/mlp-tensor.js';
import { MlpKernels } from '../../training/networks/mlp-kernels.js';

before(async () => {
  await initBackend({ quiet: true });
});

for (const activation of ['tanh', 'relu', 'elu'] as HiddenActivation[]) {
  test(`tfjs-kernel forward and hand-written backward equal tfjs autodiff (${activation}, MLP in the middle of the flat vector)`, () => {
    const layout = new ParamLayout();
    layout.add('before', [5]);
    const def: MlpDef = { prefix: 'm', sizes: [4, 8, 6, 3], activation };
    declareMlp(layout, def);
    layout.add('after', [2]);
    const rng = new Rng(7);
    const values = new Float32Array(layout.size);
    initMlp(layout, values, def, rng, 1);
    for (let i = 0; i < values.length; i++) values[i] += 0.1 * rng.normal(); // non-zero biases too
    const n = 10;
    const xv = Float32Array.from({ length: n * 4 }, () => rng.normal());
    const dOut = Float32Array.from({ length: n * 3 }, () => rng.normal());
    // Reference: loss = sum(out * dOut), so d loss / d out = dOut.
    const theta = tf.tensor1d(values);
    const x = tf.tensor2d(xv, [n, 4]);
    const wOut = tf.tensor2d(dOut, [n, 3]);
    const [gTh, gX] = tf.grads((th: tf.Tensor, xx: tf.Tensor) => tf.sum(tf.mul(mlpTensor(layout, th as tf.Tensor1D, def, xx as tf.Tensor2D), wOut)))([theta, x]);
    const ref = mlpTensor(layout, theta, def, x).dataSync();
    const kernels = new MlpKernels(layout, def);
    const before = tf.memory().numTensors;
    const pass = kernels.forward(values, x);
    const grad = new Float32Array(layout.size);
    const dx = kernels.backward(pass, dOut, grad, true)!;
    assert.equal(tf.memory().numTensors, before, 'forward + backward must free every tensor they made');
    const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = 0;
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      return m;
    };
    assert.ok(maxDiff(pass.out, ref) < 1e-6);
    const ga = gTh.dataSync();
    assert.ok(maxDiff(ga, grad) < 1e-5, `theta grad diff ${maxDiff(ga, grad)}`);
    assert.ok(Math.max(...Array.from(ga).map(Math.abs)) > 1e-3, 'gradient should not be trivially zero');
    assert.equal(grad[0], 0); // outside the MLP's region
    assert.equal(grad[layout.size - 1], 0);
    assert.ok(maxDiff(gX.dataSync(), dx) < 1e-5);
  });
}
