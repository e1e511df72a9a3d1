// Running observation statistics equal the statistics of all data seen, however it was batched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';
import { RunningNormalizer, RewardScaler } from '../../training/storage/running-normalizer.js';

test('running mean/var over uneven batches equals the batch statistics of all rows', () => {
  const rng = new Rng(5);
  const d = 3;
  const rows: number[][] = [];
  const norm = new RunningNormalizer(d, 5);
  for (const n of [1, 7, 50, 3, 200]) {
    const batch = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const row = [rng.normal() * 2 + 3, rng.normal() * 0.1 - 1, rng.uniform(0, 10)];
      rows.push(row);
      batch.set(row, i * d);
    }
    norm.update(batch, n);
  }
  for (let j = 0; j < d; j++) {
    const col = rows.map((r) => Math.fround(r[j]));
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    const v = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
    assert.ok(Math.abs(norm.mean[j] - mean) < 1e-4 * Math.max(1, Math.abs(mean)), `mean[${j}]`);
    assert.ok(Math.abs(norm.var[j] - v) < 1e-3 * Math.max(1e-3, v), `var[${j}] ${norm.var[j]} vs ${v}`);
  }
  assert.ok(Math.abs(norm.count - rows.length) < 1e-3);
});

test('normalize clips to +-clip and state round-trips', () => {
  const norm = new RunningNormalizer(1, 2);
  norm.update(Float32Array.from([0, 1, 0, 1]), 4); // mean 0.5, std 0.5
  const out = norm.normalize(Float32Array.from([0.5, 1, 100, -100]), new Float32Array(4), 4);
  assert.ok(Math.abs(out[0]) < 1e-3); // the 1e-4 prior count moves the mean a hair
  assert.ok(Math.abs(out[1] - 1) < 1e-3);
  assert.equal(out[2], 2);
  assert.equal(out[3], -2);
  const copy = new RunningNormalizer(1, 2);
  copy.setState(JSON.parse(JSON.stringify(norm.getState())));
  assert.deepEqual(copy.normalize(Float32Array.from([0.7]), new Float32Array(1), 1), norm.normalize(Float32Array.from([0.7]), new Float32Array(1), 1));
  assert.throws(() => new RunningNormalizer(2).setState(norm.getState()), /size 1, expected 2/);
});

test('reward scaler divides by the std of the discounted return and resets it at episode ends', () => {
  const s = new RewardScaler(1, 0.9, 100);
  const r = new Float32Array(1);
  for (let i = 0; i < 500; i++) {
    r[0] = 1;
    s.scale(r, [i % 10 === 9 ? 1 : 0]);
  }
  // Returns cycle through 1, 1.9, ..., (1-0.9^10)/0.1; the scaled reward is 1/std of those.
  const rets = Array.from({ length: 10 }, (_, k) => (1 - 0.9 ** (k + 1)) / 0.1);
  const m = rets.reduce((a, b) => a + b, 0) / 10;
  const std = Math.sqrt(rets.reduce((a, b) => a + (b - m) ** 2, 0) / 10);
  assert.ok(Math.abs(r[0] - 1 / std) < 0.02, `${r[0]} vs ${1 / std}`);
});
