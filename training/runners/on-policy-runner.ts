// The on-policy runner (rsl_rl's OnPolicyRunner): collect T steps from N envs with the
// current policy, compute GAE, run the PPO update, log, checkpoint, repeat.
import { RunningNormalizer, RewardScaler } from '../storage/running-normalizer.js';
import { RolloutStorage } from '../storage/rollout-storage.js';
import { PpoAgent, type PpoState } from '../algorithms/ppo.js';
import { computeGae } from '../storage/gae.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { TrainProgress } from '../io/progress.js';
import { envInfo, envResetSeed, yieldToEventLoop, type EnvInfo, privilegedAfterReset, type RunContext, type TrainedPolicy } from './run-context.js';
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
  const low = vec.actionSpace.low;
  const high = vec.actionSpace.high;

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

  // Per-step buffers (allocated once).
  const raw = new Float32Array(N * od);
  const rawPriv = new Float32Array(N * Math.max(pd, 1));
  const normObs = new Float32Array(N * od);
  const criticObs = new Float32Array(N * cd);
  const finalCritic = new Float32Array(N * cd);
  const finalValues = new Float32Array(N);
  const act = { actions: new Float32Array(N * ad), logProbs: new Float32Array(N), means: new Float32Array(N * ad), values: new Float32Array(N) };
  const clipped = new Float32Array(N * ad);
  const lastValues = new Float32Array(N);

  const buildCriticInput = (obsNorm: Float32Array, priv: Float32Array, out: Float32Array, update: boolean) => {
    if (!pd) {
      out.set(obsNorm);
      return;
    }
    if (privNormalizer && update) privNormalizer.update(priv, N);
    const privNorm = privNormalizer ? privNormalizer.normalize(priv.subarray(0, N * pd), new Float32Array(N * pd), N) : priv;
    for (let i = 0; i < N; i++) {
      out.set(obsNorm.subarray(i * od, (i + 1) * od), i * cd);
      out.set(privNorm.subarray(i * pd, (i + 1) * pd), i * cd + od);
    }
  };

  raw.set(await vec.reset(envResetSeed(config.seed, iteration)));
  if (pd) rawPriv.set(privilegedAfterReset(vec) ?? new Float32Array(N * pd));

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
    const episodesThisIter: { ret: number; len: number }[] = [];

    // ---- Rollout ----
    for (let t = 0; t < T; t++) {
      if (normalizer) {
        normalizer.update(raw, N);
        normalizer.normalize(raw, normObs, N);
      } else normObs.set(raw);
      buildCriticInput(normObs, rawPriv, criticObs, true);
      agent.act(normObs, criticObs, N, rng, act);
      const row = t * N;
      storage.obs.set(normObs, row * od);
      if (pd) storage.criticObs.set(criticObs, row * cd);
      storage.actions.set(act.actions, row * ad);
      storage.logProbs.set(act.logProbs, row);
      storage.means.set(act.means, row * ad);
      storage.values.set(act.values, row);
      // The env gets the sample clipped to its bounds; the log-prob refers to the raw sample.
      for (let i = 0; i < N * ad; i++) {
        const j = i % ad;
        clipped[i] = Math.min(high[j], Math.max(low[j], act.actions[i]));
      }
      const step = await vec.step(clipped);
      const rewards = storage.rewards.subarray(row, row + N);
      rewards.set(step.rewards);
      let anyTruncated = false;
      for (let i = 0; i < N; i++) {
        storage.terminated[row + i] = step.terminated[i];
        storage.dones[row + i] = step.terminated[i] | step.truncated[i];
        if (step.truncated[i] && !step.terminated[i]) anyTruncated = true;
      }
      if (rewardScaler) rewardScaler.scale(rewards, storage.dones.subarray(row, row + N));
      // A time-limit truncation bootstraps from V(final observation).
      if (anyTruncated) {
        const finalNorm = normalizer ? normalizer.normalize(step.finalObs, new Float32Array(N * od), N) : step.finalObs;
        buildCriticInput(finalNorm, step.finalPrivileged ?? rawPriv, finalCritic, false);
        agent.value(finalCritic, N, finalValues);
        for (let i = 0; i < N; i++) if (step.truncated[i] && !step.terminated[i]) storage.nextValues[row + i] = finalValues[i];
      }
      for (const ep of step.episodes) {
        episodesThisIter.push({ ret: ep.return, len: ep.length });
        recentReturns.push(ep.return);
        recentLengths.push(ep.length);
      }
      raw.set(step.obs);
      if (pd && step.privileged) rawPriv.set(step.privileged);
    }
    // Value of the observation after the last step, for the last row's bootstrap.
    if (normalizer) normalizer.normalize(raw, normObs, N);
    else normObs.set(raw);
    buildCriticInput(normObs, rawPriv, criticObs, false);
    agent.value(criticObs, N, lastValues);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) {
        const k = t * N + i;
        if (storage.dones[k]) continue; // truncated rows were filled at the step; terminated rows are unused
        storage.nextValues[k] = t + 1 < T ? storage.values[k + N] : lastValues[i];
      }
    }
    computeGae(
      { numSteps: T, numEnvs: N, rewards: storage.rewards, values: storage.values, nextValues: storage.nextValues, terminated: storage.terminated, dones: storage.dones, gamma: cfg.gamma, lambda: cfg.gaeLambda },
      storage.advantages,
      storage.returns,
    );

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
