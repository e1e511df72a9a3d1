// A deterministic MLP policy as plain arrays: what the ONNX exporter writes and what a
// plain-JS forward pass computes. Kept free of tfjs so deploy-side code and tests can use it.
// A perceptive policy adds encoders of named extra inputs (networks/encoders.ts) whose
// features follow the normalized obs into the first layer.
import { convForward, type ConvDef } from './encoders.js';

export type Activation = 'tanh' | 'relu' | 'elu' | 'linear';

export interface DenseLayerSpec {
  /** [in x out], row-major: weights[i * out + j] connects input i to output j. */
  weights: Float32Array;
  bias: Float32Array; // [out]
  activation: Activation;
}

/** A 3x3 stride-2 convolution with padding 1; weights [3][3][in][out] (tfjs filter order). */
export interface ConvLayerSpec extends Omit<ConvDef, 'prefix'> {
  weights: Float32Array;
  bias: Float32Array;
  activation: Exclude<Activation, 'linear'>;
}

/** Input `input` [rows, cols] / scale -> convolutions -> flatten (row, column, channel) -> dense layers. */
export interface EncoderSpec {
  input: string;
  rows: number;
  cols: number;
  scale: number;
  convs: ConvLayerSpec[];
  layers: DenseLayerSpec[];
}

export interface MlpPolicySpec {
  layers: DenseLayerSpec[];
  /** Encoders of extra inputs; their features follow the normalized obs, in this order. */
  encoders?: EncoderSpec[];
  /** Observation normalization folded into the graph: clip((obs - mean) / std, -obsClip, obsClip). */
  obsMean?: Float32Array;
  obsStd?: Float32Array;
  obsClip?: number;
  /** Clip the output to [-actionClip, actionClip]. */
  actionClip?: number;
}

export function layerSizes(spec: MlpPolicySpec): { inputSize: number; outputSize: number } {
  if (spec.layers.length === 0) throw new Error('MLP policy spec has no layers');
  let inputSize = -1;
  let width = -1;
  spec.layers.forEach((layer, k) => {
    const out = layer.bias.length;
    if (out === 0 || layer.weights.length % out !== 0) throw new Error(`layer ${k}: weights length ${layer.weights.length} is not a multiple of bias length ${out}`);
    const inp = layer.weights.length / out;
    if (k === 0) inputSize = inp;
    else if (inp !== width) throw new Error(`layer ${k}: expects ${inp} inputs but layer ${k - 1} has ${width} outputs`);
    width = out;
  });
  for (const e of spec.encoders ?? []) {
    const last = e.layers[e.layers.length - 1];
    if (!last) throw new Error(`encoder '${e.input}' has no layers`);
    inputSize -= last.bias.length;
  }
  if (inputSize <= 0) throw new Error(`the first layer takes no inputs besides the encoders' features`);
  if (spec.obsMean && spec.obsMean.length !== inputSize) throw new Error(`obsMean has ${spec.obsMean.length} elements, the first layer takes ${inputSize}`);
  if (spec.obsStd && spec.obsStd.length !== inputSize) throw new Error(`obsStd has ${spec.obsStd.length} elements, the first layer takes ${inputSize}`);
  if ((spec.obsMean === undefined) !== (spec.obsStd === undefined)) throw new Error('obsMean and obsStd must be given together');
  return { inputSize, outputSize: width };
}

function activate(x: number, activation: Activation): number {
  switch (activation) {
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'linear':
      return x;
  }
}

function denseForward(layers: readonly DenseLayerSpec[], input: Float64Array): Float64Array {
  let x: Float64Array = input;
  for (const layer of layers) {
    const out = layer.bias.length;
    const y = new Float64Array(out);
    for (let j = 0; j < out; j++) {
      let s = layer.bias[j];
      for (let i = 0; i < x.length; i++) s += x[i] * layer.weights[i * out + j];
      y[j] = activate(s, layer.activation);
    }
    x = y;
  }
  return x;
}

/** Features of one raw input frame through an encoder, float64. */
export function encoderForward(e: EncoderSpec, raw: ArrayLike<number>): Float64Array {
  const size = e.rows * e.cols;
  if (raw.length !== size) throw new Error(`encoder '${e.input}' takes ${size} values, got ${raw.length}`);
  let x: Float64Array = Float64Array.from(raw, (v) => v / e.scale);
  for (const c of e.convs) {
    const y = new Float64Array(c.outH * c.outW * c.outChannels);
    convForward(x, 1, c, c.weights, c.bias, c.activation, y);
    x = y;
  }
  return denseForward(e.layers, x);
}

/** Plain float64 forward pass of one observation (the reference the ONNX graph is checked against). */
export function mlpForward(spec: MlpPolicySpec, obs: ArrayLike<number>, extras?: Readonly<Record<string, ArrayLike<number>>>): Float64Array {
  const { inputSize } = layerSizes(spec);
  const features = (spec.encoders ?? []).map((e) => {
    const raw = extras?.[e.input];
    if (!raw) throw new Error(`the policy reads input '${e.input}', none was given`);
    return encoderForward(e, raw);
  });
  let x = new Float64Array(inputSize + features.reduce((s, f) => s + f.length, 0));
  for (let i = 0; i < inputSize; i++) {
    let v = obs[i];
    if (spec.obsMean && spec.obsStd) {
      v = (v - spec.obsMean[i]) / spec.obsStd[i];
      if (spec.obsClip !== undefined) v = Math.min(spec.obsClip, Math.max(-spec.obsClip, v));
    }
    x[i] = v;
  }
  let col = inputSize;
  for (const f of features) {
    x.set(f, col);
    col += f.length;
  }
  const y = denseForward(spec.layers, x);
  if (spec.actionClip !== undefined) for (let j = 0; j < y.length; j++) y[j] = Math.min(spec.actionClip, Math.max(-spec.actionClip, y[j]));
  return y;
}
