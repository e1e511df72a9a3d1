// A deterministic MLP policy as plain arrays: what the ONNX exporter writes and what a
// plain-JS forward pass computes. Kept free of tfjs so deploy-side code and tests can use it.

export type Activation = 'tanh' | 'relu' | 'elu' | 'linear';

export interface DenseLayerSpec {
  /** [in x out], row-major: weights[i * out + j] connects input i to output j. */
  weights: Float32Array;
  bias: Float32Array; // [out]
  activation: Activation;
}

export interface MlpPolicySpec {
  layers: DenseLayerSpec[];
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

/** Plain float64 forward pass of one observation (the reference the ONNX graph is checked against). */
export function mlpForward(spec: MlpPolicySpec, obs: ArrayLike<number>): Float64Array {
  const { inputSize } = layerSizes(spec);
  let x = new Float64Array(inputSize);
  for (let i = 0; i < inputSize; i++) {
    let v = obs[i];
    if (spec.obsMean && spec.obsStd) {
      v = (v - spec.obsMean[i]) / spec.obsStd[i];
      if (spec.obsClip !== undefined) v = Math.min(spec.obsClip, Math.max(-spec.obsClip, v));
    }
    x[i] = v;
  }
  for (const layer of spec.layers) {
    const out = layer.bias.length;
    const y = new Float64Array(out);
    for (let j = 0; j < out; j++) {
      let s = layer.bias[j];
      for (let i = 0; i < x.length; i++) s += x[i] * layer.weights[i * out + j];
      y[j] = activate(s, layer.activation);
    }
    x = y;
  }
  if (spec.actionClip !== undefined) for (let j = 0; j < x.length; j++) x[j] = Math.min(spec.actionClip, Math.max(-spec.actionClip, x[j]));
  return x;
}
