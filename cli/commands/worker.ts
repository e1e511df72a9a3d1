// `ballbot worker`: run sweep jobs from Redis until stopped (Ctrl-C finishes the running jobs).
import { numberFlag, parseCommand, UsageError } from '../args.js';
import { redactUrl } from '../../training/distributed/redis-connection.js';
import { startSweepWorker } from '../../training/distributed/sweep-worker.js';

const usage = `usage: ballbot worker --redis URL [--redis-ca FILE] [--out DIR] [--concurrency N] [--lock-ms MS]

  --redis URL      redis://[user:password@]HOST:PORT or rediss://... (TLS), where \`ballbot sweep\` enqueued
  --redis-ca FILE  PEM of the CA that signed the Redis server's certificate
  --out DIR        run directories go to DIR/<sweep>/<job id>/ (default runs/sweeps)
  --concurrency N  jobs at once (default 1: one training run already fills the cores)
  --lock-ms MS     job lock; a killed worker's job is taken over by another about this long after (default 30000)`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(
    {
      usage,
      options: { redis: { type: 'string' }, 'redis-ca': { type: 'string' }, out: { type: 'string' }, concurrency: { type: 'string' }, 'lock-ms': { type: 'string' } },
    },
    argv,
  );
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.redis) throw new UsageError(`--redis is required\n${usage}`);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const { close } = await startSweepWorker({
    url: v.redis,
    caFile: v['redis-ca'],
    outDir: v.out ?? 'runs/sweeps',
    concurrency: numberFlag(v.concurrency, 'concurrency', 1, { integer: true, min: 1, max: 64 }),
    lockMs: numberFlag(v['lock-ms'], 'lock-ms', 30_000, { integer: true, min: 200 }),
    log,
  });
  log(`worker waiting for sweep jobs at ${redactUrl(v.redis)}`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      log('stopping: finishing the running job(s); Ctrl-C again to quit now (the job is retried elsewhere)');
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await close();
  process.exit(0); // BullMQ's connections would otherwise keep retrying a Redis that is down

}
