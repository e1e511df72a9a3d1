// bench:redis: trajectories/s through the Redis transport, with ballbot-sized trajectories
// (4096 steps x [obs 15, action 3, log-prob, reward, done, value] as Float32Array).
//  1. Actors only: XADD throughput of 1 and 4 actor connections.
//  2. End to end: 1 and 4 actors pushing while one learner reads, decodes and acknowledges;
//     trajectories/s and env-steps/s at the learner, from the first push to the last receipt.
//  3. Weights: publish + fetch round trip of a 64x64 and a 256x256 actor's parameters.
// Against `--redis URL` (any server, e.g. across machines) or a local redis-server it starts on
// a free loopback port. Prints one JSON object on the last stdout line.
//   npm run bench:redis -- [--redis URL [--redis-ca FILE]] [--trajectories 200] [--json]
import { parseArgs } from 'node:util';
import { connectRedis } from '../training/distributed/redis-connection.js';
import { localRedisServer } from './redis-server.js';
import { RedisActorTransport } from '../training/distributed/redis-actor.js';
import { RedisLearnerTransport } from '../training/distributed/redis-learner.js';
import type { Trajectory } from '../training/distributed/transport.js';

const { values } = parseArgs({ options: { redis: { type: 'string' }, 'redis-ca': { type: 'string' }, trajectories: { type: 'string' }, json: { type: 'boolean' } } });
const N = Number(values.trajectories ?? 200);
const caFile = values['redis-ca'];
const STEPS = 4096;
const LAYOUT = 'bench';
const r1 = (x: number) => Math.round(x * 10) / 10;

function ballbotTrajectory(actorId: string): Trajectory {
  const f = (n: number) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
  return { actorId, policyVersion: 1, envSteps: STEPS, arrays: { obs: f(STEPS * 15), actions: f(STEPS * 3), logp: f(STEPS), rewards: f(STEPS), dones: f(STEPS), values: f(STEPS) } };
}
const BYTES = (15 + 3 + 4) * STEPS * 4;

async function pushOnly(url: string, actors: number, prefix: string): Promise<number> {
  const learner = await RedisLearnerTransport.open({ url, caFile, prefix, config: { bench: prefix }, layout: LAYOUT, maxPolicyLag: 1000, maxStreamLength: N + 10 });
  const joined = await Promise.all(Array.from({ length: actors }, () => RedisActorTransport.join({ url, caFile, prefix, layout: LAYOUT })));
  const t = joined.map((a) => ballbotTrajectory(a.actorId));
  const start = performance.now();
  await Promise.all(joined.map(async (a, i) => {
    for (let k = i; k < N; k += actors) await a.pushTrajectory(t[i]);
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(joined.map((a) => a.close()));
  await learner.close();
  return N / seconds;
}

async function endToEnd(url: string, actors: number, prefix: string): Promise<{ trajectoriesPerSecond: number; envStepsPerSecond: number; megabytesPerSecond: number }> {
  const learner = await RedisLearnerTransport.open({ url, caFile, prefix, config: { bench: prefix }, layout: LAYOUT, maxPolicyLag: 1000, maxStreamLength: N + 10 });
  await learner.publishWeights({ version: 1, arrays: { actor: new Float32Array(10) } });
  const joined = await Promise.all(Array.from({ length: actors }, () => RedisActorTransport.join({ url, caFile, prefix, layout: LAYOUT })));
  const t = joined.map((a) => ballbotTrajectory(a.actorId));
  const start = performance.now();
  const pushing = Promise.all(joined.map(async (a, i) => {
    for (let k = i; k < N; k += actors) await a.pushTrajectory(t[i]);
  }));
  let received = 0;
  while (received < N) received += (await learner.nextTrajectories(16, 1000)).length;
  const seconds = (performance.now() - start) / 1000;
  await pushing;
  await Promise.all(joined.map((a) => a.close()));
  await learner.close();
  return { trajectoriesPerSecond: r1(N / seconds), envStepsPerSecond: Math.round((N * STEPS) / seconds), megabytesPerSecond: r1((N * BYTES) / seconds / 1e6) };
}

async function weightsRoundTrip(url: string, params: number, prefix: string): Promise<number> {
  const learner = await RedisLearnerTransport.open({ url, caFile, prefix, config: { bench: prefix }, layout: LAYOUT, maxPolicyLag: 1 });
  const actor = await RedisActorTransport.join({ url, caFile, prefix, layout: LAYOUT, weightsPollMs: 0 });
  const w = new Float32Array(params).fill(0.5);
  const times: number[] = [];
  for (let v = 1; v <= 50; v++) {
    const t0 = performance.now();
    await learner.publishWeights({ version: v, arrays: { actor: w } });
    while (!(await actor.latestWeights(v - 1))) { /* the next poll sees it */ }
    times.push(performance.now() - t0);
  }
  await actor.close();
  await learner.close();
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 1000) / 1000;
}

const server = values.redis ? null : await localRedisServer();
const url = values.redis ?? server!.url;
try {
  const tag = `bench:${process.pid}`;
  const log = (s: string) => process.stderr.write(s + '\n');
  log(`bench:redis against ${server ? 'a local redis-server' : 'the given server'}: ${N} trajectories of ${STEPS} steps (${(BYTES / 1e6).toFixed(2)} MB each)`);
  const push1 = await pushOnly(url, 1, `${tag}:p1`);
  log(`push only, 1 actor:  ${push1.toFixed(1)} trajectories/s`);
  const push4 = await pushOnly(url, 4, `${tag}:p4`);
  log(`push only, 4 actors: ${push4.toFixed(1)} trajectories/s`);
  const e1 = await endToEnd(url, 1, `${tag}:e1`);
  log(`end to end, 1 actor:  ${e1.trajectoriesPerSecond} trajectories/s (${e1.envStepsPerSecond} env-steps/s, ${e1.megabytesPerSecond} MB/s)`);
  const e4 = await endToEnd(url, 4, `${tag}:e4`);
  log(`end to end, 4 actors: ${e4.trajectoriesPerSecond} trajectories/s (${e4.envStepsPerSecond} env-steps/s, ${e4.megabytesPerSecond} MB/s)`);
  const small = await weightsRoundTrip(url, 15 * 64 + 64 * 64 + 64 * 3 + 64 + 64 + 3 + 3, `${tag}:w1`);
  const large = await weightsRoundTrip(url, 15 * 256 + 256 * 256 + 256 * 3 + 256 + 256 + 3 + 3, `${tag}:w2`);
  log(`weights publish + fetch, p50: ${small} ms (64x64 actor), ${large} ms (256x256 actor)`);
  const cleanup = await connectRedis({ url, caFile });
  for (const p of ['p1', 'p4', 'e1', 'e4', 'w1', 'w2']) {
    const keys = await cleanup.keys(`${tag}:${p}:*`);
    if (keys.length) await cleanup.del(...keys);
  }
  cleanup.disconnect();
  const result = { trajectorySteps: STEPS, trajectoryBytes: BYTES, trajectories: N, pushOnly: { actors1: r1(push1), actors4: r1(push4) }, endToEnd: { actors1: e1, actors4: e4 }, weightsRoundTripMsP50: { mlp64: small, mlp256: large } };
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  server?.stop();
}
