// `ballbot actor`: join the PPO run a learner (`ballbot train --redis URL`) serves in Redis and
// collect rollouts for it with N actor loops until stopped.
import { inputFileFlag, numberFlag, parseCommand, UsageError } from '../args.js';
import { redactUrl } from '../../training/distributed/redis-connection.js';
import { startRedisActors } from '../../training/runners/redis-ppo.js';

const usage = `usage: ballbot actor --redis URL [--redis-ca FILE] [--workers N]

  --redis URL      redis://[user:password@]HOST:PORT or rediss://... (TLS), where the learner runs
                   (ballbot train ... --redis URL); the config and weights come from there
  --redis-ca FILE  PEM of the CA that signed the Redis server's certificate
  --workers N      actor loops, one worker thread each (default 1; one per core to fill a machine)

Each loop joins again by itself after a lost connection, a learner restart or a new run. A run
of another code version or observation/action layout is refused. Ctrl-C (SIGINT) or SIGTERM
finishes the current rollouts and leaves the run; a second one quits at once.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand({ usage, options: { redis: { type: 'string' }, 'redis-ca': { type: 'string' }, workers: { type: 'string' } } }, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.redis) throw new UsageError(`--redis is required\n${usage}`);
  const workers = numberFlag(v.workers, 'workers', 1, { integer: true, min: 1, max: 256 });
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const actors = startRedisActors({ url: v.redis, caFile: inputFileFlag(v['redis-ca'], 'redis-ca'), workers, log });
  log(`${workers} actor loop(s) joining the run at ${redactUrl(v.redis)}`);
  const stop = () => {
    log('stopping: finishing the current rollouts; Ctrl-C again to quit now');
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
    actors.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await actors.done;
  log('all actor loops stopped');
  return 0;
}
