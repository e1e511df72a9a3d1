// Running mean and variance of observations (Chan et al.'s parallel update, in float64),
// used to normalize policy inputs: clip((x - mean) / sqrt(var + eps), -clip, clip).
// The same statistics are folded into the exported ONNX graph.

export interface NormalizerState {
  mean: number[];
  var: number[];
  count: number;
}

export class RunningNormalizer {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** A tiny prior count (as SB3) so the first update is not divided by zero. */
  count = 1e-4;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  constructor(readonly size: number, readonly clip = 10, readonly epsilon = 1e-8) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.batchMean = new Float64Array(size);
    this.batchVar = new Float64Array(size);
  }

  /** Update with `n` rows of `batch` (row-major [n x size]). */
  update(batch: ArrayLike<number>, n: number): void {
    if (n <= 0) return;
    const d = this.size;
    const bm = this.batchMean.fill(0);
    const bv = this.batchVar.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) bm[j] += batch[i * d + j];
    for (let j = 0; j < d; j++) bm[j] /= n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        const e = batch[i * d + j] - bm[j];
        bv[j] += e * e;
      }
    for (let j = 0; j < d; j++) bv[j] /= n;
    const total = this.count + n;
    for (let j = 0; j < d; j++) {
      const delta = bm[j] - this.mean[j];
      const m2 = this.var[j] * this.count + bv[j] * n + (delta * delta * this.count * n) / total;
      this.mean[j] += (delta * n) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  /** Normalize `n` rows of `x` into `out` (may alias `x`). */
  normalize(x: ArrayLike<number>, out: Float32Array, n: number): Float32Array {
    const d = this.size;
    const c = this.clip;
    for (let j = 0; j < d; j++) {
      const m = this.mean[j];
      const inv = 1 / Math.sqrt(this.var[j] + this.epsilon);
      for (let i = 0; i < n; i++) {
        const v = (x[i * d + j] - m) * inv;
        out[i * d + j] = v > c ? c : v < -c ? -c : v;
      }
    }
    return out;
  }

  /** The std the exporter folds into the graph (sqrt(var + eps)). */
  std(): Float32Array {
    return Float32Array.from(this.var, (v) => Math.sqrt(v + this.epsilon));
  }

  getState(): NormalizerState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  setState(s: NormalizerState): void {
    if (s.mean.length !== this.size || s.var.length !== this.size) throw new Error(`normalizer state has size ${s.mean.length}, expected ${this.size}`);
    this.mean.set(s.mean);
    this.var.set(s.var);
    this.count = s.count;
  }
}

/**
 * Reward scaling as in Gymnasium's NormalizeReward: divide rewards by the running std of
 * the discounted return (not its mean, so the sign of rewards is kept).
 */
export class RewardScaler {
  private readonly returns: Float64Array;
  readonly stats = new RunningNormalizer(1);
  private readonly one = new Float64Array(1);

  constructor(numEnvs: number, readonly gamma: number, readonly clip = 10) {
    this.returns = new Float64Array(numEnvs);
  }

  /** Scale rewards in place; `dones[i]` resets env i's discounted return afterwards. */
  scale(rewards: Float32Array, dones: ArrayLike<number>): void {
    for (let i = 0; i < rewards.length; i++) {
      this.returns[i] = this.returns[i] * this.gamma + rewards[i];
      this.one[0] = this.returns[i];
      this.stats.update(this.one, 1);
    }
    const std = Math.sqrt(this.stats.var[0] + 1e-8);
    for (let i = 0; i < rewards.length; i++) {
      const r = rewards[i] / std;
      rewards[i] = r > this.clip ? this.clip : r < -this.clip ? -this.clip : r;
      if (dones[i]) this.returns[i] = 0;
    }
  }

  getState(): { returns: number[]; stats: NormalizerState } {
    return { returns: Array.from(this.returns), stats: this.stats.getState() };
  }

  setState(s: { returns: number[]; stats: NormalizerState }): void {
    this.returns.set(s.returns);
    this.stats.setState(s.stats);
  }
}
