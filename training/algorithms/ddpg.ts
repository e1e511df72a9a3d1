// DDPG (Lillicrap et al. 2016) as the special case of the deterministic actor-critic in
// td3.ts: one critic, no target policy smoothing, actor and polyak target update after
// every critic update. Exploration noise (Gaussian or Ornstein-Uhlenbeck) is the runner's.
import type { TrainConfig } from '../config.js';
import type { DeterministicAgentOptions } from './td3.js';

export function ddpgOptions(config: TrainConfig): DeterministicAgentOptions {
  const c = config.ddpg;
  return {
    numCritics: 1, policyNoise: 0, noiseClip: 0, policyDelay: 1,
    actorLr: c.actorLr, criticLr: c.criticLr, gamma: c.gamma, tau: c.tau, emaDecay: c.ema.decay,
  };
}
