// What a runner needs from the training command: the resolved config, the vectorized env,
// the output directory, the seeded RNG, logging, and (on --resume) the checkpoint to load.
import type { VecEnv } from '../../sim/env.js';
import type { LearnerTransport } from '../distributed/transport.js';
import type { Rng } from '../../sim/rng.js';
import type { TrainConfig } from '../config.js';
import type { LoadedCheckpoint } from '../io/checkpoint.js';
import type { MetricsLogger } from '../io/metrics.js';
import type { RunningNormalizer } from '../storage/running-normalizer.js';
import { extraInputShapes, type ExtraInputShape } from '../networks/encoders.js';

export interface RunContext {
  config: TrainConfig;
  vec: VecEnv;
  outDir: string;
  rng: Rng;
  metrics: MetricsLogger;
  resume?: LoadedCheckpoint<Record<string, unknown>>;
  /** Stop after this many iterations of this process (tests); undefined = run to totalSteps. */
  maxIterations?: number;
  progress: boolean;
  /** Called when the process is asked to stop (SIGINT): finish the iteration, checkpoint, return. */
  shouldStop: () => boolean;
  /** Async PPO: learn from the actors behind this transport instead of starting actor threads. */
  transport?: LearnerTransport;
}

/** What every runner hands back for export and evaluation. */
export interface TrainedPolicy {
  algo: TrainConfig['algo'];
  /** Deterministic action for `n` raw (unnormalized) observations. */
  act(rawObs: Float32Array, n: number, extras?: Readonly<Record<string, Float32Array>>): Float32Array;
  normalizer: RunningNormalizer | null;
  iteration: number;
  envSteps: number;
}

/**
 * Let the event loop run (signal handlers, timers). A runner whose envs step synchronously
 * never leaves the microtask queue otherwise, so Ctrl-C/SIGTERM would not be seen.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Seed for resetting the envs at the start of iteration `iteration` (fresh or resumed). */
export function envResetSeed(seed: number, iteration: number): number {
  return (seed * 1_000_003 + iteration * 7919 + 1) >>> 0;
}

/** Privileged observations right after a reset, when the VecEnv exposes them. */
export function privilegedAfterReset(vec: VecEnv): Float32Array | undefined {
  const v = vec as unknown as { privileged?: unknown; result?: { privileged?: Float32Array } };
  if (typeof v.privileged === 'function') return (v.privileged as () => Float32Array | undefined).call(vec);
  return v.result?.privileged;
}

/** What export and eval need to know about the env a run was trained on. */
export interface EnvInfo {
  obsSize: number;
  actSize: number;
  privSize: number;
  actLow: number[];
  actHigh: number[];
  obsNames: string[] | null;
  actNames: string[] | null;
  dt: number;
  /** Extra observations the policy reads (depth, height scan); absent for a blind env. */
  extras?: ExtraInputShape[];
}

export function envInfo(vec: VecEnv): EnvInfo {
  return {
    obsSize: vec.observationSpace.shape[0],
    actSize: vec.actionSpace.shape[0],
    privSize: vec.privilegedSpace?.shape[0] ?? 0,
    actLow: Array.from(vec.actionSpace.low),
    actHigh: Array.from(vec.actionSpace.high),
    obsNames: vec.observationSpace.names ? [...vec.observationSpace.names] : null,
    actNames: vec.actionSpace.names ? [...vec.actionSpace.names] : null,
    dt: vec.dt,
    ...(vec.observationSpaces ? { extras: extraInputShapes(vec.observationSpaces) } : {}),
  };
}
