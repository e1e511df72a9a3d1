// LQR baseline: gains from the linearized planar model of the configured robot (discrete
// Riccati iteration), run through the same observation and action path as a policy.
//
// The controller sees only the observation: tilt from the projected gravity vector (fused
// with the gyro by a complementary filter), tilt rates from the gyro, the ball's angular
// velocity from the wheel encoders through J^-1 plus the body rate, and the ball position by
// integrating that velocity (odometry; a real robot has no position sensor). Two planar LQRs
// (pitch plane and roll plane) give the torques between ball and body about body y and x; a
// yaw-rate loop gives the torque about z; (J^T)^-1 turns the three into wheel torques.
import type { RobotConfig } from './config/robot.js';
import type { Controller } from './controller.js';
import { add, inverse, maxAbs, mul, sub, transpose, zeros, type Matrix } from './dense-matrix.js';
import { ballRateFromObservation, invert3, omniwheelJacobian, rollingVelocity } from './kinematics.js';
import {
  planarDiscreteModel, planarFeedforward, planarParams, withIntegrator, type DiscreteModel, type PlanarAxis,
} from './linear-model.js';
import { ACTION_SIZE, GYRO_SCALE, OBS_INDEX } from './observation.js';

const DEG = Math.PI / 180;

/**
 * Cost weights by Bryson's rule: each state's weight is 1 / (acceptable excursion)^2 and the
 * torque's is 1 / (acceptable torque)^2, so they are stated in physical units.
 */
export interface LqrWeights {
  /** Acceptable position error, m. */
  positionM: number;
  /** Acceptable tilt, deg. */
  tiltDeg: number;
  /** Acceptable ball velocity error, m/s. */
  velocityMps: number;
  /** Acceptable tilt rate, deg/s. */
  tiltRateDegPerS: number;
  /** Acceptable torque between ball and body in one plane, N m. */
  torqueNm: number;
  /** Acceptable integral of the position error, m s (integral action; see LqrOptions.integralAction). */
  positionIntegralMS: number;
}

const DEFAULT_LQR_WEIGHTS: Readonly<LqrWeights> = {
  positionM: 0.3,
  tiltDeg: 2,
  velocityMps: 0.5,
  tiltRateDegPerS: 30,
  torqueNm: 2,
  positionIntegralMS: 0.5,
};

export interface LqrOptions {
  weights?: Partial<LqrWeights>;
  /**
   * Loop delay the gains are designed for, s. Default: motor latency + motor time constant
   * (a first-order lag acts roughly like a delay of its time constant) + IMU latency.
   */
  delayS?: number;
  /** Body yaw-rate loop: proportional gain, N m per rad/s. */
  yawRateGain?: number;
  /** Body yaw-rate loop: integral gain, N m per rad (overcomes wheel friction; clamped to half the torque limit). */
  yawRateIntegralGain?: number;
  /** Complementary tilt filter time constant, s (gyro below, gravity vector above); 0 = raw gravity tilt. */
  tiltFilterTimeConstantS?: number;
  /** The position reference is dragged along so the odometry error never exceeds this, m. */
  maxPositionErrorM?: number;
  /**
   * Limit on the torque between ball and body (both planes together), N m. Default: 80% of
   * what the configured ball-ground friction can carry, friction * total weight * ball radius.
   */
  maxPlanarTorqueNm?: number;
  /** The commanded velocity enters the reference at most this fast, m/s^2. */
  maxReferenceAccelMps2?: number;
  /**
   * Integrate the position error (default true). A centre-of-mass offset or an IMU
   * misalignment moves the balance point away from the measured upright; without the
   * integral the robot then holds a position offset proportional to it (about 0.2 m per
   * degree here), with it the robot learns the balance point and returns to its place.
   */
  integralAction?: boolean;
}

const DEFAULT_YAW_RATE_GAIN = 0.3;
const DEFAULT_YAW_RATE_INTEGRAL_GAIN = 1.0;
const DEFAULT_TILT_FILTER_TIME_CONSTANT_S = 0.1;
const DEFAULT_MAX_POSITION_ERROR_M = 0.5;
const DEFAULT_MAX_REFERENCE_ACCEL_MPS2 = 0.5;
/** The integral may cancel at most this balance-point error (deg): anti-windup. */
const MAX_INTEGRAL_TILT_DEG = 12;

export interface DareSolution {
  P: Matrix;
  /** Feedback u = -K x (rows = inputs). */
  K: Matrix;
  iterations: number;
}

/**
 * Discrete algebraic Riccati equation P = Q + A'PA - A'PB (R + B'PB)^-1 B'PA by fixed-point
 * iteration from P = Q. Converges for stabilizable (A, B) and detectable (A, Q^1/2).
 */
export function solveDare(A: Matrix, B: Matrix, Q: Matrix, R: Matrix, tolerance = 1e-12, maxIterations = 200_000): DareSolution {
  const At = transpose(A), Bt = transpose(B);
  let P = Q.map((r) => r.slice());
  for (let it = 1; it <= maxIterations; it++) {
    const PA = mul(P, A), PB = mul(P, B);
    const gain = mul(inverse(add(R, mul(Bt, PB))), mul(Bt, PA)); // (R + B'PB)^-1 B'PA
    const next = add(Q, sub(mul(At, PA), mul(mul(At, PB), gain)));
    const change = maxAbs(sub(next, P));
    P = next;
    if (!Number.isFinite(change)) break; // diverged: the unstable part cannot be controlled
    if (change <= tolerance * Math.max(1, maxAbs(P))) {
      return { P, K: mul(inverse(add(R, mul(Bt, mul(P, B)))), mul(Bt, mul(P, A))), iterations: it };
    }
  }
  throw new Error('solveDare: Riccati iteration did not converge (is the model stabilizable?)');
}

/** Residual of the DARE for P, relative to |P| (for checks). */
export function dareResidual(A: Matrix, B: Matrix, Q: Matrix, R: Matrix, P: Matrix): number {
  const At = transpose(A), Bt = transpose(B);
  const PA = mul(P, A), PB = mul(P, B);
  const rhs = add(Q, sub(mul(At, PA), mul(mul(At, PB), mul(inverse(add(R, mul(Bt, PB))), mul(Bt, PA)))));
  return maxAbs(sub(rhs, P)) / Math.max(1, maxAbs(P));
}

export interface PlanarLqr {
  axis: PlanarAxis;
  model: DiscreteModel;
  Q: Matrix;
  R: Matrix;
  P: Matrix;
  /** u = -gain . z with z = [phi, theta, phi', theta', past inputs..., (integral of phi)]. */
  gain: number[];
  /** Whether the last state is the integral of phi. */
  integral: boolean;
  iterations: number;
}

function resolvedWeights(options: LqrOptions = {}): LqrWeights {
  const w = { ...DEFAULT_LQR_WEIGHTS, ...options.weights };
  for (const [key, value] of Object.entries(w)) {
    if (!(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new Error(`LQR weights.${key} must be a finite number > 0, got ${String(value)}`);
    }
  }
  return w;
}

export function defaultTractionLimit(robot: RobotConfig): number {
  return 0.8 * robot.ball.friction * (robot.ball.mass + robot.body.mass) * robot.gravity * robot.ball.radius;
}

export function defaultLoopDelay(robot: RobotConfig): number {
  return robot.motor.latency + robot.motor.timeConstant + robot.sensors.imu.latency;
}

export function designPlanarLqr(robot: RobotConfig, axis: PlanarAxis, options: LqrOptions = {}): PlanarLqr {
  const w = resolvedWeights(options);
  const delayS = options.delayS ?? defaultLoopDelay(robot);
  const integral = options.integralAction ?? true;
  const plant = planarDiscreteModel(robot, axis, delayS);
  const model = integral ? withIntegrator(plant, 0) : plant;
  const r = robot.ball.radius;
  const n = model.A.length;
  const Q = zeros(n, n);
  // phi and phi' are ball angles: position = r phi, velocity = r phi'.
  Q[0][0] = (r / w.positionM) ** 2;
  Q[1][1] = 1 / (w.tiltDeg * DEG) ** 2;
  Q[2][2] = (r / w.velocityMps) ** 2;
  Q[3][3] = 1 / (w.tiltRateDegPerS * DEG) ** 2;
  if (integral) Q[n - 1][n - 1] = (r / w.positionIntegralMS) ** 2;
  const R = [[1 / w.torqueNm ** 2]];
  const { P, K, iterations } = solveDare(model.A, model.B, Q, R);
  return { axis, model, Q, R, P, gain: K[0].slice(), integral, iterations };
}

export interface LqrGains {
  pitch: PlanarLqr;
  roll: PlanarLqr;
  yawRateGain: number;
  yawRateIntegralGain: number;
}

export function lqrGains(robot: RobotConfig, options: LqrOptions = {}): LqrGains {
  const yawRateGain = options.yawRateGain ?? DEFAULT_YAW_RATE_GAIN;
  const yawRateIntegralGain = options.yawRateIntegralGain ?? DEFAULT_YAW_RATE_INTEGRAL_GAIN;
  if (!(yawRateGain >= 0)) throw new Error(`LQR yawRateGain must be >= 0, got ${yawRateGain}`);
  if (!(yawRateIntegralGain >= 0)) throw new Error(`LQR yawRateIntegralGain must be >= 0, got ${yawRateIntegralGain}`);
  return {
    pitch: designPlanarLqr(robot, 'pitch', options),
    roll: designPlanarLqr(robot, 'roll', options),
    yawRateGain,
    yawRateIntegralGain,
  };
}

/**
 * Tilt of the body as Z-Y-X Euler angles (yaw, then pitch about y, then roll about x) from
 * the projected gravity g = R^T (0, 0, -1) = (sin p, -cos p sin r, -cos p cos r).
 * Writes [roll, pitch] (rad) into out. The vector need not be unit length.
 */
export function tiltAnglesFromGravity(gx: number, gy: number, gz: number, out: Float64Array | number[]): void {
  const n = Math.hypot(gx, gy, gz) || 1;
  const s = gx / n;
  out[0] = Math.atan2(-gy, -gz);
  out[1] = Math.asin(s > 1 ? 1 : s < -1 ? -1 : s);
}

function clampAbs(x: number, limit: number): number {
  return x > limit ? limit : x < -limit ? -limit : x;
}

export interface LqrController extends Controller {
  readonly gains: LqrGains;
  /** Odometry estimate of the ball position in the start frame (x forward at reset), m. */
  readonly position: Float64Array;
  /** Filtered [roll, pitch] estimate, rad. */
  readonly tilt: Float64Array;
}

export function createLqrController(robot: RobotConfig, options: LqrOptions = {}): LqrController {
  const gains = lqrGains(robot, options);
  const dt = 1 / robot.control.rateHz;
  const tau = options.tiltFilterTimeConstantS ?? DEFAULT_TILT_FILTER_TIME_CONSTANT_S;
  if (!(tau >= 0)) throw new Error(`LQR tiltFilterTimeConstantS must be >= 0, got ${tau}`);
  const maxPosErr = options.maxPositionErrorM ?? DEFAULT_MAX_POSITION_ERROR_M;
  const maxPlanar = options.maxPlanarTorqueNm ?? defaultTractionLimit(robot);
  if (!(maxPlanar > 0)) throw new Error(`LQR maxPlanarTorqueNm must be > 0, got ${maxPlanar}`);
  const maxAccel = options.maxReferenceAccelMps2 ?? DEFAULT_MAX_REFERENCE_ACCEL_MPS2;
  if (!(maxAccel > 0)) throw new Error(`LQR maxReferenceAccelMps2 must be > 0, got ${maxAccel}`);
  if (!(maxPosErr > 0)) throw new Error(`LQR maxPositionErrorM must be > 0, got ${maxPosErr}`);
  const blend = tau > 0 ? Math.exp(-dt / tau) : 0; // weight of the gyro-propagated estimate

  const J = omniwheelJacobian(robot);
  const Jinv = invert3(J);
  const Jt = Float64Array.from([J[0], J[3], J[6], J[1], J[4], J[7], J[2], J[5], J[8]]);
  const JtInv = invert3(Jt);
  const r = robot.ball.radius;
  const maxTorque = robot.motor.maxTorque;
  // Upright equilibrium with a horizontal centre-of-mass offset: the CoM over the ball centre.
  const [offX, offY] = robot.body.comOffset;
  const pitch0 = Math.atan2(-offX, robot.body.comHeight);
  const roll0 = Math.atan2(offY, robot.body.comHeight);

  const feedforward = (axis: PlanarAxis) => {
    const p = planarParams(robot, axis);
    const acc = planarFeedforward(p, 1, 0), rate = planarFeedforward(p, 0, 1);
    return { torquePerAcc: acc.torque, tiltPerAcc: acc.tilt, torquePerRate: rate.torque, tiltPerRate: rate.tilt };
  };
  const ffPitch = feedforward('pitch'), ffRoll = feedforward('roll');
  const kp = Float64Array.from(gains.pitch.gain);
  const kr = Float64Array.from(gains.roll.gain);
  const past = gains.pitch.model.pastInputs; // same delay in both planes
  const pastPitch = new Float64Array(past); // slot j = planar torque applied j+1 periods ago
  const pastRoll = new Float64Array(past);

  // Integral of phi per plane (last state of the design when integralAction is on).
  const integral = gains.pitch.integral;
  const iq = 4 + past;
  // Anti-windup: the integral term may stand in for at most MAX_INTEGRAL_TILT_DEG of tilt.
  const integralLimit = (k: Float64Array) => (integral ? Math.abs(k[1] * MAX_INTEGRAL_TILT_DEG * DEG) / Math.abs(k[iq]) : 0);
  const maxIntPitch = integralLimit(kp), maxIntRoll = integralLimit(kr);
  let intPitch = 0, intRoll = 0;

  const tilt = new Float64Array(2); // [roll, pitch]
  const measured = new Float64Array(2);
  const position = new Float64Array(2); // odometry, start frame
  const reference = new Float64Array(2);
  const refVel = new Float64Array(2); // heading frame, m/s
  const torque = new Float64Array(3);
  const ballRate = new Float64Array(3);
  const ballVel = new Float64Array(2);
  const wheel = new Float64Array(3);
  const maxYawIntegralTorque = 0.5 * maxTorque;
  let yaw = 0;
  let yawIntegralTorque = 0;
  let started = false;

  const controller: LqrController = {
    gains,
    position,
    tilt,
    reset() {
      tilt.fill(0);
      position.fill(0);
      reference.fill(0);
      refVel.fill(0);
      pastPitch.fill(0);
      pastRoll.fill(0);
      yaw = 0;
      yawIntegralTorque = 0;
      intPitch = 0;
      intRoll = 0;
      started = false;
    },
    act(obs: Float32Array, out: Float32Array) {
      const g = OBS_INDEX.gravity, gy = OBS_INDEX.gyro, pa = OBS_INDEX.prevAction, c = OBS_INDEX.command;
      const wx = obs[gy] / GYRO_SCALE, wy = obs[gy + 1] / GYRO_SCALE, wz = obs[gy + 2] / GYRO_SCALE;

      // Tilt rates (Z-Y-X Euler) from the body rates, at the current estimate.
      tiltAnglesFromGravity(obs[g], obs[g + 1], obs[g + 2], measured);
      if (!started) {
        tilt[0] = measured[0];
        tilt[1] = measured[1];
      }
      let cr = Math.cos(tilt[0]), sr = Math.sin(tilt[0]), cp = Math.cos(tilt[1]);
      const yawTerm = (sr * wy + cr * wz) / cp;
      const rollRate = wx + yawTerm * Math.sin(tilt[1]);
      const pitchRate = cr * wy - sr * wz;
      const yawRate = yawTerm;
      if (started) {
        // Complementary filter: the gyro carries the fast part, the gravity vector the slow part.
        tilt[0] = blend * (tilt[0] + rollRate * dt) + (1 - blend) * measured[0];
        tilt[1] = blend * (tilt[1] + pitchRate * dt) + (1 - blend) * measured[1];
        cr = Math.cos(tilt[0]); sr = Math.sin(tilt[0]); cp = Math.cos(tilt[1]);
      }
      const sp = Math.sin(tilt[1]);

      // Ball angular velocity: relative rate from the encoders (J^-1) plus the body rate,
      // rotated from the body frame into the heading frame (tilt removed, yaw kept).
      ballRateFromObservation(obs, Jinv, ballRate);
      const bx = ballRate[0], by = ballRate[1], bz = ballRate[2];
      const ty = cr * by - sr * bz, tz = sr * by + cr * bz; // Rx(roll)
      const hx = cp * bx + sp * tz, hy = ty; // Ry(pitch)
      rollingVelocity(r, hx, hy, ballVel);
      const velX = ballVel[0], velY = ballVel[1];

      // Odometry and the moving reference, in the start frame.
      const cmdYaw = obs[c + 2];
      // The velocity reference ramps toward the command at a bounded acceleration, so a step
      // in the command does not throw the robot behind its reference (and wind up the integral).
      let dvx = obs[c] - refVel[0], dvy = obs[c + 1] - refVel[1];
      const dv = Math.hypot(dvx, dvy), dvMax = maxAccel * dt;
      if (dv > dvMax) {
        dvx *= dvMax / dv;
        dvy *= dvMax / dv;
      }
      refVel[0] += dvx;
      refVel[1] += dvy;
      const cmdX = refVel[0], cmdY = refVel[1];
      const accX = dvx / dt, accY = dvy / dt;
      if (started) {
        yaw += yawRate * dt;
        const cy = Math.cos(yaw), sy = Math.sin(yaw);
        position[0] += (cy * velX - sy * velY) * dt;
        position[1] += (sy * velX + cy * velY) * dt;
        reference[0] += (cy * cmdX - sy * cmdY) * dt;
        reference[1] += (sy * cmdX + cy * cmdY) * dt;
      }
      started = true;
      let ex = position[0] - reference[0], ey = position[1] - reference[1];
      const dist = Math.hypot(ex, ey);
      if (dist > maxPosErr) {
        // Drag the reference along instead of letting the error (and the torque) wind up.
        ex *= maxPosErr / dist;
        ey *= maxPosErr / dist;
        reference[0] = position[0] - ex;
        reference[1] = position[1] - ey;
      }
      const cy = Math.cos(yaw), sy = Math.sin(yaw);
      const exH = cy * ex + sy * ey, eyH = -sy * ex + cy * ey; // heading frame

      // The torques sent last period, from the observation's previous action (J^T T).
      if (past > 0) {
        for (let j = past - 1; j > 0; j--) {
          pastPitch[j] = pastPitch[j - 1];
          pastRoll[j] = pastRoll[j - 1];
        }
        const a0 = obs[pa] * maxTorque, a1 = obs[pa + 1] * maxTorque, a2 = obs[pa + 2] * maxTorque;
        pastRoll[0] = Jt[0] * a0 + Jt[1] * a1 + Jt[2] * a2;
        pastPitch[0] = Jt[3] * a0 + Jt[4] * a1 + Jt[5] * a2;
      }

      // Feedforward of the moving reference: the torque and lean that keep the linear model on
      // it (accelerating needs a lean, rolling resistance a small steady torque).
      // Planar states: pitch plane phi = x / r; roll plane phi = -y / r.
      const ffPitchU = ffPitch.torquePerAcc * (accX / r) + ffPitch.torquePerRate * (cmdX / r);
      const ffPitchTilt = ffPitch.tiltPerAcc * (accX / r) + ffPitch.tiltPerRate * (cmdX / r);
      const ffRollU = ffRoll.torquePerAcc * (-accY / r) + ffRoll.torquePerRate * (-cmdY / r);
      const ffRollTilt = ffRoll.tiltPerAcc * (-accY / r) + ffRoll.tiltPerRate * (-cmdY / r);
      const phiPitch = exH / r, phiRoll = -eyH / r;
      let uPitch = ffPitchU - (kp[0] * phiPitch + kp[1] * (tilt[1] - pitch0 - ffPitchTilt) + kp[2] * ((velX - cmdX) / r) + kp[3] * pitchRate);
      let uRoll = ffRollU - (kr[0] * phiRoll + kr[1] * (tilt[0] - roll0 - ffRollTilt) + kr[2] * (-(velY - cmdY) / r) + kr[3] * rollRate);
      for (let j = 0; j < past; j++) {
        uPitch -= kp[4 + j] * (pastPitch[j] - ffPitchU);
        uRoll -= kr[4 + j] * (pastRoll[j] - ffRollU);
      }
      if (integral) {
        // Heading frame, so a body-fixed offset (CoM, IMU mount) stays put as the robot turns.
        uPitch -= kp[iq] * intPitch;
        uRoll -= kr[iq] * intRoll;
        intPitch = clampAbs(intPitch + dt * phiPitch, maxIntPitch);
        intRoll = clampAbs(intRoll + dt * phiRoll, maxIntRoll);
      }
      // Traction limit: more torque than the ground can take spins the ball in place, and
      // then the encoders no longer measure motion.
      const planar = Math.hypot(uPitch, uRoll);
      if (planar > maxPlanar) {
        uPitch *= maxPlanar / planar;
        uRoll *= maxPlanar / planar;
      }
      // Yaw: the body gets -J^T T, so the ball torque about z is minus the body's.
      const yawError = cmdYaw - yawRate;
      yawIntegralTorque += gains.yawRateIntegralGain * yawError * dt;
      if (yawIntegralTorque > maxYawIntegralTorque) yawIntegralTorque = maxYawIntegralTorque;
      else if (yawIntegralTorque < -maxYawIntegralTorque) yawIntegralTorque = -maxYawIntegralTorque;
      const uYawBody = gains.yawRateGain * yawError + yawIntegralTorque;

      torque[0] = uRoll;
      torque[1] = uPitch;
      torque[2] = -uYawBody;
      let peak = 0;
      for (let i = 0; i < 3; i++) {
        wheel[i] = (JtInv[3 * i] * torque[0] + JtInv[3 * i + 1] * torque[1] + JtInv[3 * i + 2] * torque[2]) / maxTorque;
        peak = Math.max(peak, Math.abs(wheel[i]));
      }
      // Saturate by scaling all three together, keeping the torque's direction.
      if (!Number.isFinite(peak)) {
        out.fill(0, 0, ACTION_SIZE); // a NaN sensor reading: fail safe with zero torque
        return;
      }
      const k = peak > 1 ? 1 / peak : 1;
      for (let i = 0; i < ACTION_SIZE; i++) out[i] = wheel[i] * k;
    },
  };
  return controller;
}
