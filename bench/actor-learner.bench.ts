// bench:actors: learner env-steps/s of a distributed PPO run through Redis with 1, 2 and 4 actor
// processes on this machine, all in the same run of this script. Each configuration is a real
// `ballbot train --redis` learner and `ballbot actor --redis` processes on a local redis-server;
// the rate is read from the learner's metrics.csv (env steps and wall-clock per update), the
// first updates skipped as warm-up (process start, envs building, first rollouts).
//   npm run bench:actors -- [--config FILE] [--iterations 8] [--warmup 2] [--actors 1,2,4] [--json]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadTrainConfig } from '../training/config.js';
import { localRedisServer } from './redis-server.js';

const { values } = parseArgs({
  options: { config: { type: 'string' }, iterations: { type: 'string' }, warmup: { type: 'string' }, actors: { type: 'string' }, json: { type: 'boolean' } },
});
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'ballbot.js');
const config = values.config ?? 'configs/train/ppo-balance-mlp.yaml';
const iterations = Number(values.iterations ?? 8);
const warmup = Number(values.warmup ?? 2);
const actorCounts = (values.actors ?? '1,2,4').split(',').map(Number);
if (!(Number.isInteger(iterations) && Number.isInteger(warmup) && warmup >= 1 && iterations > warmup)) throw new Error(`--iterations (${iterations}) must be an integer above --warmup (${warmup} >= 1)`);
if (actorCounts.some((n) => !(Number.isInteger(n) && n >= 1))) throw new Error(`--actors ${values.actors}: a comma-separated list of positive integers`);

function ballbot(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

function exited(p: ChildProcess, what: string): Promise<void> {
  let err = '';
  p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} exited with ${code}:\n${err}`)))));
}

/** env-steps/s of the learner after the warm-up updates, from its metrics.csv. */
function learnerRate(outDir: string): { envStepsPerSecond: number; meanPolicyLag: number; droppedStale: number } {
  const [header, ...rows] = readFileSync(join(outDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = header.split(',');
  const at = (row: string, name: string) => Number(row.split(',')[cols.indexOf(name)]);
  const first = rows[warmup - 1];
  const last = rows[rows.length - 1];
  const lags = rows.slice(warmup).map((r) => at(r, 'policy_lag'));
  return {
    envStepsPerSecond: (at(last, 'env_steps') - at(first, 'env_steps')) / (at(last, 'wall_s') - at(first, 'wall_s')),
    meanPolicyLag: lags.reduce((a, b) => a + b, 0) / lags.length,
    droppedStale: at(last, 'dropped_stale'),
  };
}

const train = loadTrainConfig(join(ROOT, config));
const stepsPerIteration = train.numEnvs * train.ppo.stepsPerEnv;
const server = await localRedisServer();
const dir = mkdtempSync(join(tmpdir(), 'ballbot-bench-actors-'));
const results: (ReturnType<typeof learnerRate> & { actors: number; wallSeconds: number })[] = [];
try {
  for (const [k, n] of actorCounts.entries()) {
    const outDir = join(dir, `actors-${n}`);
    const started = performance.now();
    // Another seed per configuration is another run: the previous one's trajectories are dropped.
    const learner = ballbot(['train', '--config', config, '--out', outDir, '--redis', server.url, '--seed', String(k + 1),
      '--steps', String(iterations * stepsPerIteration), '--set', 'evalEpisodes=0', '--no-progress']);
    const learnerDone = exited(learner, `the learner with ${n} actor(s)`);
    const actors = Array.from({ length: n }, () => ballbot(['actor', '--redis', server.url]));
    const actorsDone = actors.map((a, i) => exited(a, `actor ${i}`));
    try {
      await learnerDone;
    } finally {
      for (const a of actors) a.kill('SIGTERM');
    }
    await Promise.all(actorsDone);
    const rate = learnerRate(outDir);
    const row = { actors: n, ...rate, wallSeconds: (performance.now() - started) / 1000 };
    results.push(row);
    console.error(`${n} actor process(es): ${row.envStepsPerSecond.toFixed(0)} env-steps/s at the learner, mean policy lag ${row.meanPolicyLag.toFixed(2)}, ${row.droppedStale} rollouts dropped as stale (${row.wallSeconds.toFixed(1)} s wall-clock)`);
  }
} finally {
  server.stop();
  rmSync(dir, { recursive: true, force: true });
}
const summary = { bench: 'actor-learner', config, iterations, warmup, stepsPerIteration, results };
if (values.json) console.log(JSON.stringify(summary));
else console.log(JSON.stringify(summary, null, 2));
