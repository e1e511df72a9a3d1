// tfjs side of the encoders (encoders.ts): the forward pass over a minibatch and, for the
// PPO update, the gradient of the features with respect to the flat parameter vector given
// dLoss/dfeatures (a vector-Jacobian product through tf.grads). The rollouts use the
// plain-JS EncoderInference; a test checks the two agree.
import { tf } from '../backend.js';
import { CONV_KERNEL, CONV_PAD, CONV_STRIDE, type EncoderDef } from './encoders.js';
import type { ParamLayout } from './flat-params.js';
import { mlpTensor, paramTensor } from './mlp-tensor.js';

function activateTensor(x: tf.Tensor, a: EncoderDef['activation']): tf.Tensor {
  return a === 'tanh' ? tf.tanh(x) : a === 'relu' ? tf.relu(x) : tf.elu(x);
}

/**
 * A valid 3x3 stride-2 convolution with a hand-written gradient: the wasm backend registers
 * no 2-D filter gradient (Conv2DBackpropFilter), and its 3-D input gradient is wrong for
 * strides > 1 (checked against the cpu backend). The input gradient is the transposed
 * convolution, the filter gradient the 3-D one at depth 1; both agree with finite differences.
 */
const stridedConv = tf.customGrad(((x: tf.Tensor4D, w: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.conv2d(x, w, CONV_STRIDE, 'valid'),
    gradFunc: (dy: tf.Tensor4D, [xs, ws]: tf.Tensor[]) => {
      const [n, h, wd, c] = xs.shape as [number, number, number, number];
      const dx = tf.conv2dTranspose(dy, ws as tf.Tensor4D, [n, h, wd, c], CONV_STRIDE, 'valid');
      const x5 = tf.reshape(xs, [n, 1, h, wd, c]) as tf.Tensor5D;
      const dy5 = tf.reshape(dy, [n, 1, dy.shape[1], dy.shape[2], dy.shape[3]]);
      const dw5 = tf.grad((w5: tf.Tensor) => tf.sum(tf.mul(tf.conv3d(x5, w5 as tf.Tensor5D, [1, CONV_STRIDE, CONV_STRIDE], 'valid'), dy5)));
      return [dx, tf.reshape(dw5(tf.reshape(ws, [1, ...ws.shape])), ws.shape)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** Features [n x features] of raw input rows `raw` [n x rows*cols], differentiable in `theta`. */
export function encoderTensor(layout: ParamLayout, theta: tf.Tensor1D, def: EncoderDef, raw: tf.Tensor2D): tf.Tensor2D {
  const n = raw.shape[0];
  let x: tf.Tensor = tf.mul(raw, 1 / def.scale);
  if (def.convs.length) {
    x = tf.reshape(x, [n, def.rows, def.cols, 1]);
    for (const c of def.convs) {
      const w = paramTensor(layout, theta, `${c.prefix}.w`) as tf.Tensor4D;
      const b = paramTensor(layout, theta, `${c.prefix}.b`);
      const padded = tf.pad(x, [[0, 0], [CONV_PAD, CONV_PAD], [CONV_PAD, CONV_PAD], [0, 0]]) as tf.Tensor4D;
      x = activateTensor(tf.add(stridedConv(padded, w), b), def.activation);
    }
    x = tf.reshape(x, [n, -1]); // NHWC flattened: row, column, channel
  }
  return mlpTensor(layout, theta, def.head, x as tf.Tensor2D);
}

export class EncoderKernels {
  constructor(private readonly layout: ParamLayout, readonly def: EncoderDef) {}

  /** Features of `n` raw rows, as plain numbers [n x features]. */
  forward(values: Float32Array, raw: Float32Array, n: number): Float32Array {
    return tf.tidy(() => {
      const theta = tf.tensor1d(values);
      return encoderTensor(this.layout, theta, this.def, tf.tensor2d(raw, [n, this.def.rows * this.def.cols])).dataSync() as Float32Array;
    });
  }

  /** Add dLoss/dparameters for dLoss/dfeatures `dFeatures` [n x features] into `grad` (flat, same layout). */
  backward(values: Float32Array, raw: Float32Array, n: number, dFeatures: Float32Array, grad: Float32Array): void {
    const g = tf.tidy(() => {
      const x = tf.tensor2d(raw, [n, this.def.rows * this.def.cols]);
      const dy = tf.tensor2d(dFeatures, [n, dFeatures.length / n]);
      const vjp = tf.grad((theta: tf.Tensor) => encoderTensor(this.layout, theta as tf.Tensor1D, this.def, x));
      return vjp(tf.tensor1d(values), dy).dataSync() as Float32Array;
    });
    for (let i = 0; i < g.length; i++) if (g[i] !== 0) grad[i] += g[i];
  }
}
