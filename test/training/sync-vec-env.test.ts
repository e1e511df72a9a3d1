// SyncVecEnv: auto-reset with the final observation kept, episode info, seeding; Pendulum-v1 dynamics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncVecEnv } from '../../sim/sync-vec-env.js';
import { PendulumEnv, angleNormalize } from '../../training/envs/pendulum.js';

test('truncation at 200 steps: finalObs is the last observation, obs is the new episode, episode info reported', () => {
  const vec = new SyncVecEnv([new PendulumEnv(), new PendulumEnv()]);
  const shadow = new PendulumEnv(); // same seed as env 0 -> same trajectory
  vec.reset(10);
  shadow.reset(10);
  const act = Float32Array.from([0.5, -0.5]);
  let ret = 0;
  for (let t = 1; t <= 200; t++) {
    const s = vec.step(act);
    const ref = shadow.step(Float32Array.of(0.5));
    ret += ref.reward;
    if (t < 200) {
      assert.equal(s.truncated[0], 0);
      assert.deepEqual(Array.from(s.obs.subarray(0, 3)), Array.from(ref.obs));
      assert.equal(s.episodes.length, 0);
    } else {
      assert.equal(s.truncated[0], 1);
      assert.equal(s.terminated[0], 0);
      assert.deepEqual(Array.from(s.finalObs.subarray(0, 3)), Array.from(ref.obs));
      assert.notDeepEqual(Array.from(s.obs.subarray(0, 3)), Array.from(ref.obs));
      assert.equal(s.episodes.length, 2);
      assert.equal(s.episodes[0].length, 200);
      assert.ok(Math.abs(s.episodes[0].return - ret) < 1e-6);
    }
  }
});

test('Pendulum-v1 step: cost on the pre-update state, thdot clipped to 8, angle normalized', () => {
  const env = new PendulumEnv(0);
  env.reset(1);
  const e = env as unknown as { th: number; thdot: number };
  e.th = 3;
  e.thdot = 7.9;
  const s = env.step(Float32Array.of(5)); // u clipped to 2
  const cost = angleNormalize(3) ** 2 + 0.1 * 7.9 ** 2 + 0.001 * 4;
  assert.ok(Math.abs(s.reward + cost) < 1e-9);
  const thdot = Math.min(8, 7.9 + (15 * Math.sin(3) + 3 * 2) * 0.05);
  assert.equal(thdot, 8);
  assert.ok(Math.abs(s.obs[2] - 8) < 1e-6);
  assert.ok(Math.abs(s.obs[0] - Math.cos(3 + 8 * 0.05)) < 1e-6);
  assert.ok(Math.abs(angleNormalize(-4) - (2 * Math.PI - 4)) < 1e-12);
});
