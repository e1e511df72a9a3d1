// Encoders of the env's named extra observations (sim/perception): the input is divided by a
// fixed scale, so the missing-reading sentinel 0 stays exactly 0 (a running mean would move it
// onto a valid reading), passed through 3x3 stride-2 convolutions (padding 1) when it is an
// image, flattened (row, column, channel order) and encoded by a small MLP. The height scan
// has no convolutions; the depth image has two. Features are concatenated with the normalized
// `obs` into the actor trunk. This file is plain JS (rollouts on worker threads use it);
// encoder-kernels.ts holds the tfjs side for gradients.
import type { Rng } from '../../sim/rng.js';
import { DEPTH_INPUT } from '../../sim/perception/perception-batch.js';
import type { TensorSpace } from '../../sim/spaces.js';
import type { TrainConfig } from '../config.js';
import type { ParamLayout } from './flat-params.js';
import { declareMlp, initMlp, MlpInference, type HiddenActivation, type MlpDef } from './mlp.js';
import { orthogonalMatrix } from './orthogonal.js';

export const CONV_KERNEL = 3;
export const CONV_STRIDE = 2;
export const CONV_PAD = 1;

export const convOutSize = (size: number): number => Math.floor((size + 2 * CONV_PAD - CONV_KERNEL) / CONV_STRIDE) + 1;

export interface ConvDef {
  prefix: string; // parameters `${prefix}.w` [k, k, in, out] (tfjs filter order) and `${prefix}.b` [out]
  inChannels: number;
  outChannels: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
}

export interface EncoderDef {
  input: string;
  rows: number;
  cols: number;
  /** The input is divided by this before anything else (units of the input, e.g. m). */
  scale: number;
  convs: ConvDef[];
  /** Flattened conv output (or the raw input) -> features; the last layer is linear. */
  head: MlpDef;
  activation: HiddenActivation;
}

/** The shape of an extra input the networks are built for, as recorded in a run's EnvInfo. */
export interface ExtraInputShape {
  name: string;
  shape: number[]; // [rows, cols]
}

export function extraInputShapes(spaces: Readonly<Record<string, TensorSpace>> | undefined): ExtraInputShape[] {
  return Object.entries(spaces ?? {}).map(([name, s]) => ({ name, shape: [...s.shape] }));
}

/** One encoder per extra input: a CNN for the depth image, an MLP for anything else (the height scan). */
export function encoderDefs(config: TrainConfig, extras: readonly ExtraInputShape[]): EncoderDef[] {
  const p = config.network.perception;
  const activation = config.network.activation;
  return extras.map(({ name, shape }) => {
    if (shape.length !== 2) throw new Error(`extra observation '${name}' has shape [${shape}]; the encoders take [rows, cols]`);
    const [rows, cols] = shape;
    const prefix = `enc.${name}`;
    if (name !== DEPTH_INPUT) {
      const c = p.heightScan;
      return { input: name, rows, cols, scale: c.scale, convs: [], activation, head: { prefix: `${prefix}.mlp`, sizes: [rows * cols, ...c.hidden, c.features], activation } };
    }
    const c = p.depth;
    const convs: ConvDef[] = [];
    let h = rows, w = cols, ch = 1;
    c.channels.forEach((out, k) => {
      const outH = convOutSize(h), outW = convOutSize(w);
      if (outH < 1 || outW < 1) throw new Error(`network.perception.depth.channels: ${c.channels.length} stride-2 convolutions shrink a ${rows}x${cols} image below 1 pixel`);
      convs.push({ prefix: `${prefix}.conv${k}`, inChannels: ch, outChannels: out, inH: h, inW: w, outH, outW });
      h = outH; w = outW; ch = out;
    });
    return { input: name, rows, cols, scale: c.scale, convs, activation, head: { prefix: `${prefix}.head`, sizes: [h * w * ch, c.features], activation } };
  });
}

export const encoderFeatures = (defs: readonly EncoderDef[]): number => defs.reduce((s, d) => s + d.head.sizes[d.head.sizes.length - 1], 0);

export function declareEncoder(layout: ParamLayout, def: EncoderDef): void {
  for (const c of def.convs) {
    layout.add(`${c.prefix}.w`, [CONV_KERNEL, CONV_KERNEL, c.inChannels, c.outChannels]);
    layout.add(`${c.prefix}.b`, [c.outChannels]);
  }
  declareMlp(layout, def.head);
}

/** Orthogonal init with gain sqrt 2 (conv filters as [k*k*in, out] matrices), zero biases; head output gain 1. */
export function initEncoder(layout: ParamLayout, values: Float32Array, def: EncoderDef, rng: Rng): void {
  for (const c of def.convs) {
    layout.view(values, `${c.prefix}.w`).set(orthogonalMatrix(rng, CONV_KERNEL * CONV_KERNEL * c.inChannels, c.outChannels, Math.SQRT2));
    layout.view(values, `${c.prefix}.b`).fill(0);
  }
  initMlp(layout, values, def.head, rng, 1);
}

/** The actor trunk's input rows [n x width]: each block ([n x w_k]: obs, then each encoder's features) side by side. */
export function assembleTrunkInput(out: Float32Array, width: number, blocks: readonly Float32Array[], n: number): Float32Array {
  let col = 0;
  for (const block of blocks) {
    const w = block.length / n;
    for (let i = 0; i < n; i++) out.set(block.subarray(i * w, (i + 1) * w), i * width + col);
    col += w;
  }
  if (col !== width) throw new Error(`actor trunk input: blocks are ${col} wide, the trunk takes ${width}`);
  return out;
}

export function activate(v: number, a: HiddenActivation): number {
  return a === 'tanh' ? Math.tanh(v) : a === 'relu' ? (v > 0 ? v : 0) : v > 0 ? v : Math.expm1(v);
}

/**
 * One 3x3 stride-2 convolution with padding 1 over `n` images, NHWC, filter [k][k][in][out],
 * then the activation. Shared by the rollout forward pass and the exported-spec reference.
 */
export function convForward(
  x: ArrayLike<number>, n: number, c: Pick<ConvDef, 'inChannels' | 'outChannels' | 'inH' | 'inW' | 'outH' | 'outW'>,
  w: ArrayLike<number>, b: ArrayLike<number>, activation: HiddenActivation, out: Float32Array | Float64Array,
): void {
  const { inChannels: C, outChannels: O, inH, inW, outH, outW } = c;
  const inSize = inH * inW * C, outSize = outH * outW * O;
  for (let r = 0; r < n; r++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const o0 = r * outSize + (oy * outW + ox) * O;
        for (let o = 0; o < O; o++) out[o0 + o] = b[o];
        for (let ky = 0; ky < CONV_KERNEL; ky++) {
          const iy = oy * CONV_STRIDE - CONV_PAD + ky;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < CONV_KERNEL; kx++) {
            const ix = ox * CONV_STRIDE - CONV_PAD + kx;
            if (ix < 0 || ix >= inW) continue;
            const i0 = r * inSize + (iy * inW + ix) * C;
            const w0 = (ky * CONV_KERNEL + kx) * C * O;
            for (let ci = 0; ci < C; ci++) {
              const xv = x[i0 + ci];
              if (xv === 0) continue;
              const wc = w0 + ci * O;
              for (let o = 0; o < O; o++) out[o0 + o] += xv * w[wc + o];
            }
          }
        }
        for (let o = 0; o < O; o++) out[o0 + o] = activate(out[o0 + o], activation);
      }
    }
  }
}

/** Plain-JS forward of one encoder over `n` rows of raw input; allocation-free after the first call at a batch size. */
export class EncoderInference {
  private readonly head: MlpInference;
  private scaled = new Float32Array(0);
  private convOut: Float32Array[] = [];

  constructor(private readonly layout: ParamLayout, readonly def: EncoderDef, maxBatch: number) {
    this.head = new MlpInference(layout, def.head, maxBatch);
  }

  /** Features [n x features] of raw input rows [n x rows*cols] (a view valid until the next call). */
  forward(values: Float32Array, raw: Float32Array, n: number): Float32Array {
    const { def, layout } = this;
    const size = def.rows * def.cols;
    if (this.scaled.length < n * size) {
      this.scaled = new Float32Array(n * size);
      this.convOut = def.convs.map((c) => new Float32Array(n * c.outH * c.outW * c.outChannels));
    }
    const inv = 1 / def.scale;
    for (let i = 0; i < n * size; i++) this.scaled[i] = raw[i] * inv;
    let x: Float32Array = this.scaled;
    def.convs.forEach((c, k) => {
      convForward(x, n, c, layout.view(values, `${c.prefix}.w`), layout.view(values, `${c.prefix}.b`), def.activation, this.convOut[k]);
      x = this.convOut[k];
    });
    return this.head.forward(values, x, n);
  }
}
