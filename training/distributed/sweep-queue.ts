// Sweeps on a BullMQ queue in Redis: `enqueueSweep` adds one job per training run (idempotent:
// job ids are stable, so enqueueing a sweep twice adds nothing), and `sweepReport` gathers the
// finished jobs' evaluation curves into the same table and plot as `ballbot compare`.
import { readFileSync } from 'node:fs';
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import type { CompareResult, CurvePoint } from '../compare.js';
import type { TrainConfig } from '../config.js';
import { probeRedis, redisOptions, type RedisEndpoint } from './redis-connection.js';
import { currentPackageVersion } from './redis-run.js';
import type { SweepPlan } from './sweep-spec.js';

export const SWEEP_QUEUE = 'sweeps';
export const SWEEP_PREFIX = 'ballbot';

export interface SweepJobData {
  sweep: string;
  variant: string;
  seed: number;
  config: TrainConfig;
  packageVersion: string;
  evals: number;
  episodes: number;
  evalSeed: number;
}

export interface SweepJobResult {
  variant: string;
  seed: number;
  points: CurvePoint[];
  runDir: string;
  host: string;
}

export type SweepJob = Job<SweepJobData, SweepJobResult>;

export function openSweepQueue(endpoint: RedisEndpoint): Queue {
  return new Queue(SWEEP_QUEUE, { connection: sweepConnection(endpoint), prefix: SWEEP_PREFIX });
}

/**
 * BullMQ's queue for sweeps, after checking that Redis answers (BullMQ itself would wait for it
 * forever, without a word).
 */
async function openCheckedQueue(endpoint: RedisEndpoint): Promise<Queue> {
  await probeRedis(endpoint);
  return openSweepQueue(endpoint);
}

/** BullMQ connection options from the one Redis connection setup (its own RedisOptions type is narrower). */
export function sweepConnection(endpoint: RedisEndpoint): ConnectionOptions {
  return redisOptions(endpoint) as ConnectionOptions;
}

/** Add every run of the plan as a job; returns how many were new (others were queued already). */
export async function enqueueSweep(endpoint: RedisEndpoint, plan: SweepPlan): Promise<{ added: number; existing: number }> {
  const queue = await openCheckedQueue(endpoint);
  try {
    let added = 0;
    for (const run of plan.runs) {
      if (await queue.getJob(run.id)) continue;
      const data: SweepJobData = {
        sweep: plan.spec.name, variant: run.variant, seed: run.seed, config: run.config, packageVersion: currentPackageVersion(),
        evals: plan.spec.evals, episodes: plan.spec.episodes, evalSeed: plan.spec.evalSeed,
      };
      await queue.add(plan.spec.name, data, { jobId: run.id, attempts: plan.spec.attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
      added++;
    }
    return { added, existing: plan.runs.length - added };
  } finally {
    await queue.close();
  }
}

export interface SweepCounts {
  completed: number;
  failed: number;
  pending: number;
}

/** Progress a worker stores on its job. */
export interface SweepJobProgress {
  envSteps: number;
  totalSteps: number;
  stepsPerSecond: number;
}

export interface SweepJobRow {
  id: string;
  variant: string;
  seed: number;
  state: 'completed' | 'failed' | 'active' | 'pending';
  /** Env steps trained so far / in total, when a worker reported them. */
  progress: SweepJobProgress | null;
  attemptsStarted: number;
  failedReason?: string;
}

/** Jobs of one sweep by state (pending: waiting, delayed or retrying). */
export async function sweepJobs(endpoint: RedisEndpoint, sweep: string): Promise<{ completed: SweepJob[]; failed: SweepJob[]; rows: SweepJobRow[]; counts: SweepCounts }> {
  const queue = await openCheckedQueue(endpoint);
  try {
    const mine = (jobs: (Job | undefined)[]) => (jobs as (SweepJob | undefined)[]).filter((j): j is SweepJob => j !== undefined && j.data.sweep === sweep);
    const completed = mine(await queue.getJobs(['completed']));
    const failed = mine(await queue.getJobs(['failed']));
    const active = mine(await queue.getJobs(['active']));
    const pending = mine(await queue.getJobs(['waiting', 'delayed', 'prioritized', 'waiting-children']));
    const row = (j: SweepJob, state: SweepJobRow['state']): SweepJobRow => ({
      id: String(j.id), variant: j.data.variant, seed: j.data.seed, state, attemptsStarted: j.attemptsStarted,
      progress: typeof j.progress === 'object' && j.progress !== null ? (j.progress as unknown as SweepJobProgress) : null,
      ...(state === 'failed' ? { failedReason: j.failedReason } : {}),
    });
    const rows = [
      ...completed.map((j) => row(j, 'completed')), ...failed.map((j) => row(j, 'failed')),
      ...active.map((j) => row(j, 'active')), ...pending.map((j) => row(j, 'pending')),
    ].sort((a, b) => a.id.localeCompare(b.id));
    return { completed, failed, rows, counts: { completed: completed.length, failed: failed.length, pending: active.length + pending.length } };
  } finally {
    await queue.close();
  }
}

/** The comparison table and plot of a sweep's finished jobs, one row per variant. */
export async function sweepReport(endpoint: RedisEndpoint, sweep: string, outDir: string): Promise<{ files: CompareResult['files']; counts: SweepCounts; markdown: string }> {
  // Loaded here, not at the top: enqueueing and --status need no training code (tfjs).
  const { lqrRow, summarize, writeCompareFiles } = await import('../compare.js');
  const { evaluateLqr } = await import('../evaluate.js');
  const { isBallbotTask } = await import('../tasks.js');
  const { completed, counts } = await sweepJobs(endpoint, sweep);
  if (completed.length === 0) throw new Error(`sweep '${sweep}' has no finished jobs yet (${counts.pending} pending, ${counts.failed} failed)`);
  const results = completed.map((j) => j.returnvalue).sort((a, b) => a.variant.localeCompare(b.variant) || a.seed - b.seed);
  const variants = [...new Set(results.map((r) => r.variant))];
  const points = results.flatMap((r) => r.points.map((p) => ({ ...p, algo: r.variant })));
  const summary = summarize(points, variants).map((row, i) => ({ ...row, name: variants[i] }));
  const first = completed[0].data;
  // The LQR baseline on the same held-out episodes, as `ballbot compare` has it (ballbot tasks).
  const lqr = isBallbotTask(first.config.task) ? await evaluateLqr(first.config.task, first.episodes, first.evalSeed) : null;
  if (lqr) summary.push(lqrRow(lqr));
  const seeds = new Set(results.map((r) => r.seed)).size;
  const files = writeCompareFiles(outDir, {
    points, summary, lqr, rowNames: variants,
    title: `sweep ${sweep}: ${first.config.algo.toUpperCase()} on ${first.config.task} (${seeds} seed(s), ${first.episodes} held-out episodes per point)`,
    table: { task: first.config.task, steps: first.config.totalSteps, seeds, evalEpisodes: first.episodes },
    options: { sweep, jobs: counts },
  });
  return { files, counts, markdown: readFileSync(files.markdown, 'utf8') };
}
