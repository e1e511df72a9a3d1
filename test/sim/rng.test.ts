import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../sim/rng.js';

test('same seed gives the same stream; state round-trips', () => {
  const a = new Rng(42), b = new Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextU32(), b.nextU32());
  a.normal();
  const saved = a.getState();
  const expected = [a.normal(), a.next(), a.normal()];
  const c = new Rng(7);
  c.setState(saved);
  assert.deepEqual([c.normal(), c.next(), c.normal()], expected);
  assert.notEqual(new Rng(1).nextU32(), new Rng(2).nextU32());
});

test('uniform and normal have the right moments', () => {
  const r = new Rng(3);
  let s = 0, s2 = 0, u = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x; s2 += x * x;
    const v = r.uniform(2, 4);
    assert.ok(v >= 2 && v < 4);
    u += v;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  assert.ok(Math.abs(u / n - 3) < 0.02);
});
