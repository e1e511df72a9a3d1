// Sweeps: the sweep file's validation and expansion, and an end-to-end sweep through the real
// CLI against a real redis-server: three tiny pendulum runs, the first worker killed with SIGKILL
// in the middle of a job, a second worker finishing every job, then the report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configPath } from '../../sim/config/paths.js';
import { loadSweep } from '../../training/distributed/sweep-spec.js';
import { openSweepQueue, sweepJobs } from '../../training/distributed/sweep-queue.js';
import { startSweepWorker } from '../../training/distributed/sweep-worker.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { socketsOf, waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const PENDULUM = configPath('train', 'ppo-pendulum.yaml');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballbot-sweep-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function sweepFile(name: string, body: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nconfig: ${PENDULUM}\n${body}`);
  return file;
}

const TINY = 'set: { totalSteps: 300, numEnvs: 1, ppo.stepsPerEnv: 100, ppo.epochs: 1, ppo.numMinibatches: 1 }\n';

test('sweep file: grid x seeds, random samples in range and reproducible, errors name the file and key', () => {
  const grid = loadSweep(sweepFile('g', `${TINY}grid: { ppo.lr: [0.001, 0.0003], ppo.epochs: [1, 2] }\nseeds: [3, 4]\n`));
  assert.equal(grid.runs.length, 8);
  assert.deepEqual(new Set(grid.runs.map((r) => r.variant)).size, 4);
  const r0 = grid.runs.find((r) => r.variant === 'ppo.lr=0.0003 ppo.epochs=2' && r.seed === 4)!;
  assert.equal(r0.config.ppo.lr, 0.0003);
  assert.equal(r0.config.ppo.epochs, 2);
  assert.equal(r0.config.seed, 4);
  assert.equal(r0.config.totalSteps, 300);
  assert.equal(new Set(grid.runs.map((r) => r.id)).size, 8, 'job ids are unique');

  const randomSpec = `${TINY}random: { samples: 5, seed: 7, params: { ppo.lr: { logUniform: [0.0001, 0.01] }, ppo.epochs: { int: [1, 3] }, ppo.schedule: { choice: [fixed, linear] } } }\n`;
  const a = loadSweep(sweepFile('r', randomSpec));
  const b = loadSweep(sweepFile('r', randomSpec));
  assert.equal(a.runs.length, 5);
  assert.deepEqual(a.runs.map((r) => r.config.ppo), b.runs.map((r) => r.config.ppo));
  for (const r of a.runs) {
    assert.ok(r.config.ppo.lr >= 1e-4 && r.config.ppo.lr <= 1e-2);
    assert.ok([1, 2, 3].includes(r.config.ppo.epochs));
    assert.ok(['fixed', 'linear'].includes(r.config.ppo.schedule));
  }

  const bad = (name: string, body: string, re: RegExp) => assert.throws(() => loadSweep(sweepFile(name, body)), (e: Error) => e.message.includes(join(dir, `${name}.yaml`)) && re.test(e.message));
  bad('typo', 'grid: { ppo.lrr: [1] }\n', /grid\.ppo\.lrr \(value 1\): ppo: unknown key 'lrr'/);
  bad('range', 'grid: { ppo.lr: [-1] }\n', /grid\.ppo\.lr \(value -1\): ppo\.lr: /);
  bad('set', 'set: { numEnvs: zero }\n', /set\.numEnvs: numEnvs: /);
  bad('rand', 'random: { samples: 2, params: { ppo.clipCoef: { uniform: [0.3, 0.1] } } }\n', /random\.params\.ppo\.clipCoef\.uniform: expected \[low, high\]/);
  bad('rkey', 'random: { samples: 1, params: { ppo.nope: { uniform: [0, 1] } } }\n', /random\.params\.ppo\.nope: ppo: unknown key 'nope'/);
  bad('top', 'grids: {}\n', /unknown key 'grids'/);
  bad('twice', 'grid: { ppo.lr: [1] }\nrandom: { samples: 1, params: { ppo.lr: { uniform: [0, 1] } } }\n', /ppo\.lr: in both grid and random\.params/);
  assert.throws(() => loadSweep(join(dir, 'missing.yaml')), /missing\.yaml:\n.*cannot read file/);
});

function startWorker(server: RedisServer, runsDir: string): { proc: ChildProcess; log: () => string } {
  const proc = spawn(process.execPath, [BIN, 'worker', '--redis', server.url, '--out', runsDir, '--lock-ms', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { proc, log: () => text };
}

const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

test('a sweep of three tiny pendulum runs completes every job although a worker is killed mid-job', { timeout: 240_000 }, async () => {
  const server = await startRedisServer();
  const runsDir = join(dir, 'runs');
  const workers: ChildProcess[] = [];
  try {
    const file = sweepFile('tiny', `${TINY}grid: { ppo.lr: [0.001, 0.0003, 0.0001] }\nseeds: [1]\nevals: 2\nepisodes: 1\n`);
    const enqueue = spawnSync(process.execPath, [BIN, 'sweep', '--config', file, '--redis', server.url, '--json'], { encoding: 'utf8' });
    assert.equal(enqueue.status, 0, enqueue.stderr);
    assert.equal(JSON.parse(enqueue.stdout.trim().split('\n').pop()!).added, 3);
    const again = spawnSync(process.execPath, [BIN, 'sweep', '--config', file, '--redis', server.url, '--json'], { encoding: 'utf8' });
    assert.equal(JSON.parse(again.stdout.trim().split('\n').pop()!).existing, 3, 'enqueueing twice adds nothing');

    const doomed = startWorker(server, runsDir);
    workers.push(doomed.proc);
    const started = await waitFor('the first worker to start training a job', () => /job (\S+): training in process (\d+)/.exec(doomed.log()), 60_000);
    const [, killedJob, trainPid] = started;
    for (const pid of [doomed.proc.pid!, Number(trainPid)]) {
      const { listening, peers } = socketsOf(pid);
      assert.deepEqual(listening, [], `process ${pid} listens on nothing`);
      assert.ok(peers.every((p) => p === `127.0.0.1:${server.port}`), `process ${pid} talks only to Redis: ${peers.join(', ')}`);
      if (pid === doomed.proc.pid) assert.ok(peers.length > 0, 'the worker is connected to Redis (so the check above saw its sockets)');
    }
    doomed.proc.kill('SIGKILL');
    await exited(doomed.proc);
    // Its training process notices the worker is gone and exits: no orphan races the retry.
    await waitFor('the killed worker\'s training process to exit', () => {
      try {
        process.kill(Number(trainPid), 0);
        return false;
      } catch {
        return true;
      }
    }, 10_000);

    const heir = startWorker(server, runsDir);
    workers.push(heir.proc);
    const jobs = await waitFor('every job to complete', async () => {
      const j = await sweepJobs({ url: server.url }, 'tiny');
      assert.equal(j.counts.failed, 0, `no job failed: ${heir.log()}`);
      return j.counts.completed === 3 ? j : null;
    }, 180_000);
    const retried = jobs.completed.find((j) => j.id === killedJob)!;
    assert.ok(retried.attemptsStarted >= 2, `the killed job ran again (attempts started: ${retried.attemptsStarted})`);
    assert.match(heir.log(), new RegExp(`job ${killedJob}: done`));
    for (const j of jobs.completed) {
      assert.ok(existsSync(join(j.returnvalue.runDir, 'policy.onnx')), `${j.id} produced a policy`);
      assert.deepEqual(j.returnvalue.points.map((p) => p.envSteps), [200, 300]);
    }

    const status = spawnSync(process.execPath, [BIN, 'sweep', '--status', '--name', 'tiny', '--redis', server.url, '--json'], { encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    const { counts, jobs: rows } = JSON.parse(status.stdout.trim().split('\n').pop()!);
    assert.deepEqual(counts, { completed: 3, failed: 0, pending: 0 });
    for (const r of rows) assert.deepEqual([r.state, r.progress.envSteps, r.progress.totalSteps], ['completed', 300, 300]);

    const out = join(dir, 'report');
    const report = spawnSync(process.execPath, [BIN, 'sweep', '--report', '--config', file, '--redis', server.url, '--out', out, '--json'], { encoding: 'utf8' });
    assert.equal(report.status, 0, report.stderr);
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    for (const lr of ['0.001', '0.0003', '0.0001']) assert.match(md, new RegExp(`\\| ppo\\.lr=${lr.replace('.', '\\.')} \\| 1 \\| 300 \\|`));
    assert.match(readFileSync(join(out, 'compare.svg'), 'utf8'), /^<svg/);
    assert.equal(readFileSync(join(out, 'compare-curves.csv'), 'utf8').trim().split('\n').length, 1 + 3 * 2);
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map(exited));
    await server.stop();
  }
});

test('a job enqueued by another package version fails at once, naming both versions, without retries', async () => {
  const server = await startRedisServer();
  const lines: string[] = [];
  const worker = await startSweepWorker({ url: server.url, outDir: join(dir, 'never'), concurrency: 1, lockMs: 1000, log: (l) => lines.push(l) });
  try {
    const plan = loadSweep(sweepFile('old', TINY));
    const queue = openSweepQueue({ url: server.url });
    const run = plan.runs[0];
    await queue.add('old', { sweep: 'old', variant: run.variant, seed: run.seed, config: run.config, packageVersion: '0.0.0-old', evals: 1, episodes: 1, evalSeed: 0 }, { jobId: run.id, attempts: 3 });
    await queue.close();
    const { failed } = await waitFor('the job to fail', async () => {
      const j = await sweepJobs({ url: server.url }, 'old');
      return j.counts.failed === 1 ? j : null;
    });
    assert.match(failed[0].failedReason, /job was enqueued by ballbot 0\.0\.0-old; this worker runs \d+\.\d+\.\d+/);
    assert.equal(failed[0].attemptsMade, 1);
    assert.ok(!existsSync(join(dir, 'never')), 'nothing was trained');
  } finally {
    await worker.close();
    await server.stop();
  }
});
