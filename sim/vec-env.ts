// Vectorized ballbot envs. `numEnvs` robots share Rapier Worlds (one World per worker):
// in-process (workers = 0) or spread over worker threads that step in parallel and
// exchange batches through SharedArrayBuffers (no copies through postMessage).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { BallbotBatch, EPISODE_STRIDE, PRIV_SIZE } from './ballbot-batch.js';
import {
  ballbotActionSpace, ballbotObservationSpace, ballbotPrivilegedSpace, episodeStatsToObject, resolveEnvConfig,
  type BallbotEnvOptions,
} from './ballbot-env.js';
import type { EpisodeInfo, VecEnv, VecStep } from './env.js';
import { tensorSize, type TensorSpace } from './spaces.js';
import { PerceptionBatch } from './perception/perception-batch.js';
import { ACTION_SIZE, OBS_SIZE } from './observation.js';

export interface BallbotVecEnvOptions extends BallbotEnvOptions {
  numEnvs: number;
  /** Worker threads; 0 = step in this thread; 'auto' = one per core when numEnvs >= 2 * cores. */
  workers?: number | 'auto';
}

/**
 * The arrays a VecStep exposes, allocated once (shared memory when workers are used). `extras`
 * (values per env by name) only for workers: in-process envs hand out the batch's own buffers.
 */
function allocateBuffers(n: number, shared: boolean, extraSizes: Readonly<Record<string, number>> = {}) {
  const mk = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const perName = () => Object.fromEntries(Object.entries(extraSizes).map(([name, size]) => [name, new Float32Array(mk(4 * n * size))]));
  return {
    extras: perName(),
    finalExtras: perName(),
    actions: new Float32Array(mk(4 * n * ACTION_SIZE)),
    obs: new Float32Array(mk(4 * n * OBS_SIZE)),
    privileged: new Float32Array(mk(4 * n * PRIV_SIZE)),
    rewards: new Float32Array(mk(4 * n)),
    terminated: new Uint8Array(mk(n)),
    truncated: new Uint8Array(mk(n)),
    finalObs: new Float32Array(mk(4 * n * OBS_SIZE)),
    finalPrivileged: new Float32Array(mk(4 * n * PRIV_SIZE)),
    episodeStats: new Float64Array(mk(8 * n * EPISODE_STRIDE)),
  };
}
export type VecBuffers = ReturnType<typeof allocateBuffers>;

/** Copy one batch's results into rows [first, first + batch.n) of the shared buffers. */
export function copyBatchOut(batch: BallbotBatch, buf: VecBuffers, first: number): void {
  const n = batch.n;
  buf.obs.set(batch.obs, first * OBS_SIZE);
  buf.privileged.set(batch.privileged, first * PRIV_SIZE);
  buf.rewards.set(batch.rewards, first);
  buf.terminated.set(batch.terminated, first);
  buf.truncated.set(batch.truncated, first);
  const extras = Object.entries(buf.extras).map(([name, rows]) => ({ rows, final: buf.finalExtras[name], size: rows.length / buf.rewards.length, name }));
  for (const e of extras) e.rows.set(batch.perception!.output(e.name), first * e.size);
  for (let i = 0; i < n; i++) {
    if (batch.terminated[i] || batch.truncated[i]) {
      const g = first + i;
      for (const e of extras) e.final.set(batch.perception!.output(e.name, true).subarray(i * e.size, (i + 1) * e.size), g * e.size);
      buf.finalObs.set(batch.finalObs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), g * OBS_SIZE);
      buf.finalPrivileged.set(batch.finalPrivileged.subarray(i * PRIV_SIZE, (i + 1) * PRIV_SIZE), g * PRIV_SIZE);
      buf.episodeStats.set(batch.episodeStats.subarray(i * EPISODE_STRIDE, (i + 1) * EPISODE_STRIDE), g * EPISODE_STRIDE);
    }
  }
}

abstract class BallbotVecEnvBase implements VecEnv {
  readonly observationSpace = ballbotObservationSpace();
  readonly actionSpace = ballbotActionSpace();
  readonly privilegedSpace = ballbotPrivilegedSpace();
  /** Depth image, height scan, ... when the task asks for perception (in-process envs only). */
  observationSpaces?: Readonly<Record<string, TensorSpace>>;
  abstract readonly dt: number;
  protected readonly result: VecStep;

  constructor(readonly numEnvs: number, protected readonly buf: VecBuffers) {
    this.result = {
      obs: buf.obs, rewards: buf.rewards, terminated: buf.terminated, truncated: buf.truncated, finalObs: buf.finalObs,
      privileged: buf.privileged, finalPrivileged: buf.finalPrivileged, episodes: [],
    };
  }

  protected collectEpisodes(): EpisodeInfo[] {
    const episodes: EpisodeInfo[] = [];
    for (let i = 0; i < this.numEnvs; i++) {
      if (!this.buf.terminated[i] && !this.buf.truncated[i]) continue;
      const s = episodeStatsToObject(this.buf.episodeStats, i);
      episodes.push({ ...s, env: i, return: s.return, length: s.length, terminated: s.terminated === 1 });
    }
    return episodes;
  }

  currentExtras(): Readonly<Record<string, Float32Array>> | undefined {
    return this.result.extras;
  }

  abstract reset(seed?: number): Float32Array | Promise<Float32Array>;
  abstract step(actions: Float32Array): VecStep | Promise<VecStep>;
  abstract setCurriculumLevel(level: number): void | Promise<void>;
  abstract close(): void | Promise<void>;
}

/** All robots in one World, stepped in this thread. */
class InProcessBallbotVecEnv extends BallbotVecEnvBase {
  readonly dt: number;
  constructor(private readonly batch: BallbotBatch) {
    super(batch.n, allocateBuffers(batch.n, false));
    this.dt = batch.controlDt;
    copyBatchOut(batch, this.buf, 0);
    const perception = batch.perception;
    if (perception) {
      // The batch's own perception buffers: rows for all envs, no copy.
      this.observationSpaces = perception.spaces();
      const names = Object.keys(this.observationSpaces);
      this.result.extras = Object.fromEntries(names.map((name) => [name, perception.output(name)]));
      this.result.finalExtras = Object.fromEntries(names.map((name) => [name, perception.output(name, true)]));
    }
  }
  reset(seed = 0): Float32Array {
    this.batch.resetAll(seed);
    copyBatchOut(this.batch, this.buf, 0);
    return this.buf.obs;
  }
  step(actions: Float32Array): VecStep {
    this.batch.step(actions);
    copyBatchOut(this.batch, this.buf, 0);
    this.result.episodes = this.collectEpisodes();
    return this.result;
  }
  setCurriculumLevel(level: number): void {
    this.batch.curriculumLevel = level;
  }
  close(): void {
    this.batch.close();
  }
}

/** A worker that does not finish a command in this time has died or hung. */
const WORKER_TIMEOUT_MS = 30_000;

/** Commands sent to workers through the control words. */
export enum WorkerCommand { Step = 1, Reset = 2, Curriculum = 3, Close = 4 }

/**
 * Block until control[slot] differs from `seen` (the last command a worker ran) and return the
 * new value. A wake-up alone is no command: the main thread stores the sequence number and then
 * notifies, and when it is descheduled between the two the worker may already have run that
 * command and be waiting again when the notify lands; running it twice would step the robots
 * one step too far (rare, timing-dependent, and it made runs diverge).
 */
export function waitForCommand(control: Int32Array, slot: number, seen: number): number {
  for (;;) {
    const now = Atomics.load(control, slot);
    if (now !== seen) return now;
    Atomics.wait(control, slot, seen);
  }
}

/** Robots split over worker threads; each worker owns one World. */
export class WorkerBallbotVecEnv extends BallbotVecEnvBase {
  /** control[2w] = command sequence, control[2w+1] = done sequence; args in `params`. */
  private readonly control: Int32Array;
  private readonly params: Float64Array;
  private seq = 0;

  private constructor(numEnvs: number, buf: VecBuffers, private readonly workers: Worker[], control: Int32Array, params: Float64Array, readonly dt: number) {
    super(numEnvs, buf);
    this.control = control;
    this.params = params;
  }

  static async create(options: BallbotVecEnvOptions, workerCount: number): Promise<WorkerBallbotVecEnv> {
    const config = resolveEnvConfig(options);
    const n = options.numEnvs;
    // The spaces of the task's perception (a one-env batch of sensor models, no world needed).
    const spaces = PerceptionBatch.forTask(config.robot, config.task, config.randomization, 1, 1 / config.robot.control.rateHz)?.spaces();
    const buf = allocateBuffers(n, true, Object.fromEntries(Object.entries(spaces ?? {}).map(([name, s]) => [name, tensorSize(s)])));
    const control = new Int32Array(new SharedArrayBuffer(4 * 2 * workerCount));
    const params = new Float64Array(new SharedArrayBuffer(8 * 2));
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    let first = 0;
    for (let w = 0; w < workerCount; w++) {
      const count = Math.floor(n / workerCount) + (w < n % workerCount ? 1 : 0);
      const worker = new Worker(new URL('./vec-env-worker.js', import.meta.url), {
        workerData: { config, seed: options.seed ?? 0, first, count, index: w, buf, control, params },
      });
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
          worker.once('error', reject);
        }),
      );
      workers.push(worker);
      first += count;
    }
    await Promise.all(ready);
    for (const worker of workers) {
      worker.on('error', (err) => console.error('ballbot vec-env worker failed:', err));
      worker.unref(); // an env that was never closed must not keep the process alive
    }
    const dt = 1 / config.robot.control.rateHz;
    const vec = new WorkerBallbotVecEnv(n, buf, workers, control, params, dt);
    if (spaces) {
      vec.observationSpaces = spaces;
      vec.result.extras = buf.extras;
      vec.result.finalExtras = buf.finalExtras;
    }
    return vec;
  }

  /**
   * Hand a command to every worker and wait until all are done. The main thread blocks on
   * Atomics.wait: a step takes well under a millisecond per robot, and a synchronous barrier
   * does not depend on the event loop delivering notifications (Atomics.waitAsync did not
   * always resolve under load).
   */
  private async run(command: WorkerCommand, arg = 0): Promise<void> {
    this.seq++;
    this.params[0] = command;
    this.params[1] = arg;
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.control, 2 * w, this.seq);
      Atomics.notify(this.control, 2 * w);
    }
    for (let w = 0; w < this.workers.length; w++) {
      const deadline = performance.now() + WORKER_TIMEOUT_MS;
      for (;;) {
        const done = Atomics.load(this.control, 2 * w + 1);
        if (done === this.seq) break;
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`vec-env worker ${w} did not answer in ${WORKER_TIMEOUT_MS / 1000} s`);
        Atomics.wait(this.control, 2 * w + 1, done, left);
      }
    }
  }

  async reset(seed = 0): Promise<Float32Array> {
    await this.run(WorkerCommand.Reset, seed);
    return this.buf.obs;
  }

  async step(actions: Float32Array): Promise<VecStep> {
    this.buf.actions.set(actions);
    await this.run(WorkerCommand.Step);
    this.result.episodes = this.collectEpisodes();
    return this.result;
  }

  async setCurriculumLevel(level: number): Promise<void> {
    await this.run(WorkerCommand.Curriculum, level);
  }

  async close(): Promise<void> {
    await this.run(WorkerCommand.Close).catch(() => undefined);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export type BallbotVecEnv = InProcessBallbotVecEnv | WorkerBallbotVecEnv;

export async function makeBallbotVecEnv(options: BallbotVecEnvOptions): Promise<BallbotVecEnv> {
  if (!Number.isInteger(options.numEnvs) || options.numEnvs < 1) throw new Error(`numEnvs must be a positive integer, got ${options.numEnvs}`);
  const cores = availableParallelism();
  const config = resolveEnvConfig(options);
  const workers = options.workers === 'auto' || options.workers === undefined
    ? options.numEnvs >= 2 * cores ? cores : 0
    : Math.min(options.workers, options.numEnvs);
  if (workers <= 0) {
    return new InProcessBallbotVecEnv(await BallbotBatch.create({ ...config, numEnvs: options.numEnvs, seed: options.seed ?? 0 }));
  }
  return WorkerBallbotVecEnv.create(options, workers);
}
