// tfjs side of the encoders (encoders.ts): the forward pass over a minibatch and, for the
// PPO update, the gradient of the features with respect to the flat parameter vector given
// dLoss/dfeatures (a vector-Jacobian product through tf.grads). The rollouts use the
// plain-JS EncoderInference; a test checks the two agree.
import { tf } from '../backend.js';
import { CONV_PAD, CONV_STRIDE, type EncoderDef } from './encoders.js';
import type { ParamLayout } from './flat-params.js';
import { mlpTensor, paramTensor } from './mlp-tensor.js';

function activateTensor(x: tf.Tensor, a: EncoderDef['activation']): tf.Tensor {
  return a === 'tanh' ? tf.tanh(x) : a === 'relu' ? tf.relu(x) : tf.elu(x);
}

/** Features [n x features] of raw input rows `raw` [n x rows*cols], differentiable in `theta`. */
export function encoderTensor(layout: ParamLayout, theta: tf.Tensor1D, def: EncoderDef, raw: tf.Tensor2D): tf.Tensor2D {
  const n = raw.shape[0];
  let x: tf.Tensor = tf.mul(raw, 1 / def.scale);
  if (def.convs.length) {
    x = tf.reshape(x, [n, def.rows, def.cols, 1]);
    for (const c of def.convs) {
      const w = paramTensor(layout, theta, `${c.prefix}.w`) as tf.Tensor4D;
      const b = paramTensor(layout, theta, `${c.prefix}.b`);
      x = activateTensor(tf.add(tf.conv2d(x as tf.Tensor4D, w, CONV_STRIDE, CONV_PAD), b), def.activation);
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
