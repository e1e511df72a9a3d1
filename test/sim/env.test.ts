// Env and VecEnv semantics: determinism, auto-reset with final observations, worker split
// equivalence, and independence of robots sharing a World.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBallbotEnv, resolveEnvConfig } from '../../sim/ballbot-env.js';
import { makeBallbotVecEnv } from '../../sim/vec-env.js';
import { BallbotBatch } from '../../sim/ballbot-batch.js';
import { createLqrController } from '../../sim/lqr.js';
import { OBS_SIZE } from '../../sim/observation.js';

function wobble(k: number, i: number): number {
  return 0.4 * Math.sin(0.07 * k + 1.3 * i);
}

test('same seed gives the same trajectory; another seed does not', async () => {
  const run = async (seed: number) => {
    const env = await makeBallbotEnv({ randomize: true, seed });
    const trace: number[] = [];
    let obs = env.reset(seed);
    for (let k = 0; k < 200; k++) {
      const r = env.step(Float32Array.of(wobble(k, 0), wobble(k, 1), wobble(k, 2)));
      trace.push(...r.obs.slice(0, 6), r.reward);
      obs = r.terminated || r.truncated ? env.reset() : r.obs;
    }
    void obs;
    env.close();
    return trace;
  };
  const a = await run(11), b = await run(11), c = await run(12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('Env follows Gymnasium: falls terminate, time limits truncate', async () => {
  const env = await makeBallbotEnv({ seed: 1 });
  env.reset(1);
  let r;
  let steps = 0;
  do {
    r = env.step(new Float32Array(3));
    steps++;
  } while (!r.terminated && !r.truncated && steps < 5000);
  assert.equal(r.terminated, true, 'zero torque must fall');
  assert.equal(r.truncated, false);
  assert.ok(r.reward < -5, `fall penalty expected in the last reward, got ${r.reward}`);
  const episode = r.info.episode as Record<string, number>;
  assert.equal(episode.length, steps);
  assert.ok(episode.maxTiltDeg > 20);
  env.close();

  const config = resolveEnvConfig({});
  const lqr = createLqrController(config.robot);
  const short = await makeBallbotEnv({ task: { ...config.task, episodeSeconds: 1, initTiltDeg: [1, 1] }, seed: 2 });
  let obs = short.reset(2);
  const action = new Float32Array(3);
  for (let k = 1; k <= 100; k++) {
    lqr.act(obs, action);
    r = short.step(action);
    obs = r.obs;
    assert.equal(r.truncated, k === 100, `truncation only at the time limit (step ${k})`);
    assert.equal(r.terminated, false);
  }
  short.close();
});

test('VecEnv auto-resets and keeps the final observation; worker split equals in-process', async (t) => {
  const opts = { numEnvs: 6, randomize: true, seed: 4 } as const;
  const inproc = await makeBallbotVecEnv({ ...opts, workers: 0 });
  const workers = await makeBallbotVecEnv({ ...opts, workers: 2 });
  t.after(async () => {
    await inproc.close();
    await workers.close();
  });
  const a0 = Float32Array.from(await inproc.reset(4));
  const b0 = Float32Array.from(await workers.reset(4));
  assert.deepEqual(a0, b0);
  const actions = new Float32Array(6 * 3);
  let endings = 0;
  for (let k = 0; k < 150; k++) {
    for (let i = 0; i < actions.length; i++) actions[i] = i < 9 ? 0 : wobble(k, i); // envs 0-2 fall
    const a = await inproc.step(actions);
    const aObs = Float32Array.from(a.obs), aFinal = Float32Array.from(a.finalObs), aTerm = Uint8Array.from(a.terminated);
    const b = await workers.step(actions);
    assert.deepEqual(Float32Array.from(b.obs), aObs, `step ${k}: worker obs differ`);
    assert.deepEqual(Uint8Array.from(b.terminated), aTerm);
    for (let i = 0; i < 6; i++) {
      if (!aTerm[i]) continue;
      endings++;
      const final = aFinal.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE);
      const fresh = aObs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE);
      // Final obs shows the fall (gravity far from -z); the new episode starts near upright.
      assert.ok(final[2] > -Math.cos((15 * Math.PI) / 180), `env ${i}: final obs should be tilted, gz=${final[2]}`);
      assert.ok(fresh[2] < -Math.cos((8 * Math.PI) / 180), `env ${i}: reset obs should be upright, gz=${fresh[2]}`);
      assert.deepEqual(Float32Array.from(b.finalObs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE)), Float32Array.from(final));
      assert.ok(a.episodes.some((e) => e.env === i && e.terminated));
    }
  }
  assert.ok(endings >= 3, `expected falls to auto-reset, saw ${endings}`);
});

test('resetting one robot does not disturb another in the same World', async () => {
  const config = resolveEnvConfig({});
  const task = { ...config.task, initTiltDeg: [3, 3] as [number, number] };
  const trace = async (env0Falls: boolean) => {
    const batch = await BallbotBatch.create({ ...config, task, numEnvs: 2, seed: 9 });
    const lqr = [createLqrController(config.robot), createLqrController(config.robot)];
    const actions = new Float32Array(6);
    const out: number[] = [];
    let resets = 0;
    for (let k = 0; k < 300; k++) {
      for (let i = 0; i < 2; i++) lqr[i].act(batch.obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), actions.subarray(3 * i, 3 * i + 3));
      if (env0Falls) actions.fill(0, 0, 3);
      batch.step(actions);
      if (batch.terminated[0]) { resets++; lqr[0].reset(); }
      out.push(...batch.obs.subarray(OBS_SIZE, 2 * OBS_SIZE));
    }
    batch.close();
    return { out, resets };
  };
  const quiet = await trace(false), busy = await trace(true);
  assert.equal(quiet.resets, 0);
  assert.ok(busy.resets >= 2, `env 0 should fall and reset repeatedly, got ${busy.resets}`);
  assert.deepEqual(busy.out, quiet.out);
});
