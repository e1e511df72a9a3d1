// Adam (PyTorch semantics, bias-corrected) on one flat tf.Variable. Own implementation so
// its state (moments, step count) is plain data for exact checkpoints and the learning
// rate can change every step (annealing, adaptive-KL schedule).
import { tf } from '../backend.js';

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  t: number;
}

export class FlatAdam {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  t = 0;

  constructor(readonly size: number, public lr: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    this.m = tf.variable(tf.zeros([size]), false);
    this.v = tf.variable(tf.zeros([size]), false);
  }

  /** One step on `param` with gradient `grad` (not disposed here). */
  step(param: tf.Variable, grad: tf.Tensor): void {
    this.t++;
    const bc1 = 1 - this.beta1 ** this.t;
    const bc2 = 1 - this.beta2 ** this.t;
    const stepSize = (this.lr * Math.sqrt(bc2)) / bc1;
    const epsHat = this.eps * Math.sqrt(bc2);
    tf.tidy(() => {
      const m = tf.add(tf.mul(this.m, this.beta1), tf.mul(grad, 1 - this.beta1));
      const v = tf.add(tf.mul(this.v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
      this.m.assign(m);
      this.v.assign(v);
      param.assign(tf.sub(param, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize)));
    });
  }

  getState(): AdamState {
    return { m: this.m.dataSync() as Float32Array, v: this.v.dataSync() as Float32Array, t: this.t };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.size) throw new Error(`Adam state has ${s.m.length} values, expected ${this.size}`);
    this.m.assign(tf.tensor1d(s.m));
    this.v.assign(tf.tensor1d(s.v));
    this.t = s.t;
  }

  dispose(): void {
    this.m.dispose();
    this.v.dispose();
  }
}

/**
 * The same Adam on a plain Float32Array (for updates whose gradient is already on the JS
 * side): one loop over the vector instead of a dozen tfjs kernels. Same state format.
 */
export class JsAdam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  t = 0;

  constructor(readonly size: number, public lr: number, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One step on `param` in place with gradient `grad`. */
  step(param: Float32Array, grad: Float32Array): void {
    this.t++;
    const { beta1: b1, beta2: b2, m, v } = this;
    const bc1 = 1 - b1 ** this.t;
    const bc2 = 1 - b2 ** this.t;
    const stepSize = (this.lr * Math.sqrt(bc2)) / bc1;
    const epsHat = this.eps * Math.sqrt(bc2);
    for (let i = 0; i < this.size; i++) {
      const g = grad[i];
      m[i] = m[i] * b1 + g * (1 - b1);
      v[i] = v[i] * b2 + g * g * (1 - b2);
      param[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + epsHat);
    }
  }

  getState(): AdamState {
    return { m: this.m.slice(), v: this.v.slice(), t: this.t };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.size) throw new Error(`Adam state has ${s.m.length} values, expected ${this.size}`);
    this.m.set(s.m);
    this.v.set(s.v);
    this.t = s.t;
  }
}

/** Scale `grad` in place so its global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGradNormInPlace(grad: Float32Array, maxNorm: number): number {
  let sq = 0;
  for (let i = 0; i < grad.length; i++) sq += grad[i] * grad[i];
  const norm = Math.sqrt(sq);
  const scale = Math.min(maxNorm / (norm + 1e-6), 1);
  if (scale < 1) for (let i = 0; i < grad.length; i++) grad[i] *= scale;
  return norm;
}
