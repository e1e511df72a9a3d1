// Worker thread of WorkerBallbotVecEnv: owns one World with a slice of the robots and
// steps it when the main thread bumps its command word.
import { parentPort, workerData } from 'node:worker_threads';
import { BallbotBatch } from './ballbot-batch.js';
import { copyBatchOut, waitForCommand, WorkerCommand, type VecBuffers } from './vec-env.js';
import { ACTION_SIZE } from './observation.js';
import type { ResolvedEnvConfig } from './ballbot-env.js';

const { config, seed, first, count, index, buf, control, params } = workerData as {
  config: ResolvedEnvConfig; seed: number; first: number; count: number; index: number;
  buf: VecBuffers; control: Int32Array; params: Float64Array;
};

const batch = await BallbotBatch.create({ ...config, numEnvs: count, firstEnv: first, seed });
copyBatchOut(batch, buf, first);
const actions = buf.actions.subarray(first * ACTION_SIZE, (first + count) * ACTION_SIZE);
parentPort!.postMessage('ready');

let seen = 0;
for (;;) {
  seen = waitForCommand(control, 2 * index, seen);
  const command = params[0] as WorkerCommand;
  if (command === WorkerCommand.Step) {
    batch.step(actions);
  } else if (command === WorkerCommand.Reset) {
    batch.resetAll(params[1]);
  } else if (command === WorkerCommand.Curriculum) {
    batch.curriculumLevel = params[1];
  }
  if (command === WorkerCommand.Step || command === WorkerCommand.Reset) copyBatchOut(batch, buf, first);
  Atomics.store(control, 2 * index + 1, seen);
  Atomics.notify(control, 2 * index + 1);
  if (command === WorkerCommand.Close) break;
}
batch.close();
