// Exponential moving average of a flat parameter vector (the actor's weights):
//   ema <- decay * ema + (1 - decay) * theta, after every actor update.
// Exporting the average instead of the last iterate gives a policy that does not carry the
// last few noisy gradient steps: smoother deployed behaviour at no training cost.

export interface EmaState {
  values: Float32Array;
  updates: number;
}

export class ParamEma {
  readonly values: Float32Array;
  updates = 0;

  constructor(readonly decay: number, initial: Float32Array) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`EMA decay must be in [0, 1), got ${decay}`);
    this.values = Float32Array.from(initial);
  }

  /** Fold the current parameters in. */
  update(theta: ArrayLike<number>): void {
    if (theta.length !== this.values.length) throw new Error(`EMA of ${this.values.length} parameters got ${theta.length}`);
    const d = this.decay;
    const v = this.values;
    for (let i = 0; i < v.length; i++) v[i] = d * v[i] + (1 - d) * theta[i];
    this.updates++;
  }

  getState(): EmaState {
    return { values: this.values.slice(), updates: this.updates };
  }

  setState(s: EmaState): void {
    if (s.values.length !== this.values.length) throw new Error(`EMA state has ${s.values.length} parameters, expected ${this.values.length}`);
    this.values.set(s.values);
    this.updates = s.updates;
  }
}
