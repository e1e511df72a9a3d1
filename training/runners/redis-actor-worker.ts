// One actor loop of `ballbot actor` on a worker thread: join the run in Redis, build the envs
// of the run's config, collect and push rollouts with the newest weights; on any failure (a lost
// connection, a learner that started a new run) leave and join again with backoff. Only a
// refusal of this code (another version or layout) stops it.
import { randomInt } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { isDeepStrictEqual } from 'node:util';
import type { VecEnv } from '../../sim/env.js';
import { parseTrainConfig, type TrainConfig } from '../config.js';
import { RedisActorTransport } from '../distributed/redis-actor.js';
import { redactUrl } from '../distributed/redis-connection.js';
import { envLayout, RunMismatchError } from '../distributed/redis-run.js';
import { makeVecEnv } from '../tasks.js';
import { runPpoActor } from './ppo-actor.js';

export interface RedisActorWorkerData {
  url: string;
  caFile?: string;
  /** This loop's index in its process (names it in logs). */
  index: number;
}

export type RedisActorWorkerMessage = { type: 'log'; line: string } | { type: 'refused'; message: string };

const MAX_BACKOFF_MS = 5000;

const data = workerData as RedisActorWorkerData;
const port = parentPort!;
let stopping = false;
port.on('message', (m) => {
  if (m === 'stop') stopping = true;
});
const log = (line: string) => port.postMessage({ type: 'log', line } satisfies RedisActorWorkerMessage);

/** The envs of the current run's config, rebuilt when a new run brings another config. */
let envs: { config: TrainConfig; vec: VecEnv } | null = null;

async function envsFor(runConfig: unknown): Promise<string> {
  const config = parseTrainConfig(runConfig, `the run's config at ${redactUrl(data.url)}`);
  if (config.algo !== 'ppo') throw new RunMismatchError(`the run at ${redactUrl(data.url)} trains ${config.algo}; actors run PPO only`);
  if (!envs || !isDeepStrictEqual(envs.config, config)) {
    await closeEnvs();
    // As many envs per actor loop as one local async actor has: numEnvs split over workers.
    const perActor = Math.max(1, Math.floor(config.numEnvs / Math.max(1, config.workers)));
    envs = { config, vec: await makeVecEnv({ task: config.task, envModule: config.envModule, options: config.env }, perActor, randomInt(2 ** 31), 0) };
  }
  return envLayout(envs.vec);
}

let failures = 0;
while (!stopping) {
  let actor: RedisActorTransport | null = null;
  try {
    actor = await RedisActorTransport.join({ url: data.url, caFile: data.caFile, layout: envsFor, joinTimeoutMs: 10_000 });
    const { config, vec } = envs!;
    log(`joined the run at ${redactUrl(data.url)} as ${actor.actorId} (${config.algo} on ${config.task}, ${vec.numEnvs} envs)`);
    failures = 0;
    // Distinct across actor processes and machines: the seed of env resets and action noise.
    await runPpoActor({ config, vec, transport: actor, actorId: actor.actorId, seed: randomInt(2 ** 31), shouldStop: () => stopping });
  } catch (err) {
    if (err instanceof RunMismatchError) {
      port.postMessage({ type: 'refused', message: err.message } satisfies RedisActorWorkerMessage);
      break;
    }
    failures++;
    const wait = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 5));
    log(`${(err as Error).message}; joining again in ${(wait / 1000).toFixed(1)} s`);
    await actor?.close().catch(() => undefined);
    if (!stopping) await sleep(wait);
  } finally {
    await actor?.close().catch(() => undefined);
  }
}
await closeEnvs();
log('stopped');
port.close(); // the message listener would keep this thread alive

async function closeEnvs(): Promise<void> {
  await envs?.vec.close();
  envs = null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
