// How an episode starts, for the training env and for the plant behind deploy's sim link,
// the virtual robot and the viewer: parameters, terrain and start pose drawn from the
// episode's RNG in one order, so the same seed gives the same robot in every one of them.
import type { RandomizationConfig } from './config/randomization.js';
import type { RobotConfig } from './config/robot.js';
import { nominalParams, sampleParams, type EpisodeParams } from './episode-params.js';
import type { Rng } from './rng.js';
import type { RobotSim } from './robot-sim.js';
import { episodeTerrain, type TerrainKind } from './terrain.js';

export interface EpisodeStartOptions {
  robot: RobotConfig;
  /** null: nominal parameters. */
  randomization: RandomizationConfig | null;
  /** Curriculum level in [0, 1] (sim/episode-params.ts). */
  level: number;
  terrain: TerrainKind;
  /** Difficulty range of the generated terrain kinds, scaled by the curriculum level (sim/terrain.ts). */
  terrainDifficulty?: readonly [number, number];
  /** Start tilt range, degrees. */
  initTiltDeg: readonly [number, number];
  /**
   * Tilt axis and heading drawn uniformly (the training env), or the x axis and heading 0 (a
   * plant, so pushes and commands line up with the world axes). Drawn either way, so the RNG
   * stream, and all that follows from it, is the same.
   */
  randomPose: boolean;
}

/** The seed of env `index` for a run seeded with `seed`: the same however envs are split. */
export function envSeed(seed: number, index: number): number {
  return seed * 100_003 + index;
}

export function startEpisode(sim: RobotSim, rng: Rng, o: EpisodeStartOptions): EpisodeParams {
  const p = o.randomization ? sampleParams(o.robot, o.randomization, rng, o.level) : nominalParams(o.robot);
  sim.setParams(p);
  const terrain = episodeTerrain(o.terrain, rng, p.terrainRoughness, o.terrainDifficulty, o.level);
  if (terrain || sim.terrain) sim.setTerrain(terrain);
  const tilt = (rng.uniform(o.initTiltDeg[0], o.initTiltDeg[1]) * Math.PI) / 180;
  const tiltAxis = rng.uniform(0, 2 * Math.PI), heading = rng.uniform(-Math.PI, Math.PI);
  sim.resetPose(0, 0, tilt, o.randomPose ? tiltAxis : 0, o.randomPose ? heading : 0);
  return p;
}
