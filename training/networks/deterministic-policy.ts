// The deterministic actor of a TD3/DDPG checkpoint as an MlpPolicySpec (what export and eval
// use): the actor MLP with a tanh output, rescaled from [-1, 1] to the env's action bounds,
// with the EMA weights instead of the raw ones when the run kept an EMA and asks to export it.
import type { TrainConfig } from '../config.js';
import { deterministicNetworks } from './deterministic-layouts.js';
import type { MlpPolicySpec } from './mlp-policy-spec.js';
import { actionRescaleLayer, mlpLayers } from './policy-layers.js';
import type { EnvInfo } from '../runners/run-context.js';
import type { EmaState } from './ema.js';

export function deterministicRunSpec(
  algo: 'td3' | 'ddpg',
  config: TrainConfig,
  info: EnvInfo,
  agent: { actor: Float32Array; ema: EmaState | null },
  normalization: Pick<MlpPolicySpec, 'obsMean' | 'obsStd' | 'obsClip'>,
): MlpPolicySpec {
  const nets = deterministicNetworks(config, info.obsSize, info.actSize, algo === 'td3' ? 2 : 1);
  const emaCfg = config[algo].ema;
  const useEma = emaCfg.decay !== null && emaCfg.export && agent.ema !== null;
  const theta = useEma ? agent.ema!.values : agent.actor;
  if (theta.length !== nets.actorLayout.size) throw new Error(`checkpoint actor has ${theta.length} parameters, the config's network has ${nets.actorLayout.size}`);
  const layers = mlpLayers(nets.actorLayout, theta, nets.actor, 'tanh');
  const rescale = actionRescaleLayer(info);
  if (rescale) layers.push(rescale);
  return { layers, ...normalization };
}
