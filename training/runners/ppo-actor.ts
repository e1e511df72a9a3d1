// A PPO rollout actor: take the newest published weights, collect one rollout with them on
// its own envs (plain-JS forward pass, no tfjs), push it tagged with the weights' version,
// repeat. Runs on a worker thread on one machine or in an actor process joining over Redis;
// it only knows the ActorTransport.
import type { VecEnv } from '../../sim/env.js';
import { Rng } from '../../sim/rng.js';
import type { TrainConfig } from '../config.js';
import type { ActorTransport } from '../distributed/transport.js';
import { PpoPolicy } from '../algorithms/ppo-policy.js';
import { RolloutStorage } from '../storage/rollout-storage.js';
import { RewardScaler, RunningNormalizer } from '../storage/running-normalizer.js';
import { PpoRolloutCollector, ppoSizes } from './ppo-rollout.js';
import { applyPpoWeights, rolloutTrajectory } from './ppo-exchange.js';

export interface PpoActorOptions {
  config: TrainConfig;
  vec: VecEnv;
  transport: ActorTransport;
  actorId: string;
  /** Seeds this actor's env resets and action noise (distinct per actor). */
  seed: number;
  /** Checked between rollouts; undefined = run until the process ends. */
  shouldStop?: () => boolean;
  /** How long to sleep while no (newer) weights are published. */
  pollMs?: number;
}

export async function runPpoActor(o: PpoActorOptions): Promise<void> {
  const { config, vec, transport } = o;
  const cfg = config.ppo;
  const N = vec.numEnvs;
  const { obsSize: od, actSize: ad, privSize: pd } = ppoSizes(config, vec);
  const policy = new PpoPolicy(config, od, od + pd, ad, N);
  // Local copies of the learner's normalizers (reset to its statistics with every weights
  // version and updated along the rollout, as in the synchronous runner); reward scaling is
  // the actor's own.
  const norms = {
    obs: config.normalizeObs ? new RunningNormalizer(od, config.obsClip) : null,
    priv: pd && config.normalizeObs ? new RunningNormalizer(pd, config.obsClip) : null,
    reward: cfg.normalizeReward ? new RewardScaler(N, cfg.gamma) : null,
  };
  const storage = new RolloutStorage(cfg.stepsPerEnv, N, od, od + pd, ad);
  const collector = new PpoRolloutCollector(vec, storage, norms, pd, cfg, true);
  const rng = new Rng(o.seed);
  await collector.reset(o.seed);
  let version = -1;
  while (!o.shouldStop?.()) {
    const w = await transport.latestWeights(version);
    if (w) {
      applyPpoWeights(w, policy, norms);
      version = w.version;
    } else if (version < 0) {
      await sleep(o.pollMs ?? 5);
      continue;
    }
    const episodes = await collector.collect(policy, rng);
    await transport.pushTrajectory(rolloutTrajectory(o.actorId, version, storage, collector, episodes));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
