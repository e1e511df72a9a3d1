// What a PPO run carries from iteration to iteration, whichever way its rollouts are collected
// (synchronous: on-policy-runner.ts; actors on worker threads: async-ppo-runner.ts): the agent,
// the normalizers, counters and recent episodes; restored on --resume, saved as one checkpoint
// format, logged as one metrics row per update, handed back as one TrainedPolicy.
import { RunningNormalizer, RewardScaler, type NormalizerState } from '../storage/running-normalizer.js';
import { PpoAgent, type PpoState, type PpoUpdateStats } from '../algorithms/ppo.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { TrainProgress } from '../io/progress.js';
import type { MetricRow } from '../io/metrics.js';
import type { RngState } from '../../sim/rng.js';
import { ppoSizes, type FinishedEpisode } from './ppo-rollout.js';
import type { ExtraInputShape } from '../networks/encoders.js';
import { envInfo, type EnvInfo, type RunContext, type TrainedPolicy } from './run-context.js';

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

export class PpoRun {
  readonly agent: PpoAgent;
  readonly normalizer: RunningNormalizer | null;
  readonly privNormalizer: RunningNormalizer | null;
  readonly rewardScaler: RewardScaler | null;
  readonly obsSize: number;
  readonly privSize: number;
  /** Extra observations the actor reads (depth, height scan). */
  readonly extras: ExtraInputShape[];
  readonly stepsPerIteration: number;
  readonly numIterations: number;
  iteration = 0;
  envSteps = 0;
  private wallBefore = 0;
  private itersThisProcess = 0;
  private lastCheckpointIter = 0;
  private readonly recentReturns: number[] = [];
  private readonly recentLengths: number[] = [];
  private readonly progress: TrainProgress;
  private readonly start = performance.now();

  /** `rewardScaling` false: rewards are scaled where they are collected (the actors), not here. */
  constructor(private readonly ctx: RunContext, rewardScaling = true) {
    const { config, vec, rng } = ctx;
    const cfg = config.ppo;
    const N = config.numEnvs;
    const { obsSize: od, actSize: ad, privSize: pd, extras } = ppoSizes(config, vec);
    this.obsSize = od;
    this.privSize = pd;
    this.extras = extras;
    this.agent = new PpoAgent(od, od + pd, ad, config, rng, N, extras);
    this.normalizer = config.normalizeObs ? new RunningNormalizer(od, config.obsClip) : null;
    this.privNormalizer = pd && config.normalizeObs ? new RunningNormalizer(pd, config.obsClip) : null;
    this.rewardScaler = cfg.normalizeReward && rewardScaling ? new RewardScaler(N, cfg.gamma) : null;
    this.stepsPerIteration = N * cfg.stepsPerEnv;
    this.numIterations = Math.ceil(config.totalSteps / this.stepsPerIteration);
    if (ctx.resume) {
      const s = ctx.resume.state as unknown as PpoCheckpoint;
      if (s.algo !== 'ppo') throw new Error(`cannot resume a ${s.algo} checkpoint with PPO`);
      this.agent.setState(s.agent);
      if (this.normalizer && s.normalizer) this.normalizer.setState(s.normalizer);
      if (this.privNormalizer && s.privNormalizer) this.privNormalizer.setState(s.privNormalizer);
      if (this.rewardScaler && s.rewardScaler) this.rewardScaler.setState(s.rewardScaler);
      rng.setState(s.rng);
      this.iteration = s.iteration;
      this.envSteps = s.envSteps;
      this.wallBefore = s.wallSeconds;
      this.recentReturns.push(...s.recentReturns);
      this.recentLengths.push(...s.recentLengths);
    }
    this.lastCheckpointIter = this.iteration;
    this.progress = new TrainProgress(this.numIterations * this.stepsPerIteration, this.envSteps, ctx.progress);
  }

  /** Another iteration to run in this process? */
  get running(): boolean {
    const ctx = this.ctx;
    return this.iteration < this.numIterations && (ctx.maxIterations === undefined || this.itersThisProcess < ctx.maxIterations) && !ctx.shouldStop();
  }

  /** The curriculum level at this iteration (config.curriculum), or null without a curriculum. */
  curriculumLevel(): number | null {
    const c = this.ctx.config.curriculum;
    if (!c) return null;
    return Math.min(1, c.startLevel + ((1 - c.startLevel) * this.envSteps) / c.rampSteps);
  }

  /** The learning rate of the linear schedule at this iteration. */
  scheduleLearningRate(): void {
    const cfg = this.ctx.config.ppo;
    if (cfg.schedule === 'linear') this.agent.adam.lr = cfg.lr * (1 - this.iteration / this.numIterations);
  }

  addEpisodes(episodes: readonly FinishedEpisode[]): void {
    for (const ep of episodes) {
      this.recentReturns.push(ep.ret);
      this.recentLengths.push(ep.len);
    }
  }

  /** Count an update, log its metrics row and progress, checkpoint when due. */
  finishIteration(stats: PpoUpdateStats, episodes: number, sps: number, extra: MetricRow = {}, progressNote = ''): void {
    this.iteration++;
    this.itersThisProcess++;
    this.envSteps += this.stepsPerIteration;
    while (this.recentReturns.length > 100) this.recentReturns.shift();
    while (this.recentLengths.length > 100) this.recentLengths.shift();
    const meanRet = mean(this.recentReturns);
    this.ctx.metrics.log({
      iteration: this.iteration, env_steps: this.envSteps, wall_s: this.wallSeconds(),
      episode_return: meanRet, episode_length: mean(this.recentLengths), episodes,
      policy_loss: stats.policyLoss, value_loss: stats.valueLoss, entropy: stats.entropy, approx_kl: stats.approxKl,
      clip_frac: stats.clipFrac, explained_var: stats.explainedVar, lr: stats.lr, sps, updates: stats.epochsRun, ...extra,
    });
    this.progress.update(this.envSteps, sps, meanRet, progressNote);
    if (this.iteration % this.ctx.config.checkpointEvery === 0 || this.iteration === this.numIterations) this.checkpoint();
  }

  /** Final checkpoint (if the last iteration has none yet) and the policy for export and evaluation. */
  finish(): TrainedPolicy & { agent: PpoAgent } {
    if (this.lastCheckpointIter !== this.iteration) this.checkpoint();
    this.progress.stop();
    const { agent, normalizer, obsSize: od } = this;
    const evalNorm = new Float32Array(od);
    return {
      algo: 'ppo',
      normalizer,
      iteration: this.iteration,
      envSteps: this.envSteps,
      act(rawObs, n, extras) {
        const x = n === 1 ? evalNorm : new Float32Array(n * od);
        if (normalizer) normalizer.normalize(rawObs, x, n);
        else x.set(rawObs.subarray(0, n * od));
        return agent.meanAction(x, n, extras);
      },
      agent,
    };
  }

  private wallSeconds(): number {
    return this.wallBefore + (performance.now() - this.start) / 1000;
  }

  private checkpoint(): void {
    const { config, vec, rng } = this.ctx;
    const state: PpoCheckpoint = {
      algo: 'ppo', config, envInfo: envInfo(vec), iteration: this.iteration, envSteps: this.envSteps, wallSeconds: this.wallSeconds(),
      rng: rng.getState(), agent: this.agent.getState(), normalizer: this.normalizer?.getState() ?? null,
      privNormalizer: this.privNormalizer?.getState() ?? null, rewardScaler: this.rewardScaler?.getState() ?? null,
      recentReturns: this.recentReturns, recentLengths: this.recentLengths,
    };
    saveCheckpoint(this.ctx.outDir, this.iteration, state);
    this.lastCheckpointIter = this.iteration;
  }
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}
