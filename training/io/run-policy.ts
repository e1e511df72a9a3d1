// A trained run's deterministic actor as an MlpPolicySpec, rebuilt from its checkpoint with
// the same layouts the agents use (networks.ts). No tfjs needed: export and eval use this.
import type { TrainConfig } from '../config.js';
import { parseTrainConfig } from '../config.js';
import { loadCheckpoint } from './checkpoint.js';
import { ppoNetworks, sacNetworks } from '../networks/layouts.js';
import { mlpForward, type EncoderSpec, type MlpPolicySpec } from '../networks/mlp-policy-spec.js';
import type { EncoderDef } from '../networks/encoders.js';
import type { ParamLayout } from '../networks/flat-params.js';
import { actionRescaleLayer, mlpLayers } from '../networks/policy-layers.js';
import type { EnvInfo } from '../runners/run-context.js';
import type { NormalizerState } from '../storage/running-normalizer.js';
import { deterministicRunSpec } from '../networks/deterministic-policy.js';
import type { EmaState } from '../networks/ema.js';

export interface RunPolicy {
  algo: TrainConfig['algo'];
  config: TrainConfig;
  envInfo: EnvInfo;
  spec: MlpPolicySpec;
  iteration: number;
  envSteps: number;
  checkpointFile: string;
}

function normalization(n: NormalizerState | null, clip: number): Pick<MlpPolicySpec, 'obsMean' | 'obsStd' | 'obsClip'> {
  if (!n) return {};
  return { obsMean: Float32Array.from(n.mean), obsStd: Float32Array.from(n.var, (v) => Math.sqrt(v + 1e-8)), obsClip: clip };
}

function encoderSpec(layout: ParamLayout, theta: Float32Array, e: EncoderDef): EncoderSpec {
  return {
    input: e.input, rows: e.rows, cols: e.cols, scale: e.scale,
    convs: e.convs.map(({ prefix, ...c }) => ({ ...c, weights: layout.view(theta, `${prefix}.w`).slice(), bias: layout.view(theta, `${prefix}.b`).slice(), activation: e.activation })),
    layers: mlpLayers(layout, theta, e.head, 'linear'),
  };
}

/** The deterministic PPO actor (encoders, trunk, folded normalization, action clip) of flat parameters `theta`. */
export function ppoActorSpec(config: TrainConfig, info: EnvInfo, theta: Float32Array, norm: Pick<MlpPolicySpec, 'obsMean' | 'obsStd' | 'obsClip'>): MlpPolicySpec {
  const cd = info.obsSize + (config.network.asymmetricCritic ? info.privSize : 0);
  const nets = ppoNetworks(config, info.obsSize, cd, info.actSize, info.extras);
  const symmetric = info.actHigh.every((h, j) => h === info.actHigh[0] && info.actLow[j] === -h) && Number.isFinite(info.actHigh[0]);
  const encoders = nets.encoders.map((e) => encoderSpec(nets.layout, theta, e));
  return { layers: mlpLayers(nets.layout, theta, nets.actor, 'linear'), ...(encoders.length ? { encoders } : {}), ...norm, actionClip: symmetric ? info.actHigh[0] : undefined };
}

/** Load the latest checkpoint of `runDir` (or a checkpoint file) as a deterministic policy. */
export function loadRunPolicy(runDirOrFile: string): RunPolicy {
  const ckpt = loadCheckpoint<Record<string, unknown>>(runDirOrFile);
  const s = ckpt.state as unknown as Record<string, unknown> & { algo: 'ppo' | 'sac' | 'td3' | 'ddpg'; envInfo: EnvInfo; iteration: number; envSteps: number; normalizer: NormalizerState | null };
  const config = parseTrainConfig(s.config, `${ckpt.file} (config)`);
  const info = s.envInfo;
  const { obsSize: od, actSize: A } = info;
  const norm = normalization(s.normalizer, config.obsClip);
  let spec: MlpPolicySpec;
  if (s.algo === 'ppo') {
    spec = ppoActorSpec(config, info, (s.agent as { theta: Float32Array }).theta, norm);
  } else if (s.algo === 'td3' || s.algo === 'ddpg') {
    spec = deterministicRunSpec(s.algo, config, info, s.agent as { actor: Float32Array; ema: EmaState | null }, norm);
  } else {
    const nets = sacNetworks(config, od, A);
    const actor = (s.agent as { actor: Float32Array }).actor;
    const layers = mlpLayers(nets.actorLayout, actor, nets.actor, 'linear');
    // The deterministic SAC action is tanh(mean): keep the first A outputs of the last layer.
    const last = layers[layers.length - 1];
    const inp = last.weights.length / (2 * A);
    const w = new Float32Array(inp * A);
    for (let i = 0; i < inp; i++) for (let j = 0; j < A; j++) w[i * A + j] = last.weights[i * 2 * A + j];
    layers[layers.length - 1] = { weights: w, bias: last.bias.slice(0, A), activation: 'tanh' };
    const rescale = actionRescaleLayer(info);
    if (rescale) layers.push(rescale);
    spec = { layers, ...norm };
  }
  return { algo: config.algo, config, envInfo: info, spec, iteration: s.iteration, envSteps: s.envSteps, checkpointFile: ckpt.file };
}

/** Batched deterministic actions of a spec (plain JS), clipped to the env bounds; `extras` rows like rawObs. */
export function specActions(spec: MlpPolicySpec, info: EnvInfo, rawObs: Float32Array, n: number, out: Float32Array, extras?: Readonly<Record<string, Float32Array>>): Float32Array {
  const od = info.obsSize;
  const A = info.actSize;
  const encoders = spec.encoders ?? [];
  for (let i = 0; i < n; i++) {
    const row = Object.fromEntries(encoders.map((e) => {
      const size = e.rows * e.cols;
      const batch = extras?.[e.input];
      if (!batch) throw new Error(`the policy reads input '${e.input}', the env gave ${Object.keys(extras ?? {}).join(', ') || 'none'}`);
      return [e.input, batch.subarray(i * size, (i + 1) * size)];
    }));
    const a = mlpForward(spec, rawObs.subarray(i * od, (i + 1) * od), row);
    for (let j = 0; j < A; j++) out[i * A + j] = Math.min(info.actHigh[j], Math.max(info.actLow[j], a[j]));
  }
  return out;
}
