// PPO across machines through Redis: the learner's transport for `ballbot train --redis`, and the
// actor loops of `ballbot actor --redis`. Each actor loop runs on its own worker thread: a
// rollout is CPU-bound JS (Rapier wasm, plain-JS forward pass), threads give each its own core
// without tfjs, and they die with the actor process (a kill -9 leaves no orphan pushing into
// the run). A loop that fails (a lost connection, a new run) joins again by itself.
import { Worker } from 'node:worker_threads';
import type { TrainConfig } from '../config.js';
import { RedisLearnerTransport } from '../distributed/redis-learner.js';
import type { RedisEndpoint } from '../distributed/redis-connection.js';
import { envLayout } from '../distributed/redis-run.js';
import { makeVecEnv } from '../tasks.js';
import type { RedisActorWorkerData, RedisActorWorkerMessage } from './redis-actor-worker.js';

/** The layout the learner's config feeds: read from a one-env instance of its task. */
export async function configLayout(config: TrainConfig): Promise<string> {
  const vec = await makeVecEnv({ task: config.task, envModule: config.envModule, options: config.env }, 1, config.seed, 0);
  try {
    return envLayout(vec);
  } finally {
    await vec.close();
  }
}

export interface RedisLearnerSetup extends RedisEndpoint {
  config: TrainConfig;
  /** One-learner lock TTL (ms): how long a restarted learner waits for a killed one's lock. */
  lockTtlMs?: number;
}

export async function openRedisLearner(o: RedisLearnerSetup): Promise<RedisLearnerTransport> {
  return RedisLearnerTransport.open({
    url: o.url, caFile: o.caFile, config: o.config, layout: await configLayout(o.config), maxPolicyLag: o.config.ppo.maxPolicyLag, lockTtlMs: o.lockTtlMs,
  });
}

export interface RedisActorsOptions extends RedisEndpoint {
  workers: number;
  /** One line per event (joined, rejoining, stopped). */
  log: (line: string) => void;
}

export interface RedisActors {
  /** Resolves when every loop stopped; rejects with the refusal when the run refused this code. */
  done: Promise<void>;
  /** Finish the current rollouts, leave the run, and let `done` resolve (threads are terminated after graceMs). */
  stop(graceMs?: number): void;
}

/** Start `workers` actor loops on worker threads, each joining the run at `url`. */
export function startRedisActors(o: RedisActorsOptions): RedisActors {
  const workers: Worker[] = [];
  let refusal: string | null = null;
  const exits: Promise<void>[] = [];
  for (let k = 0; k < o.workers; k++) {
    const data: RedisActorWorkerData = { url: o.url, caFile: o.caFile, index: k };
    const worker = new Worker(new URL('./redis-actor-worker.js', import.meta.url), { workerData: data });
    worker.on('message', (m: RedisActorWorkerMessage) => {
      if (m.type === 'log') o.log(`actor ${k}: ${m.line}`);
      else if (m.type === 'refused') {
        refusal ??= m.message;
        for (const w of workers) w.postMessage('stop');
      }
    });
    worker.on('error', (err) => o.log(`actor ${k} crashed: ${err.message}`));
    exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
    workers.push(worker);
  }
  const done = Promise.all(exits).then(() => {
    if (refusal) throw new Error(refusal);
  });
  return {
    done,
    stop(graceMs = 15_000) {
      for (const w of workers) w.postMessage('stop');
      const timer = setTimeout(() => {
        o.log(`actors did not stop within ${graceMs} ms; terminating them`);
        for (const w of workers) void w.terminate();
      }, graceMs);
      timer.unref();
    },
  };
}
