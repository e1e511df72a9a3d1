// Where envs come from: the built-in `pendulum` task, the ballbot tasks (balance, velocity,
// terrain: sim/vec-env.ts, worker threads), or a user module whose default export is an
// EnvFactory (`--env ./my-env.js`), wrapped in the generic SyncVecEnv.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Env, EnvFactory, VecEnv } from '../sim/env.js';
import { BUILTIN_TASKS as BALLBOT_TASK_NAMES } from '../sim/config/task.js';
import { SyncVecEnv } from '../sim/sync-vec-env.js';
import { makePendulumEnv } from './envs/pendulum.js';
import type { ResidualComposer } from '../sim/residual-policy.js';

export const BALLBOT_TASKS = BALLBOT_TASK_NAMES;
export const BUILTIN_TASKS = ['pendulum', ...BALLBOT_TASKS] as const;

export function isBallbotTask(task: string): boolean {
  return (BALLBOT_TASKS as readonly string[]).includes(task);
}

export interface EnvSource {
  task: string;
  /** Path of a module whose default export is an EnvFactory (bring-your-own env). */
  envModule?: string;
  /** Extra options for the env factory (from the config's `env:` block). */
  options: Record<string, unknown>;
}

async function loadEnvFactory(modulePath: string): Promise<EnvFactory> {
  const url = pathToFileURL(resolve(modulePath)).href;
  let mod: { default?: unknown };
  try {
    mod = await import(url);
  } catch (err) {
    throw new Error(`--env ${modulePath}: cannot import the module: ${(err as Error).message}`);
  }
  if (typeof mod.default !== 'function') throw new Error(`--env ${modulePath}: the default export must be an EnvFactory function (options) => Env, got ${typeof mod.default}`);
  return mod.default as EnvFactory;
}

function checkEnv(env: Env, source: string): Env {
  const missing = ['observationSpace', 'actionSpace', 'reset', 'step'].filter((k) => !(k in env) || (env as unknown as Record<string, unknown>)[k] === undefined);
  if (missing.length) throw new Error(`${source}: the env is missing ${missing.join(', ')} (see sim/env.ts Env)`);
  return env;
}

/** N envs of a task as one VecEnv. `evaluation` turns on full randomization for ballbot tasks unless options say otherwise. */
export async function makeVecEnv(src: EnvSource, numEnvs: number, seed: number, workers = 0): Promise<VecEnv> {
  if (src.envModule) {
    const factory = await loadEnvFactory(src.envModule);
    const envs: Env[] = [];
    for (let i = 0; i < numEnvs; i++) envs.push(checkEnv(await factory({ ...src.options, seed: seed + i }), `--env ${src.envModule}`));
    return new SyncVecEnv(envs);
  }
  if (src.task === 'pendulum') {
    return new SyncVecEnv(Array.from({ length: numEnvs }, (_, i) => makePendulumEnv({ seed: seed + i })));
  }
  if (isBallbotTask(src.task)) {
    const { makeBallbotVecEnv } = await import('../sim/vec-env.js');
    const { residual, memory, history, ...options } = src.options;
    const vec = await makeBallbotVecEnv({ randomize: true, ...options, task: src.task, seed, numEnvs, workers });
    if (residual === undefined && memory === undefined && history === undefined) return vec;
    const { resolveEnvConfig } = await import('../sim/ballbot-env.js');
    const robot = resolveEnvConfig(options).robot;
    if (memory !== undefined || history !== undefined) {
      let wrapped: VecEnv = vec;
      if (memory !== undefined) {
        // The policy sees the leaky integral of its tracking error (sim/memory-vec-env.ts).
        const { parseTrackingMemoryOptions } = await import('../sim/tracking-memory.js');
        const { MemoryVecEnv } = await import('../sim/memory-vec-env.js');
        wrapped = new MemoryVecEnv(wrapped, robot, parseTrackingMemoryOptions(memory, 'training config'));
      }
      if (history !== undefined) {
        // ... and its last observations (sim/history-vec-env.ts).
        const { parseObservationHistoryOptions } = await import('../sim/observation-history.js');
        const { HistoryVecEnv } = await import('../sim/history-vec-env.js');
        wrapped = new HistoryVecEnv(wrapped, parseObservationHistoryOptions(history, 'training config'));
      }
      return wrapped;
    }
    // The agent learns a correction on top of the LQR (sim/residual-vec-env.ts).
    const { parseResidualOptions, ResidualVecEnv } = await import('../sim/residual-vec-env.js');
    const { scale } = parseResidualOptions(residual, 'training config');
    return new ResidualVecEnv(vec, robot, scale);
  }
  throw new Error(`unknown task '${src.task}': use one of ${BUILTIN_TASKS.join(', ')} or --env MODULE`);
}

/**
 * The imitation teacher of a ballbot run (ppo.imitation): the LQR baseline itself, one per env,
 * for the run's robot. It tracks velocity through its odometry position loop: a student matches
 * that only when it sees the tracking memory (env.memory), the leaky integral of the same error.
 */
export async function makeLqrTeacher(options: Record<string, unknown>, numEnvs: number): Promise<ResidualComposer> {
  const { resolveEnvConfig } = await import('../sim/ballbot-env.js');
  const { createLqrController } = await import('../sim/lqr.js');
  const { ResidualComposer } = await import('../sim/residual-policy.js');
  const { residual: _residual, memory: _memory, history: _history, ...envOptions } = options;
  const robot = resolveEnvConfig(envOptions).robot;
  return new ResidualComposer(Array.from({ length: numEnvs }, () => createLqrController(robot)), 0);
}
