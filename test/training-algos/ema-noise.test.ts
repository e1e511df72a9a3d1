// The EMA of the actor's weights and the exploration noises on hand-computed cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { ParamEma } from '../../training/networks/ema.js';
import { GaussianNoise, OrnsteinUhlenbeckNoise, makeNoise } from '../../training/algorithms/exploration-noise.js';

test('EMA: ema <- decay ema + (1 - decay) theta, starting from the initial weights', () => {
  const ema = new ParamEma(0.5, Float32Array.from([0, 4]));
  ema.update([2, 0]);
  assert.deepEqual(Array.from(ema.values), [1, 2]);
  ema.update([2, 0]);
  assert.deepEqual(Array.from(ema.values), [1.5, 1]);
  assert.equal(ema.updates, 2);
  const copy = new ParamEma(0.5, new Float32Array(2));
  copy.setState(ema.getState());
  assert.deepEqual(copy.values, ema.values);
  assert.throws(() => ema.update([1]), /EMA of 2 parameters got 1/);
  assert.throws(() => new ParamEma(1, new Float32Array(1)), /decay must be in \[0, 1\)/);
});

test('Gaussian noise: sigma times the Rng normals', () => {
  const out = new Float32Array(4);
  new GaussianNoise(0.3).sample(new Rng(7), out);
  const ref = new Rng(7);
  out.forEach((v, i) => assert.ok(Math.abs(v - 0.3 * ref.normal()) < 1e-6, `noise[${i}]`));
});

test('Ornstein-Uhlenbeck: x <- x + theta (mu - x) dt + sigma sqrt(dt) eps, per env, reset when the episode ends', () => {
  const ou = new OrnsteinUhlenbeckNoise(2, 1, 0.5, 0.15, 0.04);
  const rng = new Rng(11);
  const ref = new Rng(11);
  const out = new Float32Array(2);
  let x = [0, 0];
  for (let step = 0; step < 3; step++) {
    ou.sample(rng, out);
    x = x.map((xi) => xi + 0.15 * (0 - xi) * 0.04 + 0.5 * 0.2 * ref.normal());
    x.forEach((xi, i) => assert.ok(Math.abs(out[i] - xi) < 1e-5, `step ${step} env ${i}: ${out[i]} vs ${xi}`));
  }
  ou.resetEnv(1);
  assert.ok(ou.x[0] !== 0);
  assert.equal(ou.x[1], 0);
  // With sigma 0 the process decays geometrically towards mu = 0.
  const decay = new OrnsteinUhlenbeckNoise(1, 1, 0, 0.5, 0.1);
  decay.x[0] = 1;
  decay.sample(rng, out);
  assert.ok(Math.abs(out[0] - 0.95) < 1e-6);
  assert.ok(makeNoise({ type: 'ou', sigma: 0.2, theta: 0.15, dt: 0.01 }, 2, 3) instanceof OrnsteinUhlenbeckNoise);
  assert.ok(makeNoise({ type: 'gaussian', sigma: 0.2, theta: 0.15, dt: 0.01 }, 2, 3) instanceof GaussianNoise);
});
