// The on-policy runner (rsl_rl's OnPolicyRunner): collect T steps from N envs with the
// current policy, compute GAE, run the PPO update, log, checkpoint, repeat.
import { RunningNormalizer, RewardScaler } from '../storage/running-normalizer.js';
import { RolloutStorage } from '../storage/rollout-storage.js';
import { PpoAgent, type PpoState } from '../algorithms/ppo.js';
import { PpoRolloutCollector } from './ppo-rollout.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { TrainProgress } from '../io/progress.js';
import { envInfo, envResetSeed, yieldToEventLoop, type EnvInfo, type RunContext, type TrainedPolicy } from './run-context.js';
import type { NormalizerState } from '../storage/running-normalizer.js';
import type { RngState } from '../../sim/rng.js';

interface PpoCheckpoint {
  algo: 'ppo';
  config: unknown;
  envInfo: EnvInfo;
  iteration: number;
  envSteps: number;
  wallSeconds: number;
  rng: { s: RngState; spare: number | null };
  agent: PpoState;
  normalizer: NormalizerState | null;
  privNormalizer: NormalizerState | null;
  rewardScaler: ReturnType<RewardScaler['getState']> | null;
  recentReturns: number[];
  recentLengths: number[];
}

export async function runPpo(ctx: RunContext): Promise<TrainedPolicy> {
  const { config, vec, rng } = ctx;
  const cfg = config.ppo;
  const N = vec.numEnvs;
  const T = cfg.stepsPerEnv;
  const od = vec.observationSpace.shape[0];
  const ad = vec.actionSpace.shape[0];
  const pd = config.network.asymmetricCritic && vec.privilegedSpace ? vec.privilegedSpace.shape[0] : 0;
  const cd = od + pd;

  const agent = new PpoAgent(od, cd, ad, config, rng, N);
  const normalizer = config.normalizeObs ? new RunningNormalizer(od, config.obsClip) : null;
  const privNormalizer = pd && config.normalizeObs ? new RunningNormalizer(pd, config.obsClip) : null;
  const rewardScaler = cfg.normalizeReward ? new RewardScaler(N, cfg.gamma) : null;
  const storage = new RolloutStorage(T, N, od, cd, ad);
  const numIterations = Math.ceil(config.totalSteps / (N * T));

  let iteration = 0;
  let envSteps = 0;
  let wallBefore = 0;
  const recentReturns: number[] = [];
  const recentLengths: number[] = [];
  if (ctx.resume) {
    const s = ctx.resume.state as unknown as PpoCheckpoint;
    if (s.algo !== 'ppo') throw new Error(`cannot resume a ${s.algo} checkpoint with PPO`);
    agent.setState(s.agent);
    if (normalizer && s.normalizer) normalizer.setState(s.normalizer);
    if (privNormalizer && s.privNormalizer) privNormalizer.setState(s.privNormalizer);
    if (rewardScaler && s.rewardScaler) rewardScaler.setState(s.rewardScaler);
    rng.setState(s.rng);
    iteration = s.iteration;
    envSteps = s.envSteps;
    wallBefore = s.wallSeconds;
    recentReturns.push(...s.recentReturns);
    recentLengths.push(...s.recentLengths);
  }

  const collector = new PpoRolloutCollector(vec, storage, { obs: normalizer, priv: privNormalizer, reward: rewardScaler }, pd, cfg);
  await collector.reset(envResetSeed(config.seed, iteration));

  const progress = new TrainProgress(numIterations * N * T, envSteps, ctx.progress);
  const start = performance.now();
  let itersThisProcess = 0;
  let lastCheckpointIter = iteration;
  const checkpoint = () => {
    const state: PpoCheckpoint = {
      algo: 'ppo', config, envInfo: envInfo(vec), iteration, envSteps, wallSeconds: wallBefore + (performance.now() - start) / 1000,
      rng: rng.getState(), agent: agent.getState(), normalizer: normalizer?.getState() ?? null,
      privNormalizer: privNormalizer?.getState() ?? null, rewardScaler: rewardScaler?.getState() ?? null,
      recentReturns, recentLengths,
    };
    saveCheckpoint(ctx.outDir, iteration, state);
    lastCheckpointIter = iteration;
  };

  while (iteration < numIterations && (ctx.maxIterations === undefined || itersThisProcess < ctx.maxIterations) && !ctx.shouldStop()) {
    const iterStart = performance.now();
    if (cfg.schedule === 'linear') agent.adam.lr = cfg.lr * (1 - iteration / numIterations);
    const episodesThisIter = await collector.collect(agent.policy, rng);
    for (const ep of episodesThisIter) {
      recentReturns.push(ep.ret);
      recentLengths.push(ep.len);
    }

    // ---- Update ----
    const stats = agent.update(storage, rng);
    iteration++;
    itersThisProcess++;
    envSteps += N * T;
    while (recentReturns.length > 100) recentReturns.shift();
    while (recentLengths.length > 100) recentLengths.shift();
    const sps = (N * T) / ((performance.now() - iterStart) / 1000);
    const meanRet = mean(recentReturns);
    ctx.metrics.log({
      iteration, env_steps: envSteps, wall_s: wallBefore + (performance.now() - start) / 1000,
      episode_return: meanRet, episode_length: mean(recentLengths), episodes: episodesThisIter.length,
      policy_loss: stats.policyLoss, value_loss: stats.valueLoss, entropy: stats.entropy, approx_kl: stats.approxKl,
      clip_frac: stats.clipFrac, explained_var: stats.explainedVar, lr: stats.lr, sps, updates: stats.epochsRun,
    });
    progress.update(envSteps, sps, meanRet);
    if (iteration % config.checkpointEvery === 0 || iteration === numIterations) checkpoint();
    await yieldToEventLoop();
  }
  if (lastCheckpointIter !== iteration) checkpoint();
  progress.stop();

  const evalNorm = new Float32Array(od);
  return {
    algo: 'ppo',
    normalizer,
    iteration,
    envSteps,
    act(rawObs, n) {
      const x = n === 1 ? evalNorm : new Float32Array(n * od);
      if (normalizer) normalizer.normalize(rawObs, x, n);
      else x.set(rawObs.subarray(0, n * od));
      return agent.meanAction(x, n);
    },
    ...{ agent },
  } as TrainedPolicy & { agent: PpoAgent };
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}
