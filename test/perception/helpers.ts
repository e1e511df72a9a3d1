// Shared setup for the perception tests: the default robot carrying sensors, one robot in
// a real Rapier world on a given heightfield, and a perception batch for it.
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../../sim/config/paths.js';
import { loadTask, type TaskConfig } from '../../sim/config/task.js';
import type { RandomizationConfig } from '../../sim/config/randomization.js';
import { nominalParams } from '../../sim/episode-params.js';
import { withPerception } from '../../sim/perception/config.js';
import { PerceptionBatch } from '../../sim/perception/perception-batch.js';
import { Rng } from '../../sim/rng.js';
import type { Terrain } from '../../sim/terrain.js';
import { BallbotWorld } from '../../sim/world.js';

export function perceptiveRobot(section?: unknown): RobotConfig {
  return withPerception(loadRobotConfig(DEFAULT_ROBOT_CONFIG), section);
}

export function perceptiveTask(name = 'balance', depth = true, heightScan = true): TaskConfig {
  return { ...loadTask(name), perception: { depth, heightScan } };
}

/** A terrain patch of the default size whose height is f(x, y) at every vertex (no pad, no lift). */
export function terrainFrom(f: (x: number, y: number) => number, size = 24, cells = 240): Terrain {
  const n = cells + 1;
  const heights = new Float32Array(n * n);
  for (let iy = 0; iy < n; iy++) for (let ix = 0; ix < n; ix++) heights[iy * n + ix] = f((ix / cells - 0.5) * size, (iy / cells - 0.5) * size);
  return { size, cells, heights };
}

export interface Rig {
  world: BallbotWorld;
  perception: PerceptionBatch;
  /** Place the robot upright at local (x, y) with heading yaw and start a perception episode. */
  place(x: number, y: number, yaw?: number, seed?: number): void;
}

/** One robot on `terrain` (null = the flat slab) with the given perception batch settings. */
export async function rig(robot: RobotConfig, terrain: Terrain | null, randomization: RandomizationConfig | null = null, task = perceptiveTask()): Promise<Rig> {
  const world = await BallbotWorld.create(robot, 1);
  const sim = world.robots[0];
  sim.setParams(nominalParams(robot));
  sim.setTerrain(terrain);
  const perception = PerceptionBatch.forTask(robot, task, randomization, 1, world.controlDt)!;
  return {
    world,
    perception,
    place(x, y, yaw = 0, seed = 1) {
      sim.resetPose(x, y, 0, 0, yaw);
      perception.beginEpisode(0, sim, new Rng(seed));
    },
  };
}
