// The on-policy runner (rsl_rl's OnPolicyRunner): collect T steps from N envs with the
// current policy, compute GAE, run the PPO update, log, checkpoint, repeat. Rollout and
// update take turns, so a run is bit-reproducible from its config and seed (ppo.mode: sync).
import { RolloutStorage } from '../storage/rollout-storage.js';
import type { PpoAgent } from '../algorithms/ppo.js';
import { extraSizes, PpoRolloutCollector } from './ppo-rollout.js';
import { PpoRun } from './ppo-run.js';
import { envResetSeed, yieldToEventLoop, type RunContext, type TrainedPolicy } from './run-context.js';

export async function runPpo(ctx: RunContext): Promise<TrainedPolicy & { agent: PpoAgent }> {
  const { config, vec, rng } = ctx;
  const cfg = config.ppo;
  const run = new PpoRun(ctx);
  const { agent, obsSize: od, privSize: pd } = run;
  const N = vec.numEnvs;
  const T = cfg.stepsPerEnv;
  const storage = new RolloutStorage(T, N, od, od + pd, vec.actionSpace.shape[0], extraSizes(run.extras));
  const collector = new PpoRolloutCollector(vec, storage, { obs: run.normalizer, priv: run.privNormalizer, reward: run.rewardScaler }, pd, cfg);
  await collector.reset(envResetSeed(config.seed, run.iteration));

  while (run.running) {
    const iterStart = performance.now();
    run.scheduleLearningRate();
    const episodes = await collector.collect(agent.policy, rng);
    run.addEpisodes(episodes);
    const stats = agent.update(storage, rng);
    run.finishIteration(stats, episodes.length, (N * T) / ((performance.now() - iterStart) / 1000));
    await yieldToEventLoop();
  }
  return run.finish();
}
