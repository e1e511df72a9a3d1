// Multi-layer perceptrons over a flat parameter vector: declared in a ParamLayout,
// orthogonally initialized (hidden gain sqrt 2, output gain per head), and evaluated either
// with tfjs (mlp-tensor.ts, for gradients) or in plain JS (here: fast batched inference
// during rollouts and evaluation, no tfjs needed).
import type { Rng } from '../../sim/rng.js';
import type { Activation } from './mlp-policy-spec.js';
import { orthogonalMatrix } from './orthogonal.js';
import type { ParamLayout } from './flat-params.js';

export type HiddenActivation = Exclude<Activation, 'linear'>;

export interface MlpDef {
  prefix: string;
  sizes: number[]; // [in, hidden..., out]
  activation: HiddenActivation;
}

export function declareMlp(layout: ParamLayout, def: MlpDef): void {
  for (let k = 0; k + 1 < def.sizes.length; k++) {
    layout.add(`${def.prefix}.w${k}`, [def.sizes[k], def.sizes[k + 1]]);
    layout.add(`${def.prefix}.b${k}`, [def.sizes[k + 1]]);
  }
}

/** Orthogonal init: gain sqrt(2) for hidden layers, `outputGain` for the last; zero biases. */
export function initMlp(layout: ParamLayout, values: Float32Array, def: MlpDef, rng: Rng, outputGain: number): void {
  const last = def.sizes.length - 2;
  for (let k = 0; k <= last; k++) {
    const gain = k === last ? outputGain : Math.SQRT2;
    layout.view(values, `${def.prefix}.w${k}`).set(orthogonalMatrix(rng, def.sizes[k], def.sizes[k + 1], gain));
    layout.view(values, `${def.prefix}.b${k}`).fill(0);
  }
}

/** Plain-JS forward of `n` rows, allocation-free after the first call (scratch is cached). */
export class MlpInference {
  private scratch: Float32Array[];

  constructor(private readonly layout: ParamLayout, readonly def: MlpDef, maxBatch: number) {
    this.scratch = def.sizes.slice(1).map((s) => new Float32Array(s * maxBatch));
  }

  /** Returns a view of the output rows [n x out] (valid until the next call). */
  forward(values: Float32Array, x: Float32Array, n: number): Float32Array {
    const { sizes, activation, prefix } = this.def;
    if (n * sizes[1] > this.scratch[0].length) this.scratch = sizes.slice(1).map((s) => new Float32Array(s * n));
    let input = x;
    const last = sizes.length - 2;
    for (let k = 0; k <= last; k++) {
      const inp = sizes[k];
      const out = sizes[k + 1];
      const w = this.layout.view(values, `${prefix}.w${k}`);
      const b = this.layout.view(values, `${prefix}.b${k}`);
      const y = this.scratch[k];
      for (let r = 0; r < n; r++) {
        const yo = r * out;
        for (let j = 0; j < out; j++) y[yo + j] = b[j];
        for (let i = 0; i < inp; i++) {
          const xi = input[r * inp + i];
          if (xi === 0) continue;
          const wo = i * out;
          for (let j = 0; j < out; j++) y[yo + j] += xi * w[wo + j];
        }
        if (k < last) {
          for (let j = 0; j < out; j++) {
            const v = y[yo + j];
            y[yo + j] = activation === 'tanh' ? Math.tanh(v) : activation === 'relu' ? (v > 0 ? v : 0) : v > 0 ? v : Math.expm1(v);
          }
        }
      }
      input = y;
    }
    return input.subarray(0, n * sizes[sizes.length - 1]);
  }
}
