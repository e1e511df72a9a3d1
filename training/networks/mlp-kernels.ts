// Forward and backward of an MLP with tfjs matrix kernels and no autodiff tape. The matmuls
// (the only work that grows with width) run on tfjs (XNNPACK/SIMD on wasm); bias sums,
// activation derivatives and the loss stay in plain JS on Float32Arrays. On the
// single-threaded wasm backend per-kernel overhead dominates small networks: a PPO minibatch
// step takes ~20 kernels this way against ~330 through tf.variableGrads.
import { tf } from '../backend.js';
import type { ParamLayout } from './flat-params.js';
import type { MlpDef } from './mlp.js';

/** What a forward pass keeps for its backward pass. */
export interface MlpPass {
  n: number;
  /** Output rows [n x out] (the last layer is linear). */
  out: Float32Array;
  /** Output of every hidden layer after its activation, for the activation derivatives. */
  hidden: Float32Array[];
  /** Input of every layer and every weight matrix, as tensors (disposed by backward / release). */
  inputs: tf.Tensor2D[];
  weights: tf.Tensor2D[];
}

export class MlpKernels {
  private readonly w: { offset: number; rows: number; cols: number }[] = [];
  private readonly b: number[] = [];

  constructor(layout: ParamLayout, readonly def: MlpDef) {
    for (let k = 0; k + 1 < def.sizes.length; k++) {
      this.w.push({ offset: layout.get(`${def.prefix}.w${k}`).offset, rows: def.sizes[k], cols: def.sizes[k + 1] });
      this.b.push(layout.get(`${def.prefix}.b${k}`).offset);
    }
  }

  /** Forward `x` [n x in] with the parameters in `values` (the flat vector of the layout). */
  forward(values: Float32Array, x: tf.Tensor2D): MlpPass {
    const n = x.shape[0];
    const L = this.w.length;
    const act = this.def.activation;
    const pass: MlpPass = { n, out: new Float32Array(0), hidden: [], inputs: [], weights: [] };
    let h = x;
    for (let k = 0; k < L; k++) {
      const { offset, rows, cols } = this.w[k];
      const w = tf.tensor2d(values.subarray(offset, offset + rows * cols), [rows, cols]);
      const bias = tf.tensor1d(values.subarray(this.b[k], this.b[k] + cols));
      const hiddenLayer = k < L - 1;
      // relu and elu fuse into the matmul kernel; tanh is a kernel of its own.
      const fused = hiddenLayer && act !== 'tanh' ? act : 'linear';
      let y = tf.fused.matMul({ a: h, b: w, bias, activation: fused });
      bias.dispose();
      if (hiddenLayer && act === 'tanh') {
        const z = y;
        y = tf.tanh(z);
        z.dispose();
      }
      pass.inputs.push(h);
      pass.weights.push(w);
      if (hiddenLayer) pass.hidden.push(y.dataSync() as Float32Array);
      else {
        pass.out = y.dataSync() as Float32Array;
        y.dispose();
      }
      h = y as tf.Tensor2D;
    }
    return pass;
  }

  /**
   * Add dLoss/dparameters for `dOut` = dLoss/dout [n x out] into `grad` (flat, same layout);
   * returns dLoss/dx [n x in] when `wantInputGrad`. Frees the pass's tensors (x is the caller's).
   */
  backward(pass: MlpPass, dOut: Float32Array, grad: Float32Array, wantInputGrad = false): Float32Array | null {
    const { n } = pass;
    const act = this.def.activation;
    let g = dOut;
    let dx: Float32Array | null = null;
    for (let k = this.w.length - 1; k >= 0; k--) {
      const { offset, cols } = this.w[k];
      const gT = tf.tensor2d(g, [n, cols]);
      // Explicit transposes: tfjs-wasm's matmul with a transpose flag runs ~7x slower than
      // a transpose kernel followed by a plain matmul (measured at 1024 x 128 x 128).
      const inputT = tf.transpose(pass.inputs[k]);
      const dW = tf.matMul(inputT, gT);
      addInto(grad, offset, dW.dataSync() as Float32Array);
      inputT.dispose();
      dW.dispose();
      const bOff = this.b[k];
      for (let r = 0; r < n; r++) for (let j = 0; j < cols; j++) grad[bOff + j] += g[r * cols + j];
      if (k > 0 || wantInputGrad) {
        const wT = tf.transpose(pass.weights[k]);
        const dhT = tf.matMul(gT, wT);
        const dh = dhT.dataSync() as Float32Array;
        wT.dispose();
        dhT.dispose();
        if (k > 0) {
          // Derivative of the activation through its output y.
          const y = pass.hidden[k - 1];
          for (let i = 0; i < dh.length; i++) {
            const v = y[i];
            dh[i] *= act === 'tanh' ? 1 - v * v : act === 'relu' ? (v > 0 ? 1 : 0) : v > 0 ? 1 : v + 1;
          }
        } else dx = dh;
        g = dh;
      }
      gT.dispose();
    }
    this.release(pass);
    return dx;
  }

  /** Free a pass that will not be back-propagated. */
  release(pass: MlpPass): void {
    for (let k = 1; k < pass.inputs.length; k++) pass.inputs[k].dispose();
    for (const w of pass.weights) w.dispose();
    pass.inputs.length = 0;
    pass.weights.length = 0;
  }
}

function addInto(target: Float32Array, offset: number, src: Float32Array): void {
  for (let i = 0; i < src.length; i++) target[offset + i] += src[i];
}
