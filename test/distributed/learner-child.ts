// A child learner process for the tests: opens the run (argv: URL PREFIX LAYOUT COUNT), publishes
// weights v1 and reads in batches of up to 3, printing each batch's values ("got 1,2,3"), until
// COUNT arrived; then it holds the last batch (as if training on it) until killed, so that batch
// was read but never acknowledged.
import { RedisLearnerTransport } from '../../training/distributed/redis-learner.js';

const [url, prefix, layout, count] = process.argv.slice(2);
const learner = await RedisLearnerTransport.open({ url, prefix, layout, config: { learner: 'child' }, maxPolicyLag: 100, lockTtlMs: 500 });
await learner.publishWeights({ version: 1, arrays: { actor: new Float32Array([1]) } });
process.stdout.write('ready\n');
for (let received = 0; received < Number(count); ) {
  const batch = await learner.nextTrajectories(3, 200);
  received += batch.length;
  if (batch.length) process.stdout.write(`got ${batch.map((t) => t.arrays.obs[0]).join(',')}\n`);
}
process.stdout.write('holding\n');
setInterval(() => undefined, 1000);
