// Tracking memory: leaky integrals of the velocity-tracking error, the integral action a
// memoryless policy lacks. Under a centre-of-mass offset or an IMU bias the same observation
// must map to a different torque; the integral of the tracking error tells the policy which.
//
// State per env m = [ex, ey, ez] in the heading frame: ex, ey integrate (ball velocity
// estimate - commanded vx, vy), m; ez integrates (yaw rate - commanded yaw rate), rad. The
// velocity estimate is the LQR's (encoders through J^-1 plus the gyro, rolling without slip)
// without the tilt rotation, so the error is linear in the observation: err = obs * E.
// Each control step: m' = clip(leak * m + dt * err, -clip, clip), leak = exp(-dt / leakSeconds),
// starting from zeros. The policy sees [obs, m' / clip]. The exported graph runs the same
// update from the same matrix (training/io/onnx-export.ts); this is the one definition.
import type { RobotConfig } from './config/robot.js';
import { ballRateFromObservation, invert3, omniwheelJacobian, rollingVelocity } from './kinematics.js';
import { GYRO_SCALE, OBS_INDEX, OBS_SIZE } from './observation.js';

export const TRACKING_MEMORY_SIZE = 3;
export const TRACKING_MEMORY_LAYOUT = ['velocity_error_integral_x', 'velocity_error_integral_y', 'yaw_rate_error_integral'] as const;
export const TRACKING_MEMORY_UNITS = ['m', 'm', 'rad'] as const;
/** What the policy sees of the memory, appended to the observation. */
export const TRACKING_MEMORY_FEATURES = TRACKING_MEMORY_LAYOUT.map((n) => `${n}_over_clip`);

/** The update in words, for the artifact's metadata. */
export const TRACKING_MEMORY_UPDATE =
  'm = clip(exp(-dt/leakSeconds) * m + dt * (estimate - command), -clip, clip) each control step from zeros; ' +
  'estimate = [ball vx, ball vy (heading frame, tilt ignored; encoders through J^-1 plus gyro), body yaw rate (gyro z)]; the policy sees m / clip';

export const DEFAULT_LEAK_SECONDS = 4;
export const DEFAULT_CLIP_M = 0.5;
export const DEFAULT_CLIP_YAW_RAD = 1;

export interface TrackingMemoryOptions {
  /** Time constant of the leak, s: an error older than this weighs 1/e. */
  leakSeconds: number;
  /** Clip of the x and y integrals, m. */
  clipM: number;
}

/** Everything the update needs, for the JS path and the ONNX graph alike. */
export interface TrackingMemoryModel {
  options: TrackingMemoryOptions;
  /** dt * E, row-major [OBS_SIZE][3]: the error increment of one step is obs * stepMatrix. */
  stepMatrix: Float64Array;
  /** exp(-dt / leakSeconds). */
  leak: number;
  /** Per-component clip: [clipM, clipM, DEFAULT_CLIP_YAW_RAD]. */
  clip: Float64Array;
}

/** Validate the `env.memory` block of a training config; errors name `source` and the key. */
export function parseTrackingMemoryOptions(value: unknown, source: string): TrackingMemoryOptions {
  const o = value as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${source}: env.memory must be an object like {leakSeconds: 4, clipM: 0.5} (both optional)`);
  const unknown = Object.keys(o).filter((k) => k !== 'leakSeconds' && k !== 'clipM');
  if (unknown.length) throw new Error(`${source}: env.memory: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it reads leakSeconds, clipM)`);
  const positive = (key: 'leakSeconds' | 'clipM', fallback: number, max: number) => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0 && v <= max)) throw new Error(`${source}: env.memory.${key} must be a number in (0, ${max}], got ${JSON.stringify(o[key])}`);
    return v;
  };
  return { leakSeconds: positive('leakSeconds', DEFAULT_LEAK_SECONDS, 60), clipM: positive('clipM', DEFAULT_CLIP_M, 10) };
}

/** The tracking error [ex m/s, ey m/s, ez rad/s] of one observation (linear in it). */
function trackingError(obs: ArrayLike<number>, Jinv: Float64Array, ballRadius: number, out: Float64Array): void {
  const rate = new Float64Array(3), vel = new Float64Array(2);
  ballRateFromObservation(obs, Jinv, rate);
  rollingVelocity(ballRadius, rate[0], rate[1], vel);
  const c = OBS_INDEX.command;
  out[0] = vel[0] - obs[c];
  out[1] = vel[1] - obs[c + 1];
  // The body's z rate stands for the yaw rate (the tilt is dropped to keep the map linear).
  out[2] = obs[OBS_INDEX.gyro + 2] / GYRO_SCALE - obs[c + 2];
}

/** The update for `robot` at its control rate. The matrix is read off the error of each unit observation. */
export function trackingMemoryModel(robot: RobotConfig, options: TrackingMemoryOptions): TrackingMemoryModel {
  const dt = 1 / robot.control.rateHz;
  const Jinv = invert3(omniwheelJacobian(robot));
  const stepMatrix = new Float64Array(OBS_SIZE * TRACKING_MEMORY_SIZE);
  const unit = new Float64Array(OBS_SIZE), err = new Float64Array(TRACKING_MEMORY_SIZE);
  for (let i = 0; i < OBS_SIZE; i++) {
    unit.fill(0);
    unit[i] = 1;
    trackingError(unit, Jinv, robot.ball.radius, err);
    for (let j = 0; j < TRACKING_MEMORY_SIZE; j++) stepMatrix[i * TRACKING_MEMORY_SIZE + j] = dt * err[j];
  }
  return { options, stepMatrix, leak: Math.exp(-dt / options.leakSeconds), clip: Float64Array.of(options.clipM, options.clipM, DEFAULT_CLIP_YAW_RAD) };
}

/** One control step in place: memory = clip(leak * memory + obs * stepMatrix). Allocation-free. */
export function updateTrackingMemory(model: TrackingMemoryModel, memory: Float32Array, obs: ArrayLike<number>): void {
  const { stepMatrix: E, leak, clip } = model;
  for (let j = 0; j < TRACKING_MEMORY_SIZE; j++) {
    let v = leak * memory[j];
    for (let i = 0; i < OBS_SIZE; i++) v += obs[i] * E[i * TRACKING_MEMORY_SIZE + j];
    memory[j] = v > clip[j] ? clip[j] : v < -clip[j] ? -clip[j] : v;
  }
}

/** What the policy sees of the memory: memory / clip, in [-1, 1]. */
export function writeTrackingMemoryFeatures(model: TrackingMemoryModel, memory: ArrayLike<number>, out: Float32Array): void {
  for (let j = 0; j < TRACKING_MEMORY_SIZE; j++) out[j] = memory[j] / model.clip[j];
}
