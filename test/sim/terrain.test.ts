// Procedural terrain: slope statistics in OpenBallBot-RL's range, the Rapier heightfield
// agrees with our height lookup, and the ball rests on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateTerrain, terrainHeightAt, terrainSlopesDeg } from '../../sim/terrain.js';
import { BallbotWorld } from '../../sim/world.js';
import { loadRobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { nominalParams } from '../../sim/episode-params.js';
import { loadRapier } from '../../sim/rapier.js';

test('terrain slopes: median near 8 deg, max near 25 deg, seeded', () => {
  const medians: number[] = [], maxes: number[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const slopes = Array.from(terrainSlopesDeg(generateTerrain(seed, 1))).sort((a, b) => a - b);
    medians.push(slopes[Math.floor(slopes.length / 2)]);
    maxes.push(slopes[slopes.length - 1]);
  }
  const median = medians.reduce((a, b) => a + b) / medians.length;
  const max = maxes.reduce((a, b) => a + b) / maxes.length;
  assert.ok(median > 4 && median < 12, `median slope ${median.toFixed(1)} deg`);
  assert.ok(max > 15 && max < 35, `max slope ${max.toFixed(1)} deg`);
  assert.deepEqual(generateTerrain(3, 1).heights, generateTerrain(3, 1).heights);
  assert.notDeepEqual(generateTerrain(3, 1).heights, generateTerrain(4, 1).heights);
});

test('the Rapier heightfield matches terrainHeightAt (ray casts) and holds the ball', async () => {
  const R = await loadRapier();
  const robot = loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const world = await BallbotWorld.create(robot, 1);
  const sim = world.robots[0];
  sim.setParams(nominalParams(robot));
  const terrain = generateTerrain(7, 1);
  sim.setTerrain(terrain);
  world.world.step();
  // Off the grid lines: a ray exactly along a cell edge can slip between triangles.
  for (const [x, y] of [[3.03, 2.07], [-4.51, 1.23], [6.05, -7.03], [-2.01, -9.33], [0.33, 0.11]]) {
    const ray = new R.Ray({ x: sim.originX + x, y: sim.originY + y, z: 50 }, { x: 0, y: 0, z: -1 });
    const hit = world.world.castRay(ray, 100, true);
    assert.ok(hit, `ray at (${x}, ${y}) should hit the terrain`);
    const z = 50 - hit!.timeOfImpact;
    const expected = terrainHeightAt(terrain, x, y);
    assert.ok(Math.abs(z - expected) < 0.02, `height at (${x}, ${y}): rapier ${z.toFixed(3)} vs lookup ${expected.toFixed(3)}`);
  }
  sim.resetPose(5, 3, 0, 0, 0);
  for (let k = 0; k < 50; k++) world.stepControl();
  const pos = sim.localPosition(new Float64Array(3));
  const ground = terrainHeightAt(terrain, pos[0], pos[1]);
  assert.ok(pos[2] > ground + 0.5 * robot.ball.radius, `ball fell through the terrain: z ${pos[2]} vs ground ${ground}`);
  world.close();
});
