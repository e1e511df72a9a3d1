// The distributed actor-learner end to end, as a user runs it: a real redis-server on a random
// loopback port, a learner process (`ballbot train --redis`) and actor processes (`ballbot
// actor --redis`). Run 1: one actor is killed with SIGKILL mid-run and the run still finishes with
// policy.onnx. Run 2 (a new config): the surviving actor rejoins by itself, the learner is
// killed with SIGKILL after a checkpoint, restarted with --resume, and the actors, never
// restarted, carry it to the end. Every wait is bounded and waits on output or files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from './redis-server.js';
import { waitFor } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A pendulum PPO small enough for seconds: 4 envs x 64 steps per update, 40 updates. */
const TINY = ['--config', 'configs/train/ppo-pendulum.yaml', '--steps', String(40 * 256), '--set', 'ppo.stepsPerEnv=64', '--set', 'ppo.numMinibatches=4',
  '--set', 'ppo.epochs=2', '--set', 'checkpointEvery=2', '--set', 'evalEpisodes=2'];

interface Proc {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function ballbot(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exit };
}

function iterationsDone(outDir: string): number {
  const csv = join(outDir, 'metrics.csv');
  return existsSync(csv) ? readFileSync(csv, 'utf8').trim().split('\n').length - 1 : 0;
}

function checkpointIteration(outDir: string): number {
  const file = join(outDir, 'checkpoints', 'latest.json');
  if (!existsSync(file)) return 0;
  return (JSON.parse(readFileSync(file, 'utf8')) as { iteration?: number }).iteration ?? 0;
}

async function finished(p: Proc, what: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p.exit, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
  clearTimeout(timer);
  assert.ok(result, `${what} did not finish in ${timeoutMs} ms:\n${p.output()}`);
  assert.deepEqual(result, { code: 0, signal: null }, `${what} failed:\n${p.output()}`);
}

test('actor-learner over Redis: actors die, the learner dies and resumes, the runs finish with a policy', { timeout: 150_000 }, async () => {
  const server = await startRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-actor-learner-'));
  const procs: Proc[] = [];
  const start = (args: string[]) => {
    const p = ballbot(args);
    procs.push(p);
    return p;
  };
  const redis = ['--redis', server.url];
  const learnerArgs = [...redis, '--redis-lock-ms', '1500'];
  try {
    // Run 1: two actors, one killed mid-run.
    const run1 = join(dir, 'run1');
    const learner1 = start(['train', ...TINY, '--out', run1, ...learnerArgs]);
    const actorA = start(['actor', ...redis]);
    const actorB = start(['actor', ...redis]);
    await waitFor('run 1 to train 4 iterations', () => iterationsDone(run1) >= 4, 30_000);
    actorA.child.kill('SIGKILL');
    const atKill = iterationsDone(run1);
    assert.ok(atKill < 40, 'the actor was killed before the run ended');
    await finished(learner1, 'learner 1', 40_000);
    assert.ok(existsSync(join(run1, 'policy.onnx')), 'run 1 wrote policy.onnx');
    assert.equal(iterationsDone(run1), 40);
    assert.match(learner1.output(), /lag \d+\.\d \| actors [12] \| \d+\.\d traj\/s/, 'progress shows lag, actors alive and trajectories/s');

    // Run 2: another seed is another run; actor B rejoins it by itself, actor C joins fresh.
    const run2 = join(dir, 'run2');
    const learner2 = start(['train', ...TINY, '--seed', '2', '--out', run2, ...learnerArgs]);
    const actorC = start(['actor', ...redis]);
    await waitFor('run 2 to checkpoint iteration 4', () => checkpointIteration(run2) >= 4, 30_000);
    learner2.child.kill('SIGKILL');
    assert.equal((await learner2.exit).signal, 'SIGKILL');
    const resumedFrom = checkpointIteration(run2);
    assert.ok(resumedFrom < 40, 'the learner was killed before the run ended');
    const resumed = start(['train', '--resume', run2, ...learnerArgs]);
    await finished(resumed, 'the resumed learner', 40_000);
    assert.ok(existsSync(join(run2, 'policy.onnx')), 'run 2 wrote policy.onnx');
    assert.equal(checkpointIteration(run2), 40);
    // Actor B leaves run 1 either on its finished mark or, when run 2's learner writes its config
    // first, on the config change; either way it joins run 2 by itself, never restarted.
    assert.match(actorB.output(), /run at \S+ (finished at|changed config)[\s\S]*joining again[\s\S]*joined the run/, 'actor B left run 1 and joined run 2 by itself');

    // The actors were never restarted; SIGTERM ends them cleanly.
    for (const actor of [actorB, actorC]) {
      assert.equal(actor.child.exitCode, null, `an actor died:\n${actor.output()}`);
      actor.child.kill('SIGTERM');
      await finished(actor, 'an actor after SIGTERM', 20_000);
      assert.match(actor.output(), /all actor loops stopped/);
    }
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train --redis and actor: usage errors name the flag; an actor of another code version is refused and exits', { timeout: 60_000 }, async () => {
  const sac = ballbot(['train', '--algo', 'sac', '--task', 'pendulum', '--out', join(tmpdir(), 'never-written'), '--redis', 'redis://127.0.0.1:1']);
  assert.equal((await sac.exit).code, 2);
  assert.match(sac.output(), /--redis trains PPO only; this config has algo: sac/);
  const noRedis = ballbot(['actor', '--workers', '2']);
  assert.equal((await noRedis.exit).code, 2);
  assert.match(noRedis.output(), /--redis is required/);
  const caAlone = ballbot(['train', ...TINY, '--out', join(tmpdir(), 'never-written'), '--redis-ca', 'ca.pem']);
  assert.equal((await caAlone.exit).code, 2);
  assert.match(caAlone.output(), /--redis-ca and --redis-lock-ms need --redis URL/);

  const server = await startRedisServer();
  const redis = new Redis(server.url);
  try {
    // A run as a learner of another release would write it.
    await redis.hset('ballbot:train:run', { packageVersion: '0.0.0-other', layoutHash: 'x', configHash: 'y', config: '{}', startedAt: new Date().toISOString() });
    const actor = ballbot(['actor', '--redis', server.url, '--workers', '2']);
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([actor.exit, new Promise<null>((r) => (timer = setTimeout(() => r(null), 30_000)))]);
    clearTimeout(timer);
    if (!result) actor.child.kill('SIGKILL');
    assert.ok(result, `the refused actor did not exit:\n${actor.output()}`);
    assert.equal(result.code, 1);
    assert.match(actor.output(), /refused to join the run at redis:\/\/127\.0\.0\.1:\d+: code version: the learner runs ballbot 0\.0\.0-other, this actor \d/);
  } finally {
    redis.disconnect();
    await server.stop();
  }
});
