// Network layouts of the deterministic actor-critics (DDPG, TD3), as pure data (no tfjs) so
// export rebuilds the actor from a checkpoint with the same code as training. The critics
// are SAC's critic definitions (networks.ts): [obs, action] -> Q, same sizes and names.
import type { TrainConfig } from '../config.js';
import { ParamLayout } from './flat-params.js';
import { declareMlp, type MlpDef } from './mlp.js';
import { sacNetworks } from './layouts.js';

export interface DeterministicNetworks {
  actorLayout: ParamLayout;
  actor: MlpDef; // obs -> pre-tanh action (A); the action is tanh of it
  criticLayout: ParamLayout;
  critics: MlpDef[]; // one (DDPG) or two (TD3) Q networks
}

export function deterministicNetworks(config: TrainConfig, obsSize: number, actSize: number, numCritics: 1 | 2): DeterministicNetworks {
  const sac = sacNetworks(config, obsSize, actSize);
  const actorLayout = new ParamLayout();
  const actor: MlpDef = { prefix: 'pi', sizes: [obsSize, ...config.network.actor, actSize], activation: config.network.activation };
  declareMlp(actorLayout, actor);
  if (numCritics === 2) return { actorLayout, actor, criticLayout: sac.criticLayout, critics: [sac.q1, sac.q2] };
  const criticLayout = new ParamLayout();
  declareMlp(criticLayout, sac.q1);
  return { actorLayout, actor, criticLayout, critics: [sac.q1] };
}
