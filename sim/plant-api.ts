// The simulated robot as a plant: wheel torques in, sensor readings out. The env, the
// deploy sim link, the virtual robot and the viewer all drive the physics through this.
import type { SensorState } from './observation.js';
import type { RandomizationConfig } from './config/randomization.js';
import type { RobotConfig } from './config/robot.js';
import type { Terrain } from './terrain.js';
import type { TaskPerception } from './perception/config.js';

/** A perception frame as the robot's sensor delivers it (after its latency). */
export interface PerceptionReading {
  /** The frame, in the input's layout (sim/perception); MISSING_READING where there is no reading. */
  data: Float32Array;
  /** When the frame was captured, s since the plant's last reset. */
  capturedAtS: number;
}

/** Ground truth of one robot, for rewards, tests, recordings and the viewer. */
export interface PlantTruth {
  timeS: number;
  /** Ball centre in the world (z up), m. Equals the body frame origin. */
  ballPosition: Float64Array; // [3]
  ballVelocity: Float64Array; // [3] m/s
  /** Ball orientation (x, y, z, w), for drawing its rotation. */
  ballOrientation: Float64Array; // [4]
  /** Body attitude (x, y, z, w), body-to-world. */
  bodyOrientation: Float64Array; // [4]
  /** Body angular velocity, body frame, rad/s. */
  bodyAngularVelocity: Float64Array; // [3]
  /** Tilt of the body axis from vertical, rad. */
  tiltRad: number;
  /** True wheel speeds (rad/s) and the torque each motor delivers now (N m). */
  wheelVelocity: Float64Array; // [3]
  wheelTorque: Float64Array; // [3]
  /** Tilt beyond the configured limit. */
  fallen: boolean;
}

export interface Plant {
  readonly robot: RobotConfig;
  /** Control period, s (1 / robot.control.rateHz). */
  readonly controlDt: number;
  /** Motor torque commands (N m), held until the next call; go through latency and the motor model. */
  applyCommand(torquesNm: ArrayLike<number>): void;
  /** Advance one control period (several physics substeps). */
  stepControl(): void;
  /** What the robot's sensors report now (noise, bias, latency, quantization as configured). */
  sensors(): SensorState;
  truth(): PlantTruth;
  /** Push: change the body's velocity by (dvx, dvy) m/s at its centre of mass. */
  push(dvx: number, dvy: number): void;
  /** The ground under the robot: null when flat, else the heightfield (sim/terrain.ts layout). */
  terrain(): Terrain | null;
  /** Advance the perception sensors one control period without moving the physics (a robot held still still sees). */
  stepPerception?(): void;
  /** The latest frame of a perception input the plant renders (PlantOptions.perception), or null if it renders none. */
  perceptionFrame?(name: string): PerceptionReading | null;
  /** Start again upright (or at initTiltDeg), with new randomization if enabled. */
  reset(options?: { seed?: number; initTiltDeg?: number }): void;
  close(): void;
}

export interface PlantOptions {
  robot?: RobotConfig; // default: configs/robot/default.yaml
  seed?: number;
  /** Sample domain randomization per reset: the default ranges, a file's (randomizationFile) or these. */
  randomize?: boolean | RandomizationConfig;
  randomizationFile?: string;
  initTiltDeg?: number;
  /** Tilt about a random axis with a random heading, as the training env starts (default: about x, heading 0). */
  randomPose?: boolean;
  terrain?: 'flat' | 'rough';
  /** Render these perception inputs each control step with the robot's sensors (its perception section). */
  perception?: TaskPerception;
}
