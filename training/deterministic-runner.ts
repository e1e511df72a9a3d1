// The off-policy runner of the deterministic actor-critics (TD3, DDPG): step N envs with
// tanh(mu(s)) + exploration noise (uniform random actions until learningStarts), store the
// transitions in SAC's replay buffer (truncation bootstraps, termination does not), run
// `utd` updates per env step, log every SAC_LOG_INTERVAL env steps, checkpoint with the
// replay buffer and the noise state so --resume continues exactly.
import { RunningNormalizer, type NormalizerState } from './running-normalizer.js';
import { ReplayBuffer } from './replay-buffer.js';
import { SAC_LOG_INTERVAL, bufferBytes, restoreBuffer } from './sac-runner.js';
import { DeterministicAgent, td3Options, type DeterministicState } from './td3.js';
import { ddpgOptions } from './ddpg.js';
import { makeNoise } from './exploration-noise.js';
import { saveCheckpoint } from './checkpoint.js';
import { TrainProgress } from './progress.js';
import { envInfo, envResetSeed, yieldToEventLoop, type EnvInfo, type RunContext, type TrainedPolicy } from './run-context.js';
import type { RngState } from '../sim/rng.js';

export interface DeterministicCheckpoint {
  algo: 'td3' | 'ddpg';
  config: unknown;
  envInfo: EnvInfo;
  iteration: number;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  rng: { s: RngState; spare: number | null };
  agent: DeterministicState;
  noise: Float32Array;
  normalizer: NormalizerState | null;
  buffer: { size: number; pos: number };
  recentReturns: number[];
  recentLengths: number[];
}

export async function runDeterministic(ctx: RunContext, algo: 'td3' | 'ddpg'): Promise<TrainedPolicy> {
  const { config, vec, rng } = ctx;
  const cfg = algo === 'td3' ? config.td3 : config.ddpg;
  const N = vec.numEnvs;
  const od = vec.observationSpace.shape[0];
  const A = vec.actionSpace.shape[0];
  const low = vec.actionSpace.low;
  const high = vec.actionSpace.high;
  const agent = new DeterministicAgent(od, A, config, algo === 'td3' ? td3Options(config) : ddpgOptions(config), rng, Math.max(N, cfg.batchSize));
  const noise = makeNoise(cfg.noise, N, A);
  const normalizer = config.normalizeObs ? new RunningNormalizer(od, config.obsClip) : null;
  const buffer = new ReplayBuffer(Math.min(cfg.bufferSize, config.totalSteps + N), od, A);
  const batch = ReplayBuffer.makeBatch(cfg.batchSize, od, A);

  let iteration = 0;
  let envSteps = 0;
  let updates = 0;
  let wallBefore = 0;
  const recentReturns: number[] = [];
  const recentLengths: number[] = [];
  if (ctx.resume) {
    const s = ctx.resume.state as unknown as DeterministicCheckpoint;
    if (s.algo !== algo) throw new Error(`cannot resume a ${s.algo} checkpoint with ${algo.toUpperCase()}`);
    agent.setState(s.agent);
    noise.setState(s.noise);
    if (normalizer && s.normalizer) normalizer.setState(s.normalizer);
    restoreBuffer(buffer, ctx.resume.readSide('replay'));
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
  const eps = new Float32Array(N * A);
  const envAction = new Float32Array(N * A);
  raw.set(await vec.reset(envResetSeed(config.seed, iteration)));

  const progress = new TrainProgress(config.totalSteps, envSteps, ctx.progress);
  const start = performance.now();
  let lastCheckpointIter = iteration;
  const checkpoint = () => {
    const state: DeterministicCheckpoint = {
      algo, config, envInfo: envInfo(vec), iteration, envSteps, updates, wallSeconds: wallBefore + (performance.now() - start) / 1000,
      rng: rng.getState(), agent: agent.getState(), noise: noise.getState(), normalizer: normalizer?.getState() ?? null,
      buffer: buffer.getState(), recentReturns, recentLengths,
    };
    saveCheckpoint(ctx.outDir, iteration, state, { replay: bufferBytes(buffer) });
    lastCheckpointIter = iteration;
  };

  let updateDebt = 0;
  let itersThisProcess = 0;
  let iterStart = performance.now();
  let iterSteps = 0;
  let iterUpdates = 0;
  const sums = { q: 0, pi: 0, n: 0, nPi: 0 };
  while (envSteps < config.totalSteps && (ctx.maxIterations === undefined || itersThisProcess < ctx.maxIterations) && !ctx.shouldStop()) {
    if (envSteps < cfg.learningStarts) {
      for (let i = 0; i < act.length; i++) act[i] = rng.uniform(-1, 1);
    } else {
      if (normalizer) normalizer.normalize(raw, normObs, N);
      else normObs.set(raw);
      agent.act(normObs, N, act);
      noise.sample(rng, eps);
      for (let i = 0; i < act.length; i++) act[i] = Math.min(1, Math.max(-1, act[i] + eps[i]));
    }
    // Actor actions live in [-1, 1]; the env gets them rescaled to its bounds.
    for (let i = 0; i < act.length; i++) {
      const j = i % A;
      envAction[i] = low[j] + ((act[i] + 1) / 2) * (high[j] - low[j]);
    }
    const step = await vec.step(envAction);
    for (let i = 0; i < N; i++) {
      const ended = step.terminated[i] || step.truncated[i];
      const next = ended ? step.finalObs.subarray(i * od, (i + 1) * od) : step.obs.subarray(i * od, (i + 1) * od);
      buffer.add(raw.subarray(i * od, (i + 1) * od), act.subarray(i * A, (i + 1) * A), step.rewards[i], next, step.terminated[i] === 1);
      if (ended) noise.resetEnv(i);
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
        const s = agent.update(batch, rng);
        sums.q += s.qLoss;
        sums.n++;
        if (s.actorUpdated) {
          sums.pi += s.actorLoss;
          sums.nPi++;
        }
        updates++;
        iterUpdates++;
      }
    }

    if (Math.floor(envSteps / SAC_LOG_INTERVAL) > iteration || envSteps >= config.totalSteps) {
      iteration++;
      itersThisProcess++;
      const secs = (performance.now() - iterStart) / 1000;
      const meanRet = mean(recentReturns);
      ctx.metrics.log({
        iteration, env_steps: envSteps, wall_s: wallBefore + (performance.now() - start) / 1000,
        episode_return: meanRet, episode_length: mean(recentLengths), q_loss: sums.n ? sums.q / sums.n : NaN,
        policy_loss: sums.nPi ? sums.pi / sums.nPi : NaN, lr: cfg.actorLr, sps: iterSteps / secs, updates: iterUpdates,
      });
      progress.update(envSteps, iterSteps / secs, meanRet);
      Object.assign(sums, { q: 0, pi: 0, n: 0, nPi: 0 });
      iterStart = performance.now();
      iterSteps = 0;
      iterUpdates = 0;
      if (iteration % config.checkpointEvery === 0) checkpoint();
    }
  }
  if (lastCheckpointIter !== iteration) checkpoint();
  progress.stop();
  const exported = agent.exportActor(cfg.ema.export);
  return {
    algo,
    normalizer,
    iteration,
    envSteps,
    act(rawObs, n) {
      const x = new Float32Array(n * od);
      if (normalizer) normalizer.normalize(rawObs, x, n);
      else x.set(rawObs.subarray(0, n * od));
      return agent.act(x, n, new Float32Array(n * A), exported);
    },
    ...{ agent },
  } as TrainedPolicy & { agent: DeterministicAgent };
}

function mean(a: number[]): number {
  return a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN;
}
