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

/** dLoss/dfilter [k][k][in][out] of a valid stride-2 convolution of x [n, h, w, in] with output gradient dy [n, oh, ow, out]. */
function convFilterGrad(x: Float32Array, dy: Float32Array, [n, h, w, c]: number[], [, oh, ow, o]: number[]): Float32Array {
  const K = CONV_KERNEL;
  const g = new Float32Array(K * K * c * o);
  for (let r = 0; r < n; r++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const d0 = ((r * oh + oy) * ow + ox) * o;
        for (let ky = 0; ky < K; ky++) {
          for (let kx = 0; kx < K; kx++) {
            const x0 = ((r * h + oy * CONV_STRIDE + ky) * w + ox * CONV_STRIDE + kx) * c;
            const g0 = (ky * K + kx) * c * o;
            for (let ci = 0; ci < c; ci++) {
              const xv = x[x0 + ci];
              if (xv === 0) continue;
              for (let oo = 0; oo < o; oo++) g[g0 + ci * o + oo] += xv * dy[d0 + oo];
            }
          }
        }
      }
    }
  }
  return g;
}

/**
 * A valid 3x3 stride-2 convolution with a hand-written gradient: the wasm backend registers
 * no 2-D filter gradient (Conv2DBackpropFilter), and the 3-D kernels' gradients disagree with
 * finite differences for this stride. The input gradient is the transposed convolution (a
 * registered kernel), the filter gradient a plain-JS sum; the test checks both numerically.
 */
const stridedConv = tf.customGrad(((x: tf.Tensor4D, w: tf.Tensor4D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.conv2d(x, w, CONV_STRIDE, 'valid'),
    gradFunc: (dy: tf.Tensor4D, [xs, ws]: tf.Tensor[]) => {
      const [n, h, wd, c] = xs.shape as [number, number, number, number];
      const dx = tf.conv2dTranspose(dy, ws as tf.Tensor4D, [n, h, wd, c], CONV_STRIDE, 'valid');
      return [dx, tf.tensor4d(convFilterGrad(xs.dataSync() as Float32Array, dy.dataSync() as Float32Array, [n, h, wd, c], dy.shape as number[]), ws.shape as [number, number, number, number])];
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
      // Pad to exactly the rows and columns the kernel reaches (the filter gradient kernels
      // miscount an input with an unused trailing row), which is the padding-1 convolution.
      const reach = (out: number, size: number) => (out - 1) * CONV_STRIDE + CONV_KERNEL - size - CONV_PAD;
      const padded = tf.pad(x, [[0, 0], [CONV_PAD, reach(c.outH, c.inH)], [CONV_PAD, reach(c.outW, c.inW)], [0, 0]]) as tf.Tensor4D;
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
