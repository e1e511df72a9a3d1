// Asynchronous PPO on one machine (ppo.mode: async), IMPALA-style: rollout actors on worker
// threads keep collecting with the newest published weights while the learner updates, so
// the sim and the update run on different cores at the same time. Each rollout carries the
// version of the weights that made it; the PPO ratio is taken against its recorded behaviour
// log-probs (the clip bounds the off-policy step), rollouts more than ppo.maxPolicyLag
// updates old are dropped, and the lag of every update is logged (policy_lag).
// Not bit-reproducible: which rollout meets which weights depends on thread timing.
import { Worker } from 'node:worker_threads';
import { RolloutStorage } from '../storage/rollout-storage.js';
import type { PpoAgent } from '../algorithms/ppo.js';
import type { TrainConfig } from '../config.js';
import { LocalLearnerTransport } from '../distributed/local-transport.js';
import type { LearnerTransport, TransportStatus } from '../distributed/transport.js';
import { checkTrajectory, copyTrajectoryRows, ppoWeights, rolloutWidths, trajectoryEpisodes } from './ppo-exchange.js';
import type { PpoActorWorkerData } from './ppo-actor-worker.js';
import { PpoRun } from './ppo-run.js';
import { envResetSeed, yieldToEventLoop, type RunContext, type TrainedPolicy } from './run-context.js';

/** How long the learner waits for a rollout before it checks that actors are still alive. */
const POLL_MS = 1000;

export async function runAsyncPpo(ctx: RunContext): Promise<TrainedPolicy & { agent: PpoAgent }> {
  const { config } = ctx;
  if (ctx.transport) {
    // Actors elsewhere (other processes or machines) join and leave; the learner waits for them.
    const run = new PpoRun(ctx, false);
    await learn(run, ctx, ctx.transport, () => undefined);
    return run.finish();
  }
  const actors = Math.max(1, config.workers);
  const N = config.numEnvs;
  if (N % actors !== 0) throw new Error(`ppo.mode async: numEnvs (${N}) must be a multiple of workers (${actors}), the number of rollout actors`);
  const run = new PpoRun(ctx, false);
  const transport = new LocalLearnerTransport(config.ppo.maxPolicyLag);
  const pool = await ActorThreads.start(config, actors, N / actors, transport, envResetSeed(config.seed, run.iteration));
  try {
    await learn(run, ctx, transport, () => pool.check());
  } finally {
    await transport.close();
    await pool.close();
  }
  return run.finish();
}

/** The learner loop over any transport: gather numEnvs x stepsPerEnv rows, update, publish. */
export async function learn(run: PpoRun, ctx: RunContext, transport: LearnerTransport, checkActors: () => void): Promise<void> {
  const { config, rng } = ctx;
  const { agent, obsSize: od, privSize: pd } = run;
  const T = config.ppo.stepsPerEnv;
  const rowsPerUpdate = run.stepsPerIteration;
  const storage = new RolloutStorage(T, config.numEnvs, od, od + pd, ctx.vec.actionSpace.shape[0]);
  const widths = rolloutWidths(od, pd, storage.actSize);
  const norms = { obs: run.normalizer, priv: run.privNormalizer };
  await transport.publishWeights(ppoWeights(run.iteration, agent.values, norms));
  let iterStart = performance.now();
  const waiting = new WaitingNote(ctx.progress);
  while (run.running) {
    run.scheduleLearningRate();
    let rows = 0;
    let lagSum = 0;
    let rollouts = 0;
    let episodes = 0;
    while (rows < rowsPerUpdate) {
      if (ctx.shouldStop()) return; // asked to stop while waiting for actors: the last update is checkpointed
      checkActors();
      const batch = await transport.nextTrajectories(1, POLL_MS);
      waiting.note(batch.length > 0, transport.status());
      for (const t of batch) {
        checkTrajectory(t, widths);
        // Rows are independent samples once the actor computed advantages, so a rollout larger
        // than what this update still takes (actors of other sizes) gives only its first rows.
        const used = Math.min(t.envSteps, rowsPerUpdate - rows);
        copyTrajectoryRows(t, storage, rows, used);
        run.normalizer?.update(t.arrays.rawObs, used);
        if (run.privNormalizer) run.privNormalizer.update(t.arrays.rawPriv, used);
        const eps = trajectoryEpisodes(t);
        run.addEpisodes(eps);
        episodes += eps.length;
        lagSum += run.iteration - t.policyVersion;
        rollouts++;
        rows += used;
      }
    }
    const stats = agent.update(storage, rng);
    await transport.publishWeights(ppoWeights(run.iteration + 1, agent.values, norms));
    const now = performance.now();
    const sps = rowsPerUpdate / ((now - iterStart) / 1000);
    iterStart = now;
    const lag = lagSum / rollouts;
    const status = transport.status();
    const rate = status.trajectoriesPerSecond === undefined ? '' : ` | ${status.trajectoriesPerSecond.toFixed(1)} traj/s`;
    run.finishIteration(stats, episodes, sps, { policy_lag: lag, dropped_stale: status.trajectoriesDroppedStale }, ` | lag ${lag.toFixed(1)} | actors ${status.actorsAlive}${rate}`);
    await yieldToEventLoop();
  }
}

/** A line on stderr every WAIT_NOTE_MS while no rollout arrives (no actors yet, all dead, or a slow one). */
const WAIT_NOTE_MS = 10_000;
class WaitingNote {
  private since = performance.now();
  private lastNote = 0;
  constructor(private readonly enabled: boolean) {}

  note(arrived: boolean, status: TransportStatus): void {
    const now = performance.now();
    if (arrived) {
      this.since = now;
      return;
    }
    if (!this.enabled || now - this.since < WAIT_NOTE_MS || now - this.lastNote < WAIT_NOTE_MS) return;
    this.lastNote = now;
    process.stderr.write(`waiting for rollouts for ${((now - this.since) / 1000).toFixed(0)} s | actors alive ${status.actorsAlive} | dropped as stale ${status.trajectoriesDroppedStale}\n`);
  }
}

/** The rollout actors as worker threads, connected to a local transport. */
class ActorThreads {
  private readonly failures: string[] = [];

  private constructor(private readonly workers: Worker[], private readonly transport: LocalLearnerTransport) {
    for (const [k, worker] of workers.entries()) {
      worker.on('error', (err) => this.failures.push(`actor ${k}: ${err.message}`));
      worker.on('exit', (code) => {
        transport.removeActor(worker);
        if (code !== 0 && this.failures.length === 0) this.failures.push(`actor ${k} exited with code ${code}`);
      });
    }
  }

  static async start(config: TrainConfig, count: number, envsEach: number, transport: LocalLearnerTransport, seed: number): Promise<ActorThreads> {
    const workers: Worker[] = [];
    try {
      for (let k = 0; k < count; k++) {
        const data: PpoActorWorkerData = { config, actorId: `thread-${k}`, numEnvs: envsEach, seed: (seed + 104_729 * (k + 1)) >>> 0 };
        workers.push(new Worker(new URL('./ppo-actor-worker.js', import.meta.url), { workerData: data }));
      }
      await Promise.all(workers.map((w, k) => new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', (err) => reject(new Error(`rollout actor ${k} failed to start: ${err.message}`)));
        w.once('exit', (code) => reject(new Error(`rollout actor ${k} exited with code ${code} while starting`)));
      })));
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    const pool = new ActorThreads(workers, transport);
    for (const w of workers) transport.addActor(w);
    return pool;
  }

  /** Training goes on while any actor lives; with none left it stops with their errors. */
  check(): void {
    if (this.transport.status().actorsAlive === 0) throw new Error(`all rollout actors stopped: ${this.failures.join('; ') || 'no error reported'}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
