// Asynchronous PPO: the worker-thread transport (backpressure, stale rollouts dropped and
// counted, weights reach actors), the rollout checks, and a real run on worker threads that
// logs its policy lag within the bound, resumes from its checkpoint and exports a policy.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { initBackend } from '../../training/backend.js';
import { parseTrainConfig, type TrainConfig } from '../../training/config.js';
import { LocalActorTransport, LocalLearnerTransport } from '../../training/distributed/local-transport.js';
import type { Trajectory } from '../../training/distributed/transport.js';
import { loadCheckpoint } from '../../training/io/checkpoint.js';
import { checkTrajectory, rolloutWidths } from '../../training/runners/ppo-exchange.js';
import { train } from '../../training/train.js';
import { makeVecEnv } from '../../training/tasks.js';
import { runPpoActor } from '../../training/runners/ppo-actor.js';

before(async () => {
  await initBackend({ quiet: true });
});

function trajectory(actorId: string, policyVersion: number): Trajectory {
  return { actorId, policyVersion, envSteps: 2, arrays: { x: new Float32Array([policyVersion, policyVersion]) } };
}

function connected(maxLag: number) {
  const learner = new LocalLearnerTransport(maxLag);
  const channel = new MessageChannel();
  learner.addActor(channel.port1);
  const actor = new LocalActorTransport(channel.port2);
  const close = async () => {
    await actor.close();
    await learner.close();
    channel.port1.close();
    channel.port2.close();
  };
  return { learner, actor, close };
}

test('local transport: weights reach the actor, a push waits until the learner takes it', async () => {
  const { learner, actor, close } = connected(2);
  try {
    assert.equal(await actor.latestWeights(-1), null);
    await learner.publishWeights({ version: 3, arrays: { theta: new Float32Array([1, 2]) } });
    let w = null;
    for (let i = 0; i < 100 && !w; i++) {
      w = await actor.latestWeights(-1);
      if (!w) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(w?.version, 3);
    assert.deepEqual(Array.from(w!.arrays.theta), [1, 2]);
    assert.equal(await actor.latestWeights(3), null, 'no newer weights than version 3');

    let taken = false;
    const push = actor.pushTrajectory(trajectory('a', 3)).then(() => (taken = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(taken, false, 'the push must wait for the learner');
    const got = await learner.nextTrajectories(4, 2000);
    assert.equal(got.length, 1);
    assert.equal(got[0].policyVersion, 3);
    await push;
    assert.equal(taken, true);
    assert.deepEqual(learner.status(), { actorsAlive: 1, trajectoriesReceived: 1, trajectoriesDroppedStale: 0 });
  } finally {
    await close();
  }
});

test('local transport: rollouts older than maxPolicyLag are dropped and counted; empty queue times out', async () => {
  const { learner, actor, close } = connected(1);
  try {
    await learner.publishWeights({ version: 5, arrays: {} });
    const pushes = [3, 4, 5].map((v) => actor.pushTrajectory(trajectory('a', v)));
    const got: Trajectory[] = [];
    for (let i = 0; i < 20 && got.length + learner.status().trajectoriesDroppedStale < 3; i++) got.push(...(await learner.nextTrajectories(3, 500)));
    await Promise.all(pushes); // dropped ones are released too
    assert.deepEqual(got.map((t) => t.policyVersion), [4, 5]);
    assert.equal(learner.status().trajectoriesDroppedStale, 1);
    const t0 = performance.now();
    assert.deepEqual(await learner.nextTrajectories(1, 30), []);
    assert.ok(performance.now() - t0 >= 25);
  } finally {
    await close();
  }
});

test('a rollout with a wrongly sized array is refused with its name', () => {
  const widths = rolloutWidths(3, 0, 1);
  const arrays = Object.fromEntries(Object.entries(widths).map(([k, w]) => [k, new Float32Array(4 * w)]));
  checkTrajectory({ actorId: 'a', policyVersion: 0, envSteps: 4, arrays }, widths);
  assert.throws(() => checkTrajectory({ actorId: 'a', policyVersion: 0, envSteps: 4, arrays: { ...arrays, obs: new Float32Array(8) } }, widths), /actor a: array 'obs' has 8 values, expected 4 rows x 3/);
  const { actions: _, ...missing } = arrays;
  assert.throws(() => checkTrajectory({ actorId: 'a', policyVersion: 0, envSteps: 4, arrays: missing }, widths), /array 'actions' is missing/);
});

function asyncConfig(extra: Record<string, unknown> = {}): TrainConfig {
  return parseTrainConfig(
    {
      algo: 'ppo', task: 'pendulum', seed: 5, totalSteps: 100000, numEnvs: 4, workers: 2, checkpointEvery: 2, evalEpisodes: 0,
      network: { actor: [16, 16], critic: [16, 16] },
      ppo: { mode: 'async', maxPolicyLag: 1, stepsPerEnv: 32, epochs: 2, numMinibatches: 2, normalizeReward: true },
      ...extra,
    },
    'test',
  );
}

function metricsRows(dir: string): Record<string, number>[] {
  const [header, ...lines] = readFileSync(join(dir, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v === '' ? NaN : Number(v)])));
}

test('async PPO on two actor threads: lag logged within the bound, resumes, exports a policy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'async-ppo-'));
  try {
    const config = asyncConfig();
    await train({ config, outDir: root, progress: false, maxIterations: 4, skipFinish: true });
    const first = metricsRows(root);
    assert.equal(first.length, 4);
    first.forEach((r, i) => {
      assert.equal(r.env_steps, (i + 1) * 4 * 32);
      assert.ok(r.policy_lag >= 0 && r.policy_lag <= 1, `policy_lag ${r.policy_lag} outside [0, maxPolicyLag]`);
      assert.ok(Number.isFinite(r.policy_loss) && Number.isFinite(r.value_loss));
      assert.ok(r.dropped_stale >= 0);
    });
    const before = loadCheckpoint<Record<string, unknown>>(root).state;
    assert.equal(before.iteration, 4);

    const result = await train({ config, outDir: root, resume: true, progress: false, maxIterations: 2 });
    assert.equal(result.iteration, 6);
    assert.equal(result.envSteps, 6 * 128);
    const after = loadCheckpoint<Record<string, unknown>>(root).state;
    const thetaBefore = (before.agent as { theta: Float32Array }).theta;
    const thetaAfter = (after.agent as { theta: Float32Array }).theta;
    assert.notDeepEqual(Array.from(thetaAfter), Array.from(thetaBefore), 'the resumed learner must keep updating');
    assert.equal(metricsRows(root).length, 6);
    assert.ok(result.policyFile && existsSync(result.policyFile));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the learner trains from actors behind a caller-given transport (as remote actors join over Redis)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'async-ppo-remote-'));
  const { learner, actor, close } = connected(2);
  try {
    const config = asyncConfig({ workers: 0, ppo: { mode: 'sync', stepsPerEnv: 16, epochs: 1, numMinibatches: 2 } });
    // One actor run by the test in this thread (the learner starts no actor threads), with 6 envs
    // where an update takes 4 x 16 rows: each update uses the first 64 rows of a 96-row rollout.
    const vec = await makeVecEnv({ task: 'pendulum', options: {} }, 6, 99, 0);
    let stop = false;
    const acting = runPpoActor({ config, vec, transport: actor, actorId: 'remote-1', seed: 99, shouldStop: () => stop });
    const result = await train({ config, outDir: root, progress: false, maxIterations: 3, skipFinish: true, transport: learner });
    stop = true;
    await actor.close(); // releases the actor's last push
    await acting;
    assert.equal(result.iteration, 3);
    assert.equal(result.envSteps, 3 * 4 * 16);
    const rows = metricsRows(root);
    assert.equal(rows.length, 3);
    assert.ok(rows.every((r) => r.policy_lag >= 0 && r.policy_lag <= 2));
    assert.ok(learner.status().trajectoriesReceived >= 3);
  } finally {
    await close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('async PPO refuses numEnvs that the actors cannot split evenly, naming both keys', async () => {
  const root = mkdtempSync(join(tmpdir(), 'async-ppo-bad-'));
  try {
    await assert.rejects(train({ config: asyncConfig({ numEnvs: 5 }), outDir: root, progress: false, maxIterations: 1, skipFinish: true }), /numEnvs \(5\) must be a multiple of workers \(2\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
