// A height scan: a grid of vertical Rapier ray casts around the robot, centred on the
// ball and turned with the robot's heading. Layout: row-major [countY][countX], x along
// the heading (column 0 = behind), y to the left (row 0 = right). Each value is the ground
// height in metres relative to the ball's contact point (ball centre minus ball radius):
// positive = higher than where the ball stands. MISSING_READING where there is no reading.
import type { RobotSim } from '../robot-sim.js';
import type { Rng } from '../rng.js';
import { yawOf } from '../math3.js';
import { MISSING_READING, type HeightScanConfig, type PerceptionRandomization } from './config.js';
import type { SensorRenderer } from './perception-batch.js';
import type { TensorSpace } from '../spaces.js';
import { symmetric } from './sensor-errors.js';
import type { TerrainRays } from './terrain-rays.js';

/** Rays start this far above the ball centre and reach this far down, m. */
const SCAN_ABOVE_M = 2;
const SCAN_REACH_M = 6;

export class HeightScan implements SensorRenderer {
  readonly cells: number;
  readonly space: TensorSpace;
  /** Height noise has a flat floor. */
  readonly noisePerUnit = 0;
  /** Grid point offsets in the heading frame, [cells * 2], m. */
  private readonly grid: Float64Array;
  /** Per env registration error for this episode: x, y offset (m) and yaw (rad), [n * 3]. */
  private readonly error: Float64Array;
  private readonly t = { x: 0, y: 0, z: 0 };

  constructor(readonly config: HeightScanConfig, numEnvs: number, private readonly random: PerceptionRandomization | null) {
    const { countX, countY, spacing } = config;
    this.cells = countX * countY;
    this.space = {
      shape: [countY, countX], low: -Infinity, high: Infinity, units: 'm', missing: MISSING_READING, rateHz: config.rateHz,
      layout: `row-major [y][x] in the heading frame, ${spacing} m apart, x forward (column 0 behind), y left (row 0 right); height above the ball's contact point`,
    };
    this.grid = new Float64Array(this.cells * 2);
    for (let iy = 0; iy < countY; iy++) {
      for (let ix = 0; ix < countX; ix++) {
        this.grid[2 * (iy * countX + ix)] = (ix - (countX - 1) / 2) * spacing;
        this.grid[2 * (iy * countX + ix) + 1] = (iy - (countY - 1) / 2) * spacing;
      }
    }
    this.error = new Float64Array(numEnvs * 3);
  }

  /** Draw this episode's registration error for env i. */
  sampleEpisode(i: number, rng: Rng): void {
    const r = this.random;
    if (!r) return;
    this.error[3 * i] = symmetric(rng, r.scanPositionErrorM);
    this.error[3 * i + 1] = symmetric(rng, r.scanPositionErrorM);
    this.error[3 * i + 2] = (symmetric(rng, r.scanYawErrorDeg) * Math.PI) / 180;
  }

  /** Render env i's clean scan (NaN where a ray finds no ground). */
  render(i: number, sim: RobotSim, rays: TerrainRays, out: Float32Array): void {
    const ball = sim.ball.translation(this.t);
    const bx = ball.x, by = ball.y, bz = ball.z;
    const contactZ = bz - sim.params.ballRadius;
    const yaw = yawOf(sim.bodyRotation()) + this.error[3 * i + 2];
    const c = Math.cos(yaw), s = Math.sin(yaw);
    const ex = this.error[3 * i], ey = this.error[3 * i + 1];
    const collider = sim.terrainCollider;
    const oz = bz + SCAN_ABOVE_M;
    for (let k = 0; k < this.cells; k++) {
      const gx = this.grid[2 * k] + ex, gy = this.grid[2 * k + 1] + ey;
      const dist = rays.cast(collider, bx + c * gx - s * gy, by + s * gx + c * gy, oz, 0, 0, -1, SCAN_REACH_M);
      out[k] = dist === Infinity ? NaN : oz - dist - contactZ;
    }
  }
}
