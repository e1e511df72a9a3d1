// Harder terrain for the curriculum: slopes, steps, bumps, mixed. Each is seeded, scaled
// by its difficulty, flat at the start pad, and the built-in tasks load and run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTask } from '../../sim/config/task.js';
import { BallbotEnv } from '../../sim/ballbot-env.js';
import { Rng } from '../../sim/rng.js';
import {
  episodeTerrain, generateBumps, generateSlopes, generateSteps, generateTerrain, TERRAIN_HARDEST, terrainHeightAt, terrainSlopesDeg,
  type Terrain,
} from '../../sim/terrain.js';

const maxOf = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, v), -Infinity);

function assertStartPadFlat(t: Terrain, what: string): void {
  for (const [x, y] of [[0, 0], [0.3, 0], [0, -0.3], [0.2, 0.2]]) assert.ok(Math.abs(terrainHeightAt(t, x, y) - terrainHeightAt(t, 0, 0)) < 1e-6, `${what}: start pad not flat at (${x}, ${y})`);
}

test('slopes: ramps of the difficulty-scaled angle', () => {
  const hard = generateSlopes(3, 1), easy = generateSlopes(3, 0.5);
  const steepest = maxOf(terrainSlopesDeg(hard));
  assert.ok(Math.abs(steepest - TERRAIN_HARDEST.slopeDeg) < 1, `steepest ramp ${steepest.toFixed(2)} deg`);
  assert.ok(maxOf(terrainSlopesDeg(easy)) < 0.6 * steepest);
  assert.equal(maxOf(generateSlopes(3, 0).heights), 0, 'difficulty 0 is flat');
  assertStartPadFlat(hard, 'slopes');
  assert.deepEqual(generateSlopes(3, 1).heights, hard.heights);
  assert.notDeepEqual(generateSlopes(4, 1).heights, hard.heights);
});

test('steps: heights are whole steps off the start pad, one cell wide faces', () => {
  const t = generateSteps(5, 1);
  const step = TERRAIN_HARDEST.stepHeightM;
  const n = t.cells + 1;
  const levels = new Set<number>();
  for (let iy = 0; iy < n; iy++) {
    for (let ix = 0; ix < n; ix++) {
      const x = (ix / t.cells - 0.5) * t.size, y = (iy / t.cells - 0.5) * t.size;
      const h = t.heights[iy * n + ix] / step;
      assert.ok(Math.abs(h - Math.round(h)) < 1e-4, `vertex (${ix}, ${iy}) at ${h} steps`);
      levels.add(Math.round(h));
    }
  }
  assert.ok(levels.size >= 3, `levels seen: ${[...levels]}`);
  assert.ok(maxOf(terrainSlopesDeg(t)) > 20, 'step faces are steep');
  assertStartPadFlat(t, 'steps');
});

test('bumps: peaks bounded by the difficulty', () => {
  const t = generateBumps(2, 1);
  const top = maxOf(t.heights);
  assert.ok(top > 0.5 * TERRAIN_HARDEST.bumpHeightM && top < 3 * TERRAIN_HARDEST.bumpHeightM, `highest point ${top.toFixed(3)} m`);
  assert.ok(maxOf(generateBumps(2, 0.25).heights) < 0.4 * top);
  assertStartPadFlat(t, 'bumps');
});

test('episodeTerrain: rough draws exactly as before; the curriculum level shrinks difficulty; mixed picks every kind', () => {
  const a = new Rng(11), b = new Rng(11);
  assert.deepEqual(episodeTerrain('rough', a, 1.2)!.heights, generateTerrain(b.nextU32(), 1.2).heights);
  assert.equal(episodeTerrain('flat', a, 1), null);
  // Level 0: every episode at the low end of the range.
  for (let k = 0; k < 3; k++) {
    const t = episodeTerrain('slopes', new Rng(k), 1, [0.25, 1], 0)!;
    assert.ok(Math.abs(maxOf(terrainSlopesDeg(t)) - 0.25 * TERRAIN_HARDEST.slopeDeg) < 0.5);
  }
  const cells = new Set<number>();
  const rng = new Rng(3);
  for (let k = 0; k < 16; k++) cells.add(episodeTerrain('mixed', rng, 1, [1, 1])!.cells);
  assert.deepEqual([...cells].sort(), [120, 240], 'mixed draws 0.1 m step grids and 0.2 m grids');
});

test('the terrain tasks load and step', async () => {
  for (const name of ['terrain-slopes', 'terrain-steps', 'terrain-mixed']) {
    const task = loadTask(name);
    assert.equal(task.name, name);
    const env = await BallbotEnv.create({ task, seed: 1 });
    env.reset(1);
    for (let t = 0; t < 5; t++) assert.equal(env.step(new Float32Array(3)).obs.length, env.observationSpace.shape[0]);
    assert.ok(env.simulation.world.robots[0].terrain, `${name} has a terrain patch`);
    env.close();
  }
});
