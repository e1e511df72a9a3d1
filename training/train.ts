// `ballbot train` as a function: set up the backend, env, logs and (on --resume) the
// checkpoint; run PPO or SAC; then write the learning curves, export policy.onnx and
// evaluate it on held-out seeds. Everything lands in one run directory:
//   config.json  metrics.csv  tb/events.out.tfevents.*  checkpoints/  curves.svg  policy.onnx  eval.json
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../sim/rng.js';
import { initBackend } from './backend.js';
import { atomicWriteFile } from '../common/atomic-write.js';
import { cleanRunDir, loadCheckpoint } from './io/checkpoint.js';
import type { TrainConfig } from './config.js';
import type { LearnerTransport } from './distributed/transport.js';
import { evaluate, evaluateLqr, type EvalResult } from './evaluate.js';
import { exportRunPolicy, policyMetadata, robotFor } from './io/export-policy.js';
import { composeResidualBatch } from '../sim/residual-policy.js';
import { learningCurvesSvg } from './io/learning-curves.js';
import { MetricsLogger } from './io/metrics.js';
import { runPpo } from './runners/on-policy-runner.js';
import { runAsyncPpo } from './runners/async-ppo-runner.js';
import { loadRunPolicy, specActions, type RunPolicy } from './io/run-policy.js';
import { runSac } from './runners/sac-runner.js';
import { runA2c } from './runners/a2c-runner.js';
import { runDeterministic } from './runners/deterministic-runner.js';
import { isBallbotTask, makeVecEnv } from './tasks.js';
import { envInfo, type EnvInfo } from './runners/run-context.js';
import { isDeepStrictEqual } from 'node:util';

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
  /** Ballbot tasks: the LQR baseline on the same held-out episodes as `eval`. */
  lqrEval?: EvalResult;
  /** Ballbot tasks: policy and LQR on each of the config's evalRandomization sets (the first is eval / lqrEval). */
  evaluations?: RandomizationEvaluation[];
  interrupted: boolean;
}

export interface RandomizationEvaluation {
  randomization: string;
  policy: EvalResult;
  lqr: EvalResult;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config, outDir } = opts;
  const backend = await initBackend();
  const resume = opts.resume ? loadCheckpoint<Record<string, unknown>>(outDir) : undefined;
  if (!resume && existsSync(join(outDir, 'checkpoints', 'latest.json'))) {
    throw new Error(`${outDir} already holds a run; use --resume ${outDir} to continue it or choose another --out`);
  }
  if (resume) {
    checkResumable(resume.state, config, resume.file);
    for (const key of Object.keys(resume.state.sideFiles ?? {})) resume.readSide(key);
  }
  // Async PPO steps its envs on the rollout actors; the learner's env only describes the spaces.
  if (opts.transport && config.algo !== 'ppo') throw new Error(`remote actors train PPO only; this config has algo: ${config.algo}`);
  if (opts.transport && config.ppo.imitation) throw new Error('ppo.imitation needs the learner to collect its own rollouts (ppo.mode: sync), not remote actors');
  const asyncPpo = config.algo === 'ppo' && (config.ppo.mode === 'async' || opts.transport !== undefined);
  const vec = await makeVecEnv({ task: config.task, envModule: config.envModule, options: config.env }, asyncPpo ? 1 : config.numEnvs, config.seed, asyncPpo ? 0 : config.workers);
  const extraNames = Object.keys(vec.observationSpaces ?? {});
  if (extraNames.length && (config.algo !== 'ppo' || asyncPpo)) {
    await vec.close();
    throw new Error(`task ${config.task} gives extra observations (${extraNames.join(', ')}); only PPO with ppo.mode: sync reads them (${config.algo === 'ppo' ? 'ppo.mode is async' : `algo is ${config.algo}`})`);
  }
  if (resume) {
    try {
      checkSameEnv(resume.state.envInfo as EnvInfo, envInfo(vec), resume.file);
    } catch (err) {
      await vec.close();
      throw err;
    }
  }
  // Nothing is written before the run is known to be startable (a refused --resume leaves the directory as it was).
  cleanRunDir(outDir);
  atomicWriteFile(join(outDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
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
    cleanRunDir(outDir);
  }
  atomicWriteFile(join(outDir, 'curves.svg'), learningCurvesSvg(metrics.rows, `${config.algo.toUpperCase()} on ${config.task} (seed ${config.seed})`));
  const result: TrainResult = {
    outDir, iteration: trained.iteration, envSteps: trained.envSteps, wallSeconds: (performance.now() - start) / 1000, backend, interrupted: stopRequested,
  };
  // Stopped before the first update (e.g. no actors came): there is no policy to export.
  if (opts.skipFinish || (result.interrupted && !existsSync(join(outDir, 'checkpoints', 'latest.json')))) return result;
  const policy = loadRunPolicy(outDir);
  result.policyFile = join(outDir, 'policy.onnx');
  exportRunPolicy(policy, result.policyFile);
  if (config.evalEpisodes > 0) {
    const seed = config.evalSeed ?? config.seed;
    if (isBallbotTask(config.task) && !config.envModule) {
      // Policy and LQR on the same held-out episodes of each set (the training env's by default).
      const sets: (string | undefined)[] = config.evalRandomization ?? [undefined];
      result.evaluations = [];
      for (const set of sets) {
        const randomize = set ?? config.env.randomize ?? true;
        const policyEval = await evaluateRunPolicy(policy, config.evalEpisodes, seed, { randomize });
        const lqrEval = await evaluateLqr(config.task, config.evalEpisodes, seed, randomize, config.env.robot);
        result.evaluations.push({ randomization: typeof randomize === 'string' ? randomize : randomize === true ? 'default' : 'custom', policy: policyEval, lqr: lqrEval });
      }
      result.eval = result.evaluations[0].policy;
      result.lqrEval = result.evaluations[0].lqr;
      atomicWriteFile(join(outDir, 'eval-lqr.json'), JSON.stringify(result.lqrEval, null, 2) + '\n');
      atomicWriteFile(join(outDir, 'evaluations.json'), JSON.stringify(result.evaluations, null, 2) + '\n');
    } else {
      result.eval = await evaluateRunPolicy(policy, config.evalEpisodes, seed);
    }
    atomicWriteFile(join(outDir, 'eval.json'), JSON.stringify(result.eval, null, 2) + '\n');
  }
  return result;
}

/** Config keys a resumed run must keep: they decide the shapes and meaning of the saved state. */
const FIXED_ON_RESUME = ['algo', 'task', 'envModule', 'network', 'numEnvs', 'normalizeObs'] as const;

/** Refuse a --resume whose config cannot continue the checkpoint, before anything is written. */
export function checkResumable(saved: Record<string, unknown>, config: TrainConfig, file: string): void {
  const savedConfig = saved.config as Partial<TrainConfig> | undefined;
  if (!savedConfig || typeof savedConfig !== 'object') throw new Error(`checkpoint ${file} holds no config; it cannot be resumed`);
  const changed = FIXED_ON_RESUME.filter((key) => !isDeepStrictEqual(savedConfig[key], config[key]));
  if (changed.length) {
    const what = changed.map((key) => `${key} (checkpoint: ${JSON.stringify(savedConfig[key])}, now: ${JSON.stringify(config[key])})`).join('; ');
    throw new Error(`cannot resume ${file}: ${what}; these keys must stay as the run was started. Nothing was written`);
  }
}

function checkSameEnv(saved: EnvInfo | undefined, now: EnvInfo, file: string): void {
  if (!saved) return;
  const changed = (['obsSize', 'actSize', 'privSize'] as const).filter((k) => saved[k] !== now[k]);
  if (changed.length) {
    throw new Error(`cannot resume ${file}: the env now has ${changed.map((k) => `${k} ${now[k]} (checkpoint: ${saved[k]})`).join(', ')}. Nothing was written`);
  }
}

/**
 * Evaluate a run's deterministic policy on `episodes` held-out episodes of its task. A residual
 * run is evaluated as its artifact runs: the plain env, base + residual composed in the policy
 * (sim/residual-policy.ts), so action smoothness is measured on what the robot receives.
 */
export async function evaluateRunPolicy(policy: RunPolicy, episodes: number, seed: number, envOverrides: Record<string, unknown> = {}, task?: string, envModule?: string): Promise<EvalResult> {
  const cfg = policy.config;
  // The task's own reward (no env.reward overrides), so returns compare across runs and with the LQR.
  const { residual: _residual, reward: _reward, ...env } = { ...cfg.env, ...envOverrides };
  const vec = await makeVecEnv({ task: task ?? cfg.task, envModule: envModule ?? cfg.envModule, options: env }, episodes, seed, 0);
  try {
    const out = new Float32Array(episodes * policy.envInfo.actSize);
    // The residual's base controller is the one made for the robot the run trained on (a perceptive
    // run trains on its own robot config), whatever plant env overrides pick.
    const compose = composeResidualBatch(policyMetadata(policy), policy.checkpointFile, robotFor(policy) ?? undefined);
    return await evaluate(vec, (obs, n, extras) => compose(obs, specActions(policy.spec, policy.envInfo, obs, n, out, extras), n), seed);
  } finally {
    await vec.close();
  }
}
