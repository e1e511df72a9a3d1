// The deterministic actor of a TD3/DDPG checkpoint as an MlpPolicySpec (what export and eval
// use): the actor MLP with a tanh output, rescaled from [-1, 1] to the env's action bounds,
// with the EMA weights instead of the raw ones when the run kept an EMA and asks to export it.
import type { TrainConfig } from './config.js';
import { deterministicNetworks } from './deterministic-networks.js';
import type { DenseLayerSpec, MlpPolicySpec } from './mlp-policy-spec.js';
import type { EnvInfo } from './run-context.js';
import type { EmaState } from './ema.js';

export function deterministicRunSpec(
  algo: 'td3' | 'ddpg',
  config: TrainConfig,
  info: EnvInfo,
  agent: { actor: Float32Array; ema: EmaState | null },
  normalization: Pick<MlpPolicySpec, 'obsMean' | 'obsStd' | 'obsClip'>,
): MlpPolicySpec {
  const A = info.actSize;
  const nets = deterministicNetworks(config, info.obsSize, A, algo === 'td3' ? 2 : 1);
  const emaCfg = config[algo].ema;
  const useEma = emaCfg.decay !== null && emaCfg.export && agent.ema !== null;
  const theta = useEma ? agent.ema!.values : agent.actor;
  if (theta.length !== nets.actorLayout.size) throw new Error(`checkpoint actor has ${theta.length} parameters, the config's network has ${nets.actorLayout.size}`);
  const last = nets.actor.sizes.length - 2;
  const layers: DenseLayerSpec[] = nets.actor.sizes.slice(1).map((_, k) => ({
    weights: nets.actorLayout.view(theta, `pi.w${k}`).slice(),
    bias: nets.actorLayout.view(theta, `pi.b${k}`).slice(),
    activation: k === last ? 'tanh' : nets.actor.activation,
  }));
  if (!info.actLow.every((l, j) => l === -1 && info.actHigh[j] === 1)) {
    // Rescale [-1, 1] to the env's bounds with a diagonal linear layer (as the runner does).
    const scale = new Float32Array(A * A);
    const bias = new Float32Array(A);
    for (let j = 0; j < A; j++) {
      scale[j * A + j] = (info.actHigh[j] - info.actLow[j]) / 2;
      bias[j] = (info.actHigh[j] + info.actLow[j]) / 2;
    }
    layers.push({ weights: scale, bias, activation: 'linear' });
  }
  return { layers, ...normalization };
}
