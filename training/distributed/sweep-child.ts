// One sweep job's training run, in a child process of `ballbot worker`: a run holds the tfjs
// backend and CPU for minutes, and in a child it can neither block the worker's lock renewals
// nor outlive it. The worker sends {data, runDir} over IPC; when the worker dies the IPC channel
// closes and this process exits, so a retried job never races an orphaned copy of itself.
import { rmSync } from 'node:fs';
import { trainWithEvaluations } from '../compare.js';
import { parseTrainConfig } from '../config.js';
import type { SweepJobData } from './sweep-queue.js';

export type ChildMessage = { type: 'done'; points: import('../compare.js').CurvePoint[] } | { type: 'error'; message: string };

process.on('disconnect', () => process.exit(1));

process.once('message', (msg: { data: SweepJobData; runDir: string }) => {
  void (async () => {
    const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
    try {
      const config = parseTrainConfig(msg.data.config, `job ${msg.runDir} (config)`);
      rmSync(msg.runDir, { recursive: true, force: true }); // every attempt starts the run afresh: same seed, same result
      const points = await trainWithEvaluations(config, msg.runDir, { evalPoints: msg.data.evals, evalEpisodes: msg.data.episodes, evalSeed: msg.data.evalSeed, progress: true }, () => undefined);
      await send({ type: 'done', points });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', message: (err as Error).message });
      process.exit(1);
    }
  })();
});
