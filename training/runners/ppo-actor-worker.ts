// Entry of a PPO rollout actor on a worker thread: build its envs in this thread and run the
// actor loop over the worker-thread transport until the learner terminates the thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { TrainConfig } from '../config.js';
import { LocalActorTransport } from '../distributed/local-transport.js';
import { makeVecEnv } from '../tasks.js';
import { runPpoActor } from './ppo-actor.js';

export interface PpoActorWorkerData {
  config: TrainConfig;
  actorId: string;
  numEnvs: number;
  seed: number;
}

const data = workerData as PpoActorWorkerData;
const port = parentPort!;
const { config } = data;
const vec = await makeVecEnv({ task: config.task, envModule: config.envModule, options: config.env }, data.numEnvs, data.seed, 0);
port.postMessage({ type: 'ready' });
await runPpoActor({ config, vec, transport: new LocalActorTransport(port), actorId: data.actorId, seed: data.seed });
