// The observation and action contract shared by the sim, training, deploy and HIL.
// The sim builds observations from its sensor models with exactly these functions, and
// deploy builds them from robot state with the same functions, so the two cannot differ.

/** What the robot's microcontroller reports: attitude from the IMU filter, gyro, encoders. */
export interface SensorState {
  /** Body attitude in the world frame, quaternion (x, y, z, w), z up. Yaw may drift; only tilt is used. */
  orientation: Float64Array | Float32Array | number[]; // [x, y, z, w]
  /** Body angular velocity in the body frame (IMU gyro), rad/s. */
  gyro: Float64Array | Float32Array | number[]; // [3]
  /** Wheel angular velocities (encoders, after the gearbox), rad/s. */
  wheelVelocity: Float64Array | Float32Array | number[]; // [3]
}

export const OBSERVATION_LAYOUT = [
  'gravity_x', 'gravity_y', 'gravity_z', // unit gravity vector in the body frame (tilt)
  'gyro_x', 'gyro_y', 'gyro_z', // rad/s x GYRO_SCALE
  'wheel_vel_0', 'wheel_vel_1', 'wheel_vel_2', // rad/s x WHEEL_VEL_SCALE
  'prev_action_0', 'prev_action_1', 'prev_action_2', // last command sent, in [-1, 1]
  'cmd_vx', 'cmd_vy', 'cmd_yaw_rate', // commanded planar velocity (m/s) and yaw rate (rad/s); 0 for balance
] as const;

export const OBS_SIZE = OBSERVATION_LAYOUT.length;
export const ACTION_SIZE = 3;
export const ACTION_LAYOUT = ['wheel_torque_0', 'wheel_torque_1', 'wheel_torque_2'] as const;

/** Fixed scales that bring each block near unit size before the running normalizer. */
export const GYRO_SCALE = 0.25;
export const WHEEL_VEL_SCALE = 0.05;

/** Index of each block in the observation vector. */
export const OBS_INDEX = { gravity: 0, gyro: 3, wheelVel: 6, prevAction: 9, command: 12 } as const;

/**
 * Write the observation for `state` into `out` (length OBS_SIZE). Allocation-free.
 * gravity_body = R^T (0, 0, -1) for the body-to-world rotation R of `orientation`.
 */
export function buildObservation(
  state: SensorState,
  prevAction: ArrayLike<number>,
  command: ArrayLike<number>,
  out: Float32Array,
): Float32Array {
  const [qx, qy, qz, qw] = [state.orientation[0], state.orientation[1], state.orientation[2], state.orientation[3]];
  // Third row of R (world z expressed in body coordinates), negated.
  out[0] = -2 * (qx * qz - qw * qy);
  out[1] = -2 * (qy * qz + qw * qx);
  out[2] = -(1 - 2 * (qx * qx + qy * qy));
  for (let i = 0; i < 3; i++) {
    out[3 + i] = state.gyro[i] * GYRO_SCALE;
    out[6 + i] = state.wheelVelocity[i] * WHEEL_VEL_SCALE;
    out[9 + i] = prevAction[i];
    out[12 + i] = command[i];
  }
  return out;
}

/** Tilt from vertical (rad) of a quaternion attitude (x, y, z, w). */
export function tiltFromQuaternion(q: ArrayLike<number>): number {
  const qx = q[0], qy = q[1];
  const cosTilt = 1 - 2 * (qx * qx + qy * qy);
  return Math.acos(Math.min(1, Math.max(-1, cosTilt)));
}

// The one path from a policy action to a commanded wheel torque, used by the training env,
// deploy, the viewer and the \`sim\` command. What happens to the command afterwards (motor
// strength, latency, lag, saturation) is the plant's job (sim/motor.ts), so it cannot differ.

/** Action in [-1, 1] to commanded wheel torque in N m (clipping is the safety layer's job in deploy). */
export function actionToTorque(action: ArrayLike<number>, maxTorqueNm: number, out: Float64Array | Float32Array): void {
  for (let i = 0; i < ACTION_SIZE; i++) out[i] = action[i] * maxTorqueNm;
}

/** The action a commanded torque stands for (what the next observation reports as prev_action). */
export function torqueToAction(torqueNm: ArrayLike<number>, maxTorqueNm: number, out: Float64Array | Float32Array): void {
  for (let i = 0; i < ACTION_SIZE; i++) out[i] = torqueNm[i] / maxTorqueNm;
}

/** Clip \`raw\` into [-1, 1] per wheel, NaN to 0, writing \`out\`; true if any entry changed. */
export function clipAction(raw: ArrayLike<number>, out: Float32Array | Float64Array): boolean {
  let changed = false;
  for (let i = 0; i < ACTION_SIZE; i++) {
    const a = raw[i];
    out[i] = a > 1 ? 1 : a < -1 ? -1 : a !== a ? 0 : a; // NaN -> 0
    if (out[i] !== a) changed = true;
  }
  return changed;
}
