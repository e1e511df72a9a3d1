// Ideal omniwheel kinematics. Frames: body x forward, y left, z up; wheel i touches the
// ball at azimuth b_i around the vertical and zenith a from it. With w the ball's angular
// velocity relative to the body, in the body frame:
//   wheelSpeed_i = (r_ball / r_wheel) (-cos a cos b_i wx - cos a sin b_i wy + sin a wz)
// so wheelSpeed = J w. By power duality, wheel torques T put J^T T on the ball and -J^T T
// on the body (both in the body frame). Positive T_i does positive work on wheel i.
import type { RobotConfig } from './config/robot.js';
import { GYRO_SCALE, OBS_INDEX, WHEEL_VEL_SCALE } from './observation.js';

const DEG = Math.PI / 180;

/** J as a row-major 3x3 (rows = wheels). */
export function omniwheelJacobian(robot: Pick<RobotConfig, 'ball' | 'wheels'>, ballRadius = robot.ball.radius): Float64Array {
  const k = ballRadius / robot.wheels.radius;
  const a = robot.wheels.zenithDeg * DEG;
  const J = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    const b = robot.wheels.azimuthsDeg[i] * DEG;
    J[3 * i] = -k * Math.cos(a) * Math.cos(b);
    J[3 * i + 1] = -k * Math.cos(a) * Math.sin(b);
    J[3 * i + 2] = k * Math.sin(a);
  }
  return J;
}

/** out = J w */
export function wheelSpeedsFromRelative(J: ArrayLike<number>, w: ArrayLike<number>, out: Float64Array | number[]): void {
  for (let i = 0; i < 3; i++) out[i] = J[3 * i] * w[0] + J[3 * i + 1] * w[1] + J[3 * i + 2] * w[2];
}

/** out = J^T T: the torque on the ball (body frame) from wheel torques T. */
export function ballTorqueFromWheels(J: ArrayLike<number>, T: ArrayLike<number>, out: Float64Array | number[]): void {
  for (let c = 0; c < 3; c++) out[c] = J[c] * T[0] + J[3 + c] * T[1] + J[6 + c] * T[2];
}

/** Inverse of a 3x3 row-major matrix (throws if singular: a degenerate wheel layout). */
export function invert3(m: ArrayLike<number>): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m);
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new Error('omniwheel layout is singular: wheels cannot control all three ball axes');
  const inv = [A, -(b * i - c * h), b * f - c * e, B, a * i - c * g, -(a * f - c * d), C, -(a * h - b * g), a * e - b * d];
  return Float64Array.from(inv, (x) => x / det);
}

/**
 * The ball's angular velocity in the body frame from one observation, rad/s: the wheel
 * encoders' rate relative to the body through J^-1 plus the body rate (gyro). Linear in the
 * observation, which the tracking memory relies on (sim/tracking-memory.ts).
 */
export function ballRateFromObservation(obs: ArrayLike<number>, Jinv: ArrayLike<number>, out: Float64Array): void {
  const g = OBS_INDEX.gyro, wv = OBS_INDEX.wheelVel;
  const s0 = obs[wv] / WHEEL_VEL_SCALE, s1 = obs[wv + 1] / WHEEL_VEL_SCALE, s2 = obs[wv + 2] / WHEEL_VEL_SCALE;
  for (let i = 0; i < 3; i++) out[i] = Jinv[3 * i] * s0 + Jinv[3 * i + 1] * s1 + Jinv[3 * i + 2] * s2 + obs[g + i] / GYRO_SCALE;
}

/** Rolling without slip: spin about +y moves the ball +x, spin about +x moves it -y. out = [vx, vy], m/s. */
export function rollingVelocity(ballRadius: number, rateX: number, rateY: number, out: Float64Array): void {
  out[0] = ballRadius * rateY;
  out[1] = -ballRadius * rateX;
}
