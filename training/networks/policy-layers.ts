// Building blocks of an MlpPolicySpec rebuilt from a checkpoint's flat parameters: the dense
// layers of an MLP, and the layer that maps a tanh action in [-1, 1] to the env's bounds
// (the runners rescale the same way before stepping the env).
import type { ParamLayout } from './flat-params.js';
import type { MlpDef } from './mlp.js';
import type { Activation, DenseLayerSpec } from './mlp-policy-spec.js';
import type { EnvInfo } from '../runners/run-context.js';

/** The dense layers of `def` read from `values`; the output layer gets `outputActivation`. */
export function mlpLayers(layout: ParamLayout, values: Float32Array, def: MlpDef, outputActivation: Activation): DenseLayerSpec[] {
  const last = def.sizes.length - 2;
  return def.sizes.slice(1).map((_, k) => ({
    weights: layout.view(values, `${def.prefix}.w${k}`).slice(),
    bias: layout.view(values, `${def.prefix}.b${k}`).slice(),
    activation: k === last ? outputActivation : def.activation,
  }));
}

/** A diagonal linear layer from [-1, 1] to the env's action bounds; null when they are [-1, 1]. */
export function actionRescaleLayer(info: EnvInfo): DenseLayerSpec | null {
  if (info.actLow.every((l, j) => l === -1 && info.actHigh[j] === 1)) return null;
  const A = info.actSize;
  const scale = new Float32Array(A * A);
  const bias = new Float32Array(A);
  for (let j = 0; j < A; j++) {
    scale[j * A + j] = (info.actHigh[j] - info.actLow[j]) / 2;
    bias[j] = (info.actHigh[j] + info.actLow[j]) / 2;
  }
  return { weights: scale, bias, activation: 'linear' };
}
