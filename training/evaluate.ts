// Evaluation on held-out seeds: `episodes` envs each run one full episode with a
// deterministic policy. Reports success (no fall, i.e. not terminated), returns, action
// smoothness (mean |a_t - a_{t-1}| per step and action), and for the ballbot tasks the
// push-recovery rate and velocity tracking error from the env's episode statistics.
import type { RobotConfig } from '../sim/config/robot.js';
import type { Controller } from '../sim/controller.js';
import type { EpisodeInfo, VecEnv } from '../sim/env.js';
import { ACTION_SIZE, OBS_SIZE } from '../sim/observation.js';
import { makeVecEnv } from './tasks.js';

/** Seeds at and above this are never used by training resets (which stay below 2^31). */
const HELD_OUT_SEED_BASE = 0x80000000;

function heldOutSeed(seed: number): number {
  return (HELD_OUT_SEED_BASE + seed * 10_007) >>> 0;
}

export interface EvalResult {
  episodes: number;
  successRate: number;
  meanReturn: number;
  stdReturn: number;
  meanLength: number;
  meanActionChange: number;
  pushRecoveryRate?: number;
  pushes?: number;
  trackingErrorMps?: number;
  maxTiltDeg?: number;
}

/** Extra observation batches by name (depth, height scan), rows like the obs. */
export type ExtraBatches = Readonly<Record<string, Float32Array>>;

export type BatchPolicy = (rawObs: Float32Array, n: number, extras?: ExtraBatches) => Float32Array | Promise<Float32Array>;

export async function evaluate(vec: VecEnv, policy: BatchPolicy, seed: number, options: { maxSteps?: number } = {}): Promise<EvalResult> {
  const n = vec.numEnvs;
  const A = vec.actionSpace.shape[0];
  const low = vec.actionSpace.low;
  const high = vec.actionSpace.high;
  let obs = Float32Array.from(await vec.reset(heldOutSeed(seed)));
  let extras = vec.currentExtras?.();
  const done = new Uint8Array(n);
  const prev = new Float32Array(n * A);
  const action = new Float32Array(n * A);
  const change = new Float64Array(n);
  const steps = new Int32Array(n);
  const results: (EpisodeInfo | null)[] = new Array(n).fill(null);
  let remaining = n;
  const maxSteps = options.maxSteps ?? 1_000_000;
  for (let t = 0; remaining > 0 && t < maxSteps; t++) {
    const a = await policy(obs, n, extras);
    for (let i = 0; i < n * A; i++) {
      const j = i % A;
      action[i] = Math.min(high[j], Math.max(low[j], a[i]));
    }
    for (let e = 0; e < n; e++) {
      if (done[e]) continue;
      if (steps[e] > 0) for (let j = 0; j < A; j++) change[e] += Math.abs(action[e * A + j] - prev[e * A + j]) / A;
      for (let j = 0; j < A; j++) prev[e * A + j] = action[e * A + j];
      steps[e]++;
    }
    const r = await vec.step(action);
    for (const ep of r.episodes) {
      if (done[ep.env]) continue;
      done[ep.env] = 1;
      results[ep.env] = { ...ep };
      remaining--;
    }
    obs = Float32Array.from(r.obs);
    extras = r.extras;
  }
  const eps = results.filter((r): r is EpisodeInfo => r !== null);
  if (eps.length === 0) throw new Error('evaluation ended without any finished episode (raise maxSteps?)');
  const returns = eps.map((e) => e.return);
  const meanReturn = avg(returns);
  const out: EvalResult = {
    episodes: eps.length,
    successRate: eps.filter((e) => !e.terminated).length / eps.length,
    meanReturn,
    stdReturn: Math.sqrt(avg(returns.map((r) => (r - meanReturn) ** 2))),
    meanLength: avg(eps.map((e) => e.length)),
    meanActionChange: avg(eps.map((e) => change[e.env] / Math.max(1, steps[e.env] - 1))),
  };
  if (eps.every((e) => typeof e.pushes === 'number')) {
    const pushes = eps.reduce((s, e) => s + (e.pushes as number), 0);
    const recovered = eps.reduce((s, e) => s + (e.pushesRecovered as number), 0);
    out.pushes = pushes;
    out.pushRecoveryRate = pushes > 0 ? recovered / pushes : 1;
  }
  if (eps.every((e) => typeof e.maxTiltDeg === 'number')) out.maxTiltDeg = Math.max(...eps.map((e) => e.maxTiltDeg as number));
  if (eps.some((e) => typeof e.trackingErrorMps === 'number' && (e.trackingErrorMps as number) > 0)) {
    out.trackingErrorMps = avg(eps.map((e) => e.trackingErrorMps as number));
  }
  return out;
}

function avg(a: number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}

/** One controller per env as a batch policy; each is reset once (each env runs one evaluated episode). */
export function controllerBatchPolicy(controllers: Controller[]): BatchPolicy {
  for (const c of controllers) c.reset();
  const out = new Float32Array(controllers.length * ACTION_SIZE);
  return (obs, n) => {
    for (let i = 0; i < n; i++) controllers[i].act(obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), out.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE));
    return out;
  };
}

/** The LQR baseline (sim/lqr.ts, default robot) for `n` envs. */
/** One LQR per env, made for `robot` (default configs/robot/default.yaml). */
export async function lqrBatchPolicy(n: number, given?: RobotConfig): Promise<BatchPolicy> {
  const { createLqrController } = await import('../sim/lqr.js');
  const { loadRobotConfig } = await import('../sim/config/robot.js');
  const { DEFAULT_ROBOT_CONFIG } = await import('../sim/config/paths.js');
  const robot = given ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  return controllerBatchPolicy(Array.from({ length: n }, () => createLqrController(robot)));
}

/**
 * The LQR baseline on `episodes` held-out episodes of a ballbot task. `randomize`: true for
 * the default ranges, or a randomization YAML path / config (the same as the policy gets).
 */
export async function evaluateLqr(task: string, episodes: number, seed: number, randomize: unknown = true, robot?: unknown): Promise<EvalResult> {
  // `robot`: the run's robot config (path or config) when it is not the default one, e.g. one carrying perception.
  const vec = await makeVecEnv({ task, options: { randomize, ...(robot !== undefined ? { robot } : {}) } }, episodes, seed, 0);
  try {
    return await evaluate(vec, await lqrBatchPolicy(episodes), seed);
  } finally {
    await vec.close();
  }
}

/** A short table of a policy against the LQR on the same held-out episodes (for the end of a run). */
export function formatAgainstLqr(policy: EvalResult, lqr: EvalResult): string {
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(0)} %`);
  const num = (x: number | undefined, d: number) => (x === undefined ? '-' : x.toFixed(d));
  const row = (name: string, e: EvalResult) =>
    `| ${name} | ${pct(e.successRate)} | ${pct(e.pushRecoveryRate)} | ${num(e.meanReturn, 2)} | ${num(e.trackingErrorMps, 3)} | ${num(e.meanActionChange, 4)} |`;
  return [
    `held-out evaluation, ${policy.episodes} episodes, same seeds for both:`,
    '| controller | success | push recovery | mean return | tracking error (m/s) | action change / step |',
    '|---|---|---|---|---|---|',
    row('policy', policy),
    row('LQR', lqr),
  ].join('\n');
}
