// A child actor process for the tests: joins the run (argv: URL PREFIX LAYOUT ACTOR_ID) and pushes small trajectories
// forever (until killed), printing "pushed N" after each so the parent can wait on progress.
import { RedisActorTransport } from '../../training/distributed/redis-actor.js';

const [url, prefix, layout, actorId] = process.argv.slice(2);
const actor = await RedisActorTransport.join({ url, prefix, layout, actorId, heartbeatTtlMs: 400, joinTimeoutMs: 5000 });
let version = 0;
for (let n = 1; ; n++) {
  const w = await actor.latestWeights(version);
  if (w) version = w.version;
  await actor.pushTrajectory({ actorId: actor.actorId, policyVersion: version, envSteps: 8, arrays: { obs: new Float32Array(8).fill(n) } });
  process.stdout.write(`pushed ${n}\n`);
  await new Promise((r) => setImmediate(r));
}
