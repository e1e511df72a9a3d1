// The network layouts of each algorithm, as pure data (no tfjs): the agents build their
// flat parameter vectors from these, and export/eval rebuild the actor from a checkpoint
// with the same functions, so the two cannot disagree.
import type { TrainConfig } from '../config.js';
import { ParamLayout } from './flat-params.js';
import { declareEncoder, encoderDefs, encoderFeatures, type EncoderDef, type ExtraInputShape } from './encoders.js';
import { declareMlp, type MlpDef } from './mlp.js';

export interface PpoNetworks {
  layout: ParamLayout;
  /** One per extra observation the actor reads (height scan, depth), in the env's order. */
  encoders: EncoderDef[];
  actor: MlpDef; // [obs, encoder features...] -> action mean
  critic: MlpDef; // obs (+ privileged) -> value
}

export function ppoNetworks(config: TrainConfig, obsSize: number, criticObsSize: number, actSize: number, extras: readonly ExtraInputShape[] = []): PpoNetworks {
  const net = config.network;
  const layout = new ParamLayout();
  const encoders = encoderDefs(config, extras);
  const actor: MlpDef = { prefix: 'pi', sizes: [obsSize + encoderFeatures(encoders), ...net.actor, actSize], activation: net.activation };
  const critic: MlpDef = { prefix: 'vf', sizes: [criticObsSize, ...net.critic, 1], activation: net.activation };
  declareMlp(layout, actor);
  declareMlp(layout, critic);
  layout.add('logStd', [actSize]);
  // Encoders last, so a blind network's layout is exactly as before.
  for (const e of encoders) declareEncoder(layout, e);
  return { layout, encoders, actor, critic };
}

export interface SacNetworks {
  actorLayout: ParamLayout;
  actor: MlpDef; // obs -> [mean (A), log std (A)]
  criticLayout: ParamLayout;
  q1: MlpDef; // [obs, action] -> Q
  q2: MlpDef;
}

export function sacNetworks(config: TrainConfig, obsSize: number, actSize: number): SacNetworks {
  const net = config.network;
  const actorLayout = new ParamLayout();
  const actor: MlpDef = { prefix: 'pi', sizes: [obsSize, ...net.actor, 2 * actSize], activation: net.activation };
  declareMlp(actorLayout, actor);
  const criticLayout = new ParamLayout();
  const q1: MlpDef = { prefix: 'q1', sizes: [obsSize + actSize, ...net.critic, 1], activation: net.activation };
  const q2: MlpDef = { prefix: 'q2', sizes: [obsSize + actSize, ...net.critic, 1], activation: net.activation };
  declareMlp(criticLayout, q1);
  declareMlp(criticLayout, q2);
  return { actorLayout, actor, criticLayout, q1, q2 };
}
