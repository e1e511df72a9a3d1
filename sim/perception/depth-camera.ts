// A depth camera on the body, rendered by one Rapier ray cast per pixel against the
// robot's terrain. Image layout: row-major [height][width], row 0 at the top, column 0 on
// the left; each value is the z-depth along the optical axis in metres (a pinhole camera's
// depth, not the ray length), MISSING_READING where there is no reading.
import type { RobotSim } from '../robot-sim.js';
import type { Rng } from '../rng.js';
import { quatFromAxisAngle, quatMultiply, rotate } from '../math3.js';
import { MISSING_READING, type DepthCameraConfig, type PerceptionRandomization } from './config.js';
import type { SensorRenderer } from './perception-batch.js';
import type { TensorSpace } from '../spaces.js';
import { symmetric } from './sensor-errors.js';
import type { TerrainRays } from './terrain-rays.js';

const DEG = Math.PI / 180;

export class DepthCamera implements SensorRenderer {
  readonly pixels: number;
  readonly space: TensorSpace;
  readonly noisePerUnit: number;
  /** Unit ray directions in the camera frame (x forward, y left, z up), [pixels * 3]. */
  private readonly rays: Float64Array;
  /** Cosine between each ray and the optical axis (ray length -> z-depth). */
  private readonly along: Float64Array;
  /** Per env: camera position in the body frame [n * 3] and mount rotation [n * 4] for this episode. */
  private readonly mountPos: Float64Array;
  private readonly mountRot: Float64Array;
  private readonly qCam = new Float64Array(4);
  private readonly v = new Float64Array(3);
  private readonly t = { x: 0, y: 0, z: 0 };
  private readonly qa = new Float64Array(4);
  private readonly qb = new Float64Array(4);

  constructor(readonly config: DepthCameraConfig, numEnvs: number, private readonly random: PerceptionRandomization | null) {
    const { width, height } = config;
    this.pixels = width * height;
    this.noisePerUnit = config.noisePerMetre;
    this.space = {
      shape: [height, width], low: 0, high: config.maxRange, units: 'm', missing: MISSING_READING, rateHz: config.rateHz,
      layout: 'row-major [row][column], row 0 at the top, column 0 on the left; z-depth along the optical axis',
    };
    this.rays = new Float64Array(this.pixels * 3);
    this.along = new Float64Array(this.pixels);
    const tx = Math.tan((config.horizontalFovDeg * DEG) / 2), tz = Math.tan((config.verticalFovDeg * DEG) / 2);
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const p = r * width + c;
        const y = -tx * ((2 * (c + 0.5)) / width - 1), z = tz * (1 - (2 * (r + 0.5)) / height);
        const norm = Math.hypot(1, y, z);
        this.rays[3 * p] = 1 / norm;
        this.rays[3 * p + 1] = y / norm;
        this.rays[3 * p + 2] = z / norm;
        this.along[p] = 1 / norm;
      }
    }
    this.mountPos = new Float64Array(numEnvs * 3);
    this.mountRot = new Float64Array(numEnvs * 4);
    for (let i = 0; i < numEnvs; i++) this.setMount(i, 0, 0, 0, 0, 0);
  }

  /** Draw this episode's mounting error (position and angles) for env i. */
  sampleEpisode(i: number, rng: Rng): void {
    const r = this.random;
    if (!r) return;
    const dp = r.cameraPositionErrorM, da = r.cameraAngleErrorDeg;
    this.setMount(i, symmetric(rng, dp), symmetric(rng, dp), symmetric(rng, dp), symmetric(rng, da), symmetric(rng, da));
  }

  private setMount(i: number, dx: number, dy: number, dz: number, dPitchDeg: number, dYawDeg: number): void {
    const [px, py, pz] = this.config.position;
    this.mountPos[3 * i] = px + dx;
    this.mountPos[3 * i + 1] = py + dy;
    this.mountPos[3 * i + 2] = pz + dz;
    // Heading first, then the downward pitch about the camera's own y axis.
    quatFromAxisAngle(0, 0, 1, (this.config.yawDeg + dYawDeg) * DEG, this.qa);
    quatFromAxisAngle(0, 1, 0, (this.config.pitchDeg + dPitchDeg) * DEG, this.qb);
    this.mountRot.set(quatMultiply(this.qa, this.qb, this.qCam), 4 * i);
  }

  /** Render env i's clean frame (NaN where nothing is within [minRange, maxRange]). */
  render(i: number, sim: RobotSim, rays: TerrainRays, out: Float32Array): void {
    const { minRange, maxRange } = this.config;
    const qBody = sim.bodyRotation();
    const b = sim.body.translation(this.t);
    const bx = b.x, by = b.y, bz = b.z;
    this.v[0] = this.mountPos[3 * i]; this.v[1] = this.mountPos[3 * i + 1]; this.v[2] = this.mountPos[3 * i + 2];
    rotate(qBody, this.v, this.v);
    const ox = bx + this.v[0], oy = by + this.v[1], oz = bz + this.v[2];
    for (let k = 0; k < 4; k++) this.qb[k] = this.mountRot[4 * i + k];
    quatMultiply(qBody, this.qb, this.qCam);
    const collider = sim.terrainCollider;
    for (let p = 0; p < this.pixels; p++) {
      this.v[0] = this.rays[3 * p]; this.v[1] = this.rays[3 * p + 1]; this.v[2] = this.rays[3 * p + 2];
      rotate(this.qCam, this.v, this.v);
      const along = this.along[p];
      const dist = rays.cast(collider, ox, oy, oz, this.v[0], this.v[1], this.v[2], maxRange / along);
      const depth = dist * along;
      out[p] = depth >= minRange && depth <= maxRange ? depth : NaN;
    }
  }
}
