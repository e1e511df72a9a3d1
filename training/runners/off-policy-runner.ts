// The collection loop the off-policy algorithms (SAC, TD3, DDPG) share: step N envs, store
// transitions in the replay buffer (uniform random actions until learningStarts; truncation
// keeps the real final observation so it bootstraps, termination does not), run `utd`
// gradient updates per env step, log every OFF_POLICY_LOG_INTERVAL env steps (one
// "iteration"), checkpoint with the replay buffer so --resume continues exactly. The
// algorithm plugs in through OffPolicyAlgorithm: how to explore, how to update, what to log
// and what it adds to the checkpoint.
import { RunningNormalizer, type NormalizerState } from '../storage/running-normalizer.js';
import { ReplayBuffer, type ReplayBatch } from '../storage/replay-buffer.js';
import { saveCheckpoint } from '../io/checkpoint.js';
import { TrainProgress } from '../io/progress.js';
import type { MetricRow } from '../io/metrics.js';
import { envInfo, envResetSeed, yieldToEventLoop, type EnvInfo, type RunContext, type TrainedPolicy } from './run-context.js';
import type { Rng } from '../../sim/rng.js';

export const OFF_POLICY_LOG_INTERVAL = 1000;

/** The replay settings every off-policy config section has. */
export interface OffPolicySettings {
  bufferSize: number;
  batchSize: number;
  learningStarts: number;
  /** Gradient updates per env step (update-to-data ratio). */
  utd: number;
  /** Rewards are stored times this (default 1); logged returns stay unscaled. */
  rewardScale?: number;
}

/** What an algorithm plugs into the loop; S is its part of the checkpoint (agent, noise, ...). */
export interface OffPolicyAlgorithm<S extends object> {
  algo: 'sac' | 'td3' | 'ddpg';
  settings: OffPolicySettings;
  /** Exploratory actions in [-1, 1] for `n` normalized observations. */
  explore(obs: Float32Array, n: number, out: Float32Array): void;
  /** Env `i`'s episode just ended (terminated or truncated). */
  episodeEnded?(i: number): void;
  /** One gradient update on a normalized batch; the algorithm sums its own losses. */
  update(batch: ReplayBatch): void;
  /** The finished iteration's algorithm columns (mean losses, lr, ...) in log order; resets the sums. */
  takeMetrics(): MetricRow;
  getState(): S;
  setState(state: S): void;
}

/** The checkpoint of an off-policy run: these fields plus the algorithm's S (after `rng`). */
export interface OffPolicyCheckpointFields {
  algo: 'sac' | 'td3' | 'ddpg';
  config: unknown;
  envInfo: EnvInfo;
  iteration: number;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  rng: ReturnType<Rng['getState']>;
  normalizer: NormalizerState | null;
  buffer: { size: number; pos: number };
  recentReturns: number[];
  recentLengths: number[];
}

export interface OffPolicyRun {
  normalizer: RunningNormalizer | null;
  iteration: number;
  envSteps: number;
}

/** The replay buffer's contents as one byte array (the checkpoint's `replay` side file). */
function bufferBytes(b: ReplayBuffer): Uint8Array {
  const parts = [b.obs, b.actions, b.rewards, b.nextObs, b.terminated];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), off);
    off += p.byteLength;
  }
  return out;
}

function restoreBuffer(b: ReplayBuffer, bytes: Uint8Array): void {
  const parts = [b.obs, b.actions, b.rewards, b.nextObs, b.terminated];
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  if (bytes.byteLength !== total) throw new Error(`replay buffer file has ${bytes.byteLength} bytes, expected ${total} (bufferSize changed?)`);
  let off = 0;
  for (const p of parts) {
    new Uint8Array(p.buffer, p.byteOffset, p.byteLength).set(bytes.subarray(off, off + p.byteLength));
    off += p.byteLength;
  }
}

/** Transitions held by a saved replay side file (obs, action, reward, next obs as f32; done as u8). */
function savedCapacity(bytes: Uint8Array, od: number, A: number): number {
  const perTransition = 4 * (od + A + 1 + od) + 1;
  const capacity = bytes.byteLength / perTransition;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new Error(`replay buffer file has ${bytes.byteLength} bytes: not a whole number of ${perTransition}-byte transitions (observation or action size changed?)`);
  }
  return capacity;
}

export async function runOffPolicy<S extends object>(ctx: RunContext, algorithm: OffPolicyAlgorithm<S>): Promise<OffPolicyRun> {
  const { config, vec, rng } = ctx;
  const { algo, settings: cfg } = algorithm;
  const N = vec.numEnvs;
  const od = vec.observationSpace.shape[0];
  const A = vec.actionSpace.shape[0];
  const low = vec.actionSpace.low;
  const high = vec.actionSpace.high;
  const normalizer = config.normalizeObs ? new RunningNormalizer(od, config.obsClip) : null;
  const rewardScale = cfg.rewardScale ?? 1;
  // A fresh run sizes the buffer to what it can fill; a resumed run keeps the size it saved
  // (so `--resume DIR --steps MORE` works; the buffer then wraps sooner than a fresh run's).
  const saved = ctx.resume ? ctx.resume.readSide('replay') : null;
  const capacity = saved ? savedCapacity(saved, od, A) : Math.min(cfg.bufferSize, config.totalSteps + N);
  const buffer = new ReplayBuffer(capacity, od, A);
  const batch = ReplayBuffer.makeBatch(cfg.batchSize, od, A);

  let iteration = 0;
  let envSteps = 0;
  let updates = 0;
  let wallBefore = 0;
  const recentReturns: number[] = [];
  const recentLengths: number[] = [];
  if (ctx.resume) {
    const s = ctx.resume.state as unknown as OffPolicyCheckpointFields & S;
    if (s.algo !== algo) throw new Error(`cannot resume a ${s.algo} checkpoint with ${algo.toUpperCase()}`);
    algorithm.setState(s);
    if (normalizer && s.normalizer) normalizer.setState(s.normalizer);
    restoreBuffer(buffer, saved!);
    buffer.setState(s.buffer);
    rng.setState(s.rng);
    ({ iteration, envSteps, updates } = s);
    wallBefore = s.wallSeconds;
    recentReturns.push(...s.recentReturns);
    recentLengths.push(...s.recentLengths);
  }

  const raw = new Float32Array(N * od);
  const normObs = new Float32Array(N * od);
  const act = new Float32Array(N * A);
  const envAction = new Float32Array(N * A);
  raw.set(await vec.reset(envResetSeed(config.seed, iteration)));

  const progress = new TrainProgress(config.totalSteps, envSteps, ctx.progress);
  const start = performance.now();
  let lastCheckpointIter = iteration;
  const checkpoint = () => {
    const fields = { algo, config, envInfo: envInfo(vec), iteration, envSteps, updates, wallSeconds: wallBefore + (performance.now() - start) / 1000, rng: rng.getState() };
    const state: OffPolicyCheckpointFields & S = {
      ...fields, ...algorithm.getState(), normalizer: normalizer?.getState() ?? null, buffer: buffer.getState(), recentReturns, recentLengths,
    };
    saveCheckpoint(ctx.outDir, iteration, state, { replay: bufferBytes(buffer) });
    lastCheckpointIter = iteration;
  };

  let updateDebt = 0;
  let itersThisProcess = 0;
  let iterStart = performance.now();
  let iterSteps = 0;
  let iterUpdates = 0;
  while (envSteps < config.totalSteps && (ctx.maxIterations === undefined || itersThisProcess < ctx.maxIterations) && !ctx.shouldStop()) {
    if (envSteps < cfg.learningStarts) {
      for (let i = 0; i < act.length; i++) act[i] = rng.uniform(-1, 1);
    } else {
      if (normalizer) normalizer.normalize(raw, normObs, N);
      else normObs.set(raw);
      algorithm.explore(normObs, N, act);
    }
    // Policy actions live in [-1, 1]; the env gets them rescaled to its bounds.
    for (let i = 0; i < act.length; i++) {
      const j = i % A;
      envAction[i] = low[j] + ((act[i] + 1) / 2) * (high[j] - low[j]);
    }
    const step = await vec.step(envAction);
    for (let i = 0; i < N; i++) {
      const ended = step.terminated[i] || step.truncated[i];
      const next = ended ? step.finalObs.subarray(i * od, (i + 1) * od) : step.obs.subarray(i * od, (i + 1) * od);
      buffer.add(raw.subarray(i * od, (i + 1) * od), act.subarray(i * A, (i + 1) * A), step.rewards[i] * rewardScale, next, step.terminated[i] === 1);
      if (ended) algorithm.episodeEnded?.(i);
    }
    if (normalizer) normalizer.update(raw, N);
    for (const ep of step.episodes) {
      recentReturns.push(ep.return);
      recentLengths.push(ep.length);
      if (recentReturns.length > 100) recentReturns.shift();
      if (recentLengths.length > 100) recentLengths.shift();
    }
    raw.set(step.obs);
    envSteps += N;
    iterSteps += N;
    if (iterSteps % 50 < N) await yieldToEventLoop(); // see signals (Ctrl-C) every ~50 steps

    if (envSteps >= cfg.learningStarts) {
      updateDebt += cfg.utd * N;
      while (updateDebt >= 1) {
        updateDebt -= 1;
        buffer.sample(rng, batch);
        if (normalizer) {
          normalizer.normalize(batch.obs, batch.obs, cfg.batchSize);
          normalizer.normalize(batch.nextObs, batch.nextObs, cfg.batchSize);
        }
        algorithm.update(batch);
        updates++;
        iterUpdates++;
      }
    }

    if (Math.floor(envSteps / OFF_POLICY_LOG_INTERVAL) > iteration || envSteps >= config.totalSteps) {
      iteration++;
      itersThisProcess++;
      const secs = (performance.now() - iterStart) / 1000;
      const meanRet = mean(recentReturns);
      ctx.metrics.log({
        iteration, env_steps: envSteps, wall_s: wallBefore + (performance.now() - start) / 1000,
        episode_return: meanRet, episode_length: mean(recentLengths), ...algorithm.takeMetrics(), sps: iterSteps / secs, updates: iterUpdates,
      });
      progress.update(envSteps, iterSteps / secs, meanRet);
      iterStart = performance.now();
      iterSteps = 0;
      iterUpdates = 0;
      if (iteration % config.checkpointEvery === 0) checkpoint();
    }
  }
  if (lastCheckpointIter !== iteration) checkpoint();
  progress.stop();
  return { normalizer, iteration, envSteps };
}

/**
 * What an off-policy runner hands back: `deterministicAct` maps normalized observations to
 * env actions; the agent rides along for tests and export.
 */
export function offPolicyTrainedPolicy<T>(
  algo: OffPolicyAlgorithm<object>['algo'],
  run: OffPolicyRun,
  obsSize: number,
  agent: T,
  deterministicAct: (obs: Float32Array, n: number) => Float32Array,
): TrainedPolicy & { agent: T } {
  const { normalizer } = run;
  return {
    algo,
    normalizer,
    iteration: run.iteration,
    envSteps: run.envSteps,
    act(rawObs, n) {
      const x = new Float32Array(n * obsSize);
      if (normalizer) normalizer.normalize(rawObs, x, n);
      else x.set(rawObs.subarray(0, n * obsSize));
      return deterministicAct(x, n);
    },
    agent,
  };
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}
