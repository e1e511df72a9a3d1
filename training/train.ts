// `ballbot train` as a function: set up the backend, env, logs and (on --resume) the
// checkpoint; run PPO or SAC; then write the learning curves, export policy.onnx and
// evaluate it on held-out seeds. Everything lands in one run directory:
//   config.json  metrics.csv  tb/events.out.tfevents.*  checkpoints/  curves.svg  policy.onnx  eval.json
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../sim/rng.js';
import { initBackend } from './backend.js';
import { atomicWriteFile } from '../common/atomic-write.js';
import { loadCheckpoint } from './io/checkpoint.js';
import type { TrainConfig } from './config.js';
import type { LearnerTransport } from './distributed/transport.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { exportRunPolicy } from './io/export-policy.js';
import { learningCurvesSvg } from './io/learning-curves.js';
import { MetricsLogger } from './io/metrics.js';
import { runPpo } from './runners/on-policy-runner.js';
import { runAsyncPpo } from './runners/async-ppo-runner.js';
import { loadRunPolicy, specActions, type RunPolicy } from './io/run-policy.js';
import { runSac } from './runners/sac-runner.js';
import { runA2c } from './runners/a2c-runner.js';
import { runDeterministic } from './runners/deterministic-runner.js';
import { makeVecEnv } from './tasks.js';

export interface TrainOptions {
  config: TrainConfig;
  outDir: string;
  /** Continue from the latest checkpoint in outDir. */
  resume?: boolean;
  progress?: boolean;
  /** Stop after this many iterations in this process (tests). */
  maxIterations?: number;
  /** Skip export and evaluation at the end (tests, benchmarks). */
  skipFinish?: boolean;
  /** PPO only: learn asynchronously from the actors behind this transport (e.g. over Redis). */
  transport?: LearnerTransport;
}

export interface TrainResult {
  outDir: string;
  iteration: number;
  envSteps: number;
  wallSeconds: number;
  backend: string;
  policyFile?: string;
  eval?: EvalResult;
  interrupted: boolean;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, outDir } = opts;
  const backend = await initBackend();
  const resume = opts.resume ? loadCheckpoint<Record<string, unknown>>(outDir) : undefined;
  if (!resume && existsSync(join(outDir, 'checkpoints', 'latest.json'))) {
    throw new Error(`${outDir} already holds a run; use --resume ${outDir} to continue it or choose another --out`);
  }
  atomicWriteFile(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  // Async PPO steps its envs on the rollout actors; the learner's env only describes the spaces.
  if (opts.transport && config.algo !== 'ppo') throw new Error(`remote actors train PPO only; this config has algo: ${config.algo}`);
  const asyncPpo = config.algo === 'ppo' && (config.ppo.mode === 'async' || opts.transport !== undefined);
  const vec = await makeVecEnv({ task: config.task, envModule: config.envModule, options: config.env }, asyncPpo ? 1 : config.numEnvs, config.seed, asyncPpo ? 0 : config.workers);
  const metrics = new MetricsLogger(outDir, resume ? (resume.state.iteration as number) : undefined);
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130); // second Ctrl-C: the last checkpoint is intact
    stopRequested = true;
    process.stderr.write('\nstopping after this iteration (checkpoint will be written); Ctrl-C again to quit now\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const start = performance.now();
  let trained;
  try {
    const ctx = {
      config, vec, outDir, rng: new Rng(config.seed), metrics, resume, maxIterations: opts.maxIterations,
      progress: opts.progress ?? true, shouldStop: () => stopRequested, transport: opts.transport,
    };
    trained = asyncPpo ? await runAsyncPpo(ctx) : config.algo === 'ppo' ? await runPpo(ctx) : config.algo === 'sac' ? await runSac(ctx) : config.algo === 'a2c' ? await runA2c(ctx) : await runDeterministic(ctx, config.algo);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    metrics.close();
    await vec.close();
  }
  atomicWriteFile(join(outDir, 'curves.svg'), learningCurvesSvg(metrics.rows, `${config.algo.toUpperCase()} on ${config.task} (seed ${config.seed})`));
  const result: TrainResult = {
    outDir, iteration: trained.iteration, envSteps: trained.envSteps, wallSeconds: (performance.now() - start) / 1000, backend, interrupted: stopRequested,
  };
  if (opts.skipFinish) return result;
  const policy = loadRunPolicy(outDir);
  result.policyFile = join(outDir, 'policy.onnx');
  exportRunPolicy(policy, result.policyFile);
  if (config.evalEpisodes > 0) {
    result.eval = await evaluateRunPolicy(policy, config.evalEpisodes, config.seed);
    atomicWriteFile(join(outDir, 'eval.json'), JSON.stringify(result.eval, null, 2) + '\n');
  }
  return result;
}

/** Evaluate a run's deterministic policy on `episodes` held-out episodes of its task. */
export async function evaluateRunPolicy(policy: RunPolicy, episodes: number, seed: number, envOverrides: Record<string, unknown> = {}, task?: string): Promise<EvalResult> {
  const cfg = policy.config;
  const vec = await makeVecEnv({ task: task ?? cfg.task, envModule: cfg.envModule, options: { ...cfg.env, ...envOverrides } }, episodes, seed, 0);
  try {
    const out = new Float32Array(episodes * policy.envInfo.actSize);
    return await evaluate(vec, (obs, n) => specActions(policy.spec, policy.envInfo, obs, n, out), seed);
  } finally {
    await vec.close();
  }
}
