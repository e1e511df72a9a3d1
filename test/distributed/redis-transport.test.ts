// The Redis transport against a real redis-server on a random loopback port: round trip of
// binary arrays, consumer-group acknowledgements and reclaiming, stale dropping, run identity
// refusal, an actor process killed with SIGKILL, and a Redis restart with and without persistence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisLearnerTransport, type RedisLearnerOptions } from '../../training/distributed/redis-learner.js';
import { RedisActorTransport } from '../../training/distributed/redis-actor.js';
import { observationActionLayout, RunMismatchError, runKeys } from '../../training/distributed/redis-run.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { drain, socketsOf, trajectory, waitFor } from './helpers.js';

const LAYOUT = 'obs:a,b,c;act:u';
const CONFIG = { algo: 'ppo', task: 'pendulum', seed: 1 };
let server: RedisServer;
let prefixCounter = 0;
const freshPrefix = () => `test:${process.pid}:${prefixCounter++}`;

before(async () => {
  server = await startRedisServer({ appendOnly: true });
});
after(async () => server.stop());

function learnerOptions(prefix: string, extra: Partial<RedisLearnerOptions> = {}): RedisLearnerOptions {
  return { url: server.url, prefix, config: CONFIG, layout: LAYOUT, maxPolicyLag: 2, ...extra };
}

test('round trip: weights and trajectories arrive bit-exact, with stats', async () => {
  const prefix = freshPrefix();
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix));
  const actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT });
  try {
    assert.deepEqual(actor.config, CONFIG);
    const params = new Float32Array([1.5, -0, Number.NaN, Infinity, 3.4028234663852886e38, 1e-45]);
    await learner.publishWeights({ version: 1, arrays: { actor: params, norm: new Float32Array([2, 3]) } });
    const w = await waitFor('weights v1', () => actor.latestWeights(0));
    assert.equal(w.version, 1);
    assert.deepEqual(new Uint8Array(w.arrays.actor.buffer), new Uint8Array(params.buffer));
    assert.deepEqual([...w.arrays.norm], [2, 3]);
    assert.equal(await actor.latestWeights(1), null, 'no newer weights than the ones held');

    const obs = Float32Array.from({ length: 4096 * 15 }, (_, i) => Math.sin(i) * 1e3);
    await actor.pushTrajectory({ actorId: actor.actorId, policyVersion: 1, envSteps: 4096, arrays: { obs, logp: new Float32Array([-1.25]) }, stats: { episodeReturn: -12.5 } });
    const [got] = await drain(learner, 1);
    assert.equal(got.actorId, actor.actorId);
    assert.equal(got.policyVersion, 1);
    assert.equal(got.envSteps, 4096);
    assert.deepEqual(got.arrays.obs, obs);
    assert.deepEqual([...got.arrays.logp], [-1.25]);
    assert.deepEqual(got.stats, { episodeReturn: -12.5 });
    assert.equal(learner.status().trajectoriesReceived, 1);
    assert.ok(learner.status().trajectoriesPerSecond > 0);
    assert.equal(await learner.actorsAlive(), 1);
    await actor.close();
    assert.equal(await learner.actorsAlive(), 0, 'an actor that leaves is no longer counted');
  } finally {
    await actor.close();
    await learner.close();
  }
});

test('consumer group: a batch is acknowledged when the next one is asked for; a dead learner\'s pending entries are reclaimed', async () => {
  const prefix = freshPrefix();
  const keys = runKeys(prefix);
  const raw = new Redis(server.url);
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix));
  const actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT });
  try {
    for (let i = 0; i < 3; i++) await actor.pushTrajectory(trajectory(actor.actorId, 0, i));
    const first = await drain(learner, 3);
    assert.deepEqual(first.map((t) => t.arrays.obs[0]), [0, 1, 2]);
    assert.equal((await raw.xpending(keys.trajectories, keys.group))[0], 3, 'read but not yet acknowledged');
    assert.deepEqual(await learner.nextTrajectories(10, 0), []);
    assert.equal((await raw.xpending(keys.trajectories, keys.group))[0], 0, 'acknowledged after the learner asked for more');

    // A learner that read two entries and died: they stay pending under its name until claimed.
    for (let i = 10; i < 12; i++) await actor.pushTrajectory(trajectory(actor.actorId, 0, i));
    const stolen = await raw.xreadgroup('GROUP', keys.group, 'dead-learner', 'COUNT', 10, 'STREAMS', keys.trajectories, '>');
    assert.equal((stolen as [string, unknown[]][])[0][1].length, 2);
    await learner.close();
    const heir = await RedisLearnerTransport.open(learnerOptions(prefix, { claimIdleMs: 1 }));
    try {
      const reclaimed = await drain(heir, 2);
      assert.deepEqual(reclaimed.map((t) => t.arrays.obs[0]), [10, 11]);
      assert.equal(heir.status().trajectoriesReclaimed, 2);
      await heir.nextTrajectories(1, 0);
      assert.equal((await raw.xpending(keys.trajectories, keys.group))[0], 0);
    } finally {
      await heir.close();
    }
  } finally {
    await actor.close();
    await learner.close();
    raw.disconnect();
  }
});

test('stale trajectories (lag over the bound, or from a version the learner never published) are dropped and counted; a resent entry is skipped once', async () => {
  const prefix = freshPrefix();
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix, { maxPolicyLag: 2 }));
  const actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT });
  const raw = new Redis(server.url);
  try {
    await learner.publishWeights({ version: 10, arrays: { actor: new Float32Array(3) } });
    for (const v of [7, 8, 10, 5, 12]) await actor.pushTrajectory(trajectory(actor.actorId, v, v));
    const got = await drain(learner, 2);
    assert.deepEqual(got.map((t) => t.policyVersion), [8, 10]);
    await waitFor('stale count', async () => (await learner.nextTrajectories(10, 50), learner.status().trajectoriesDroppedStale === 3));
    assert.equal(learner.status().meanLag, 1);
    // The same (actor, seq) entry twice, as a XADD resent after a lost reply would make it.
    const fields = ['actor', 'a1', 'seq', '0', 'version', '10', 'steps', '1', 'a:obs', Buffer.from(new Float32Array([1]).buffer)];
    await raw.xadd(runKeys(prefix).trajectories, '*', ...fields);
    await raw.xadd(runKeys(prefix).trajectories, '*', ...fields);
    assert.equal((await drain(learner, 1)).length, 1);
    await waitFor('duplicate count', async () => (await learner.nextTrajectories(10, 50), learner.status().trajectoriesDroppedDuplicate === 1));
  } finally {
    raw.disconnect();
    await actor.close();
    await learner.close();
  }
});

test('an actor with another code, layout or config version is refused with a message naming which', async () => {
  const prefix = freshPrefix();
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix));
  const raw = new Redis(server.url);
  try {
    assert.equal(observationActionLayout(['a', 'b', 'c'], ['u']), LAYOUT);
    assert.equal(observationActionLayout(3, 1), 'obs:size 3;act:size 1');
    await assert.rejects(RedisActorTransport.join({ url: server.url, prefix, layout: 'obs:a,b;act:u' }), (e: Error) => e instanceof RunMismatchError && /observation\/action layout/.test(e.message) && !/config version/.test(e.message));
    await assert.rejects(RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT, config: { ...CONFIG, seed: 2 } }), /config version: the learner's config hashes to [0-9a-f]{16}, this actor's to [0-9a-f]{16}/);
    const same = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT, config: { seed: 1, task: 'pendulum', algo: 'ppo' } });
    await same.close();
    await raw.hset(runKeys(prefix).run, 'packageVersion', '0.0.0-other');
    await assert.rejects(RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT }), /code version: the learner runs ballbot 0.0.0-other, this actor \d+\.\d+\.\d+/);
    await assert.rejects(RedisActorTransport.join({ url: server.url, prefix: freshPrefix(), layout: LAYOUT, joinTimeoutMs: 50 }), /no training run at redis:\/\/127\.0\.0\.1:\d+ \(key test:.*:run\) after 50 ms: start the learner first/);
  } finally {
    raw.disconnect();
    await learner.close();
  }
});

test('a learner restarted from an older checkpoint: actors follow its versions; a learner with another config stops them', async () => {
  const prefix = freshPrefix();
  const first = await RedisLearnerTransport.open(learnerOptions(prefix));
  const actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT, weightsPollMs: 0 });
  try {
    await first.publishWeights({ version: 5, arrays: { actor: new Float32Array([5]) } });
    assert.equal((await waitFor('v5', () => actor.latestWeights(0))).version, 5);
    await first.close();
    const resumed = await RedisLearnerTransport.open(learnerOptions(prefix));
    await resumed.publishWeights({ version: 2, arrays: { actor: new Float32Array([2]) } });
    const w = await waitFor('the resumed learner\'s v2', () => actor.latestWeights(5));
    assert.deepEqual([w.version, w.arrays.actor[0]], [2, 2]);
    await resumed.close();
    const other = await RedisLearnerTransport.open(learnerOptions(prefix, { config: { ...CONFIG, seed: 9 } }));
    await assert.rejects(actor.latestWeights(2), /changed config \([0-9a-f]{16} -> [0-9a-f]{16}\): this actor stops/);
    await other.close();
  } finally {
    await actor.close();
  }
});

test('one learner per run: a second one is refused while the first runs, and takes over once it closed', async () => {
  const prefix = freshPrefix();
  const first = await RedisLearnerTransport.open(learnerOptions(prefix, { lockTtlMs: 300 }));
  try {
    await assert.rejects(RedisLearnerTransport.open(learnerOptions(prefix, { lockTtlMs: 300 })), /another learner \(.+-\d+-\w+\) is running the run at redis:\/\/127\.0\.0\.1:\d+ \(lock test:.*:learner\)/);
    assert.deepEqual(await first.nextTrajectories(1, 0), [], 'the first learner still holds the run');
  } finally {
    await first.close();
  }
  const second = await RedisLearnerTransport.open(learnerOptions(prefix, { lockTtlMs: 300 }));
  await second.close();
});

test('a learner process killed with SIGKILL: the next learner gets every trajectory, the unacknowledged batch again', async () => {
  const prefix = freshPrefix();
  const script = fileURLToPath(new URL('./learner-child.js', import.meta.url));
  const child = spawn(process.execPath, [script, server.url, prefix, LAYOUT, '9'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let actor: RedisActorTransport | null = null;
  let heir: RedisLearnerTransport | null = null;
  try {
    await waitFor('the child learner to open the run', () => out.includes('ready'));
    actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT });
    for (let i = 0; i < 9; i++) await actor.pushTrajectory(trajectory(actor.actorId, 1, i));
    await waitFor('the child learner to read all nine', () => out.includes('holding'));
    child.kill('SIGKILL');
    await exited;
    const batches = out.trim().split('\n').filter((l) => l.startsWith('got ')).map((l) => l.slice(4).split(',').map(Number));
    const unacknowledged = batches[batches.length - 1];
    // The dead learner's lock (500 ms TTL) expires; then this one takes the run over.
    heir = await RedisLearnerTransport.open({ ...learnerOptions(prefix, { claimIdleMs: 1 }), config: { learner: 'child' } });
    await heir.publishWeights({ version: 2, arrays: { actor: new Float32Array([2]) } });
    for (let i = 9; i < 12; i++) await actor.pushTrajectory(trajectory(actor.actorId, 1, i)); // the actor never stopped
    const got = (await drain(heir, unacknowledged.length + 3)).map((t) => t.arrays.obs[0]);
    assert.deepEqual([...got].sort((a, b) => a - b), [...unacknowledged, 9, 10, 11]);
    assert.deepEqual(await heir.nextTrajectories(10, 100), [], 'the acknowledged batches are never delivered again');
    const raw = new Redis(server.url);
    await waitFor('the dead learner to leave the consumer group', async () => (await heir!.nextTrajectories(10, 0), ((await raw.xinfo('CONSUMERS', runKeys(prefix).trajectories, 'learners')) as unknown[]).length === 1));
    raw.disconnect();
    assert.equal((await waitFor('the new learner\'s weights', () => actor!.latestWeights(1))).version, 2);
  } finally {
    child.kill('SIGKILL');
    await actor?.close();
    await heir?.close();
  }
});

test('an actor process killed with SIGKILL: the learner keeps receiving from the others and counts it gone', async () => {
  const prefix = freshPrefix();
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix, { maxPolicyLag: 100 }));
  const survivor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT, heartbeatTtlMs: 400 });
  const script = fileURLToPath(new URL('./actor-child.js', import.meta.url));
  const child = spawn(process.execPath, [script, server.url, prefix, LAYOUT, 'doomed'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pushed = 0;
  child.stdout!.on('data', (d: Buffer) => {
    const all = [...d.toString().matchAll(/pushed (\d+)/g)];
    if (all.length) pushed = Number(all[all.length - 1][1]);
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  try {
    await waitFor('the child actor to push 20 trajectories', () => pushed >= 20);
    await waitFor('two actors alive', async () => (await learner.actorsAlive()) === 2);
    const { listening, peers } = socketsOf(child.pid!);
    assert.deepEqual(listening, [], 'an actor listens on nothing');
    assert.deepEqual(new Set(peers), new Set([`127.0.0.1:${server.port}`]), 'an actor talks only to Redis');
    const before = await drain(learner, 20);
    assert.ok(before.every((t) => t.actorId === 'doomed'));
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    // Everything it pushed before dying is still delivered, then the survivor's data flows on.
    let fromDoomed = before.length;
    let fromSurvivor = 0;
    for (let i = 0; fromSurvivor < 5; i++) {
      if (i < 5) await survivor.pushTrajectory(trajectory(survivor.actorId, 0, i));
      for (const t of await learner.nextTrajectories(100, 200)) t.actorId === 'doomed' ? fromDoomed++ : fromSurvivor++;
    }
    for (const t of await learner.nextTrajectories(10_000, 100)) t.actorId === 'doomed' ? fromDoomed++ : fromSurvivor++;
    assert.equal(fromSurvivor, 5);
    assert.ok(fromDoomed >= pushed, `every acknowledged push of the dead actor arrived (${fromDoomed} of ${pushed})`);
    await waitFor('the dead actor\'s heartbeat to expire', async () => (await learner.actorsAlive()) === 1, 5000);
  } finally {
    child.kill('SIGKILL');
    await survivor.close();
    await learner.close();
  }
});

test('Redis restart with persistence: both sides reconnect; nothing acknowledged is lost or delivered twice', async () => {
  const prefix = freshPrefix();
  const keys = runKeys(prefix);
  const learner = await RedisLearnerTransport.open(learnerOptions(prefix, { maxPolicyLag: 100 }));
  const actor = await RedisActorTransport.join({ url: server.url, prefix, layout: LAYOUT });
  try {
    await learner.publishWeights({ version: 3, arrays: { actor: new Float32Array([7]) } });
    for (let i = 0; i < 4; i++) await actor.pushTrajectory(trajectory(actor.actorId, 3, i));
    const first = await drain(learner, 2);
    const second = await drain(learner, 2); // acknowledges the first two
    await server.restart();
    for (let i = 4; i < 6; i++) await actor.pushTrajectory(trajectory(actor.actorId, 3, i)); // queued until reconnected
    const third = await drain(learner, 2); // acknowledges the second two, after the restart
    await learner.nextTrajectories(10, 0);
    const values = [...first, ...second, ...third].map((t) => t.arrays.obs[0]);
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5]);
    const raw = new Redis(server.url);
    assert.equal((await raw.xpending(keys.trajectories, keys.group))[0], 0);
    raw.disconnect();
    const w = await actor.latestWeights(0);
    assert.equal(w?.version, 3);
  } finally {
    await actor.close();
    await learner.close();
  }
});

test('Redis restart without persistence: the learner recreates its run, group and weights; unacknowledged data is lost', async () => {
  const volatile = await startRedisServer();
  const prefix = freshPrefix();
  const learner = await RedisLearnerTransport.open({ url: volatile.url, prefix, config: CONFIG, layout: LAYOUT, maxPolicyLag: 100 });
  const actor = await RedisActorTransport.join({ url: volatile.url, prefix, layout: LAYOUT });
  try {
    await learner.publishWeights({ version: 5, arrays: { actor: new Float32Array([1, 2]) } });
    await actor.pushTrajectory(trajectory(actor.actorId, 5, 0));
    assert.equal((await drain(learner, 1))[0].arrays.obs[0], 0); // read, acknowledged only after the restart
    await actor.pushTrajectory(trajectory(actor.actorId, 5, 1)); // never read: lost with the restart
    await volatile.shutdown();
    // Asked for more while Redis is down: the acknowledgement waits and reaches a Redis that lost the group.
    const next = learner.nextTrajectories(10, 100);
    await volatile.start();
    assert.deepEqual(await next, []);
    const raw = new Redis(volatile.url);
    await waitFor('the learner to restore its run after the restart', async () => (await raw.hget(runKeys(prefix).weights, 'version')) === '5');
    raw.disconnect();
    await actor.pushTrajectory(trajectory(actor.actorId, 5, 2));
    const got = await drain(learner, 1);
    assert.deepEqual(got.map((t) => t.arrays.obs[0]), [2]);
    assert.equal((await waitFor('weights after restart', () => actor.latestWeights(0))).version, 5);
  } finally {
    await actor.close();
    await learner.close();
    await volatile.stop();
  }
});
