// Password and TLS URLs against real redis-servers: the right password and a trusted CA work,
// a wrong password, a missing CA or plain text to a TLS port fail with a message naming the
// server (password redacted); a malformed URL names what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectRedis, redisOptions, redactUrl } from '../../training/distributed/redis-connection.js';
import { RedisLearnerTransport } from '../../training/distributed/redis-learner.js';
import { RedisActorTransport } from '../../training/distributed/redis-actor.js';
import { startRedisServer } from './redis-server.js';
import { drain, trajectory } from './helpers.js';

test('password: the URL\'s password authenticates; a wrong one is refused and never printed', async () => {
  const server = await startRedisServer({ password: 's3cret/+' });
  try {
    const ok = await connectRedis({ url: server.url });
    assert.equal(await ok.ping(), 'PONG');
    ok.disconnect();
    const wrong = server.url.replace(encodeURIComponent('s3cret/+'), 'nope');
    await assert.rejects(connectRedis({ url: wrong }), (e: Error) => /cannot use Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/.test(e.message) && /WRONGPASS|invalid password/i.test(e.message) && !e.message.includes('nope'));
    await assert.rejects(connectRedis({ url: `redis://127.0.0.1:${server.port}` }), /NOAUTH|Authentication required/i);
  } finally {
    await server.stop();
  }
});

test('TLS: rediss:// with the server\'s CA carries the transport; without the CA or in plain text it fails', async () => {
  const server = await startRedisServer({ tls: true, password: 'pw' });
  try {
    assert.match(server.url, /^rediss:\/\//);
    const endpoint = { url: server.url, caFile: server.caFile };
    const learner = await RedisLearnerTransport.open({ ...endpoint, config: { a: 1 }, layout: 'x', maxPolicyLag: 1 });
    const actor = await RedisActorTransport.join({ ...endpoint, layout: 'x' });
    await actor.pushTrajectory(trajectory(actor.actorId, 0, 42));
    assert.equal((await drain(learner, 1))[0].arrays.obs[0], 42);
    await actor.close();
    await learner.close();
    await assert.rejects(connectRedis({ url: server.url }), /self[- ]signed certificate|unable to verify/i);
    await assert.rejects(connectRedis({ url: server.url.replace('rediss:', 'redis:') }, { connectTimeout: 2000, retryStrategy: () => null }), /cannot use Redis/);
  } finally {
    await server.stop();
  }
});

test('URLs: scheme, host and database are checked; the password is redacted in messages', () => {
  assert.throws(() => redisOptions({ url: 'http://x:1' }), /--redis: scheme 'http:' in 'http:\/\/x:1' is not redis: or rediss:/);
  assert.throws(() => redisOptions({ url: 'localhost:6379' }), /scheme 'localhost:'/);
  assert.throws(() => redisOptions({ url: 'not a url' }), /'not a url' is not a URL/);
  assert.throws(() => redisOptions({ url: 'redis://h:1/abc' }), /database 'abc'/);
  const o = redisOptions({ url: 'redis://user:p%40ss@10.0.0.2:7000/3' });
  assert.deepEqual([o.host, o.port, o.db, o.username, o.password, o.tls], ['10.0.0.2', 7000, 3, 'user', 'p@ss', undefined]);
  assert.ok(redisOptions({ url: 'rediss://h' }).tls);
  assert.equal(redactUrl('redis://user:p%40ss@h:1'), 'redis://user:***@h:1');
});
