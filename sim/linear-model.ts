// The linearized planar ballbot: a ball rolling without slip and a body pivoting about the
// ball centre, driven by the torque between them. For small tilts and symmetric inertias the
// pitch plane (x-z, rotations about +y) and the roll plane (y-z, rotations about +x) are two
// copies of this model.
//
// Derivation (Lagrange), one plane, rotations about the plane's normal axis:
//   phi   = ball rotation angle (world), so the ball centre moves s = r phi along the plane
//           (pitch plane: x = r phi; roll plane: y = -r phi);
//   theta = body tilt, so the body centre of mass is at (s + l sin theta, l cos theta).
//   T = 1/2 (m_b r^2 + I_b) phi'^2 + 1/2 m [(r phi' + l cos(theta) theta')^2 + (l sin(theta) theta')^2]
//       + 1/2 I theta'^2,     V = m g l cos(theta).
// The wheel torque u acts on the ball (+u) and the body (-u), so its power is u (phi' - theta'):
// generalized forces Q_phi = u, Q_theta = -u. Rolling resistance -c_r phi' acts on the ball;
// motor viscous friction -c_m (phi' - theta') acts between ball and body. Linearized at theta = 0:
//   [ I_b + (m_b + m) r^2    m r l     ] [phi'']     [ u - c_r phi' - c_m (phi' - theta') ]
//   [ m r l                  I + m l^2 ] [theta''] = [ -u + m g l theta + c_m (phi' - theta') ]
// State x = [phi, theta, phi', theta'], input u (N m on the ball about the plane's axis).
import type { RobotConfig } from './config/robot.js';
import { expm, mul, zeros, type Matrix } from './dense-matrix.js';
import { omniwheelJacobian } from './kinematics.js';

/** pitch: x-z plane, angles about +y (forward motion); roll: y-z plane, angles about +x. */
export type PlanarAxis = 'pitch' | 'roll';

/** Planar state order everywhere below: [phi, theta, phi_rate, theta_rate]. */

export interface PlanarParams {
  gravity: number;
  ballRadius: number;
  ballMass: number;
  /** Ball moment of inertia about its centre, kg m^2. */
  ballInertia: number;
  bodyMass: number;
  /** Distance from the ball centre to the body's centre of mass, m. */
  comHeight: number;
  /** Body moment of inertia about its centre of mass, about the plane's axis, kg m^2. */
  bodyInertia: number;
  /** Ball rolling resistance, N m s/rad on the ball's absolute rate. */
  rollingDamping: number;
  /** Motor viscous friction seen as a torque on the ball-body relative rate, N m s/rad. */
  relativeDamping: number;
}

export function planarParams(robot: RobotConfig, axis: PlanarAxis): PlanarParams {
  // Axis index in the body frame: pitch turns about y (1), roll about x (0).
  const k = axis === 'pitch' ? 1 : 0;
  // Wheel viscous friction c_v on each wheel speed (J w) gives -J^T c_v J w on the ball.
  const J = omniwheelJacobian(robot);
  let jtj = 0;
  for (let i = 0; i < 3; i++) jtj += J[3 * i + k] * J[3 * i + k];
  const [offX, offY] = robot.body.comOffset;
  return {
    gravity: robot.gravity,
    ballRadius: robot.ball.radius,
    ballMass: robot.ball.mass,
    ballInertia: robot.ball.inertiaFactor * robot.ball.mass * robot.ball.radius ** 2,
    bodyMass: robot.body.mass,
    comHeight: Math.hypot(robot.body.comHeight, offX, offY),
    bodyInertia: robot.body.inertia[k],
    rollingDamping: robot.ball.rollingDamping,
    relativeDamping: robot.motor.viscousFriction * jtj,
  };
}

/** Mass matrix of the linearized plane (see the derivation above). */
export function planarMassMatrix(p: PlanarParams): Matrix {
  const m11 = p.ballInertia + (p.ballMass + p.bodyMass) * p.ballRadius ** 2;
  const m12 = p.bodyMass * p.ballRadius * p.comHeight;
  const m22 = p.bodyInertia + p.bodyMass * p.comHeight ** 2;
  return [[m11, m12], [m12, m22]];
}

/** Continuous-time x' = A x + B u. */
export function continuousPlanarModel(p: PlanarParams): { A: Matrix; B: Matrix } {
  const [[m11, m12], [, m22]] = planarMassMatrix(p);
  const det = m11 * m22 - m12 * m12;
  const inv = [[m22 / det, -m12 / det], [-m12 / det, m11 / det]];
  const mgl = p.bodyMass * p.gravity * p.comHeight;
  const cr = p.rollingDamping, cm = p.relativeDamping;
  // Right-hand side f = K [phi, theta] + D [phi', theta'] + E u.
  const K = [[0, 0], [0, mgl]];
  const D = [[-cr - cm, cm], [cm, -cm]];
  const E = [1, -1];
  const A = zeros(4, 4);
  A[0][2] = 1;
  A[1][3] = 1;
  const B = zeros(4, 1);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      A[2 + i][j] = inv[i][0] * K[0][j] + inv[i][1] * K[1][j];
      A[2 + i][2 + j] = inv[i][0] * D[0][j] + inv[i][1] * D[1][j];
    }
    B[2 + i][0] = inv[i][0] * E[0] + inv[i][1] * E[1];
  }
  return { A, B };
}

/**
 * Input and tilt that hold the plane on a reference with ball angular acceleration phiAcc
 * and rate phiRate and a steady tilt (theta' = theta'' = 0): the feedforward of a moving
 * reference. From the two rows of the linear model:
 *   u     = M11 phi'' + (c_r + c_m) phi'
 *   theta = (M12 phi'' + u - c_m phi') / (m g l)
 */
export function planarFeedforward(p: PlanarParams, phiAcc: number, phiRate: number): { torque: number; tilt: number } {
  const [[m11, m12]] = planarMassMatrix(p);
  const torque = m11 * phiAcc + (p.rollingDamping + p.relativeDamping) * phiRate;
  const tilt = (m12 * phiAcc + torque - p.relativeDamping * phiRate) / (p.bodyMass * p.gravity * p.comHeight);
  return { torque, tilt };
}

/** Unstable pole of the undamped plane, 1/s: the body falls as theta0 cosh(lambda t). */
export function fallRate(p: PlanarParams): number {
  const [[m11, m12], [, m22]] = planarMassMatrix(p);
  return Math.sqrt((p.bodyMass * p.gravity * p.comHeight * m11) / (m11 * m22 - m12 * m12));
}

/**
 * Discrete model z_{k+1} = A z_k + B u_k at period dt with the input delayed by delayS.
 * With delayS = n dt + f (0 <= f < dt) the input held during a period is u_{k-n-1} for its
 * first f seconds and u_{k-n} after, so the state carries the last n+1 inputs:
 * z = [x (4), u_{k-1}, ..., u_{k-n-1}]. Without delay z = x.
 */
export interface DiscreteModel {
  A: Matrix;
  B: Matrix;
  dt: number;
  delayS: number;
  /** Number of past inputs appended to the plant state (0 without delay). */
  pastInputs: number;
}

/** Gamma(tau) = integral_0^tau e^{A s} ds B, and e^{A tau}, from one augmented exponential. */
function zeroOrderHold(A: Matrix, B: Matrix, tau: number): { Phi: Matrix; Gamma: Matrix } {
  const n = A.length, m = B[0].length;
  const big = zeros(n + m, n + m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) big[i][j] = A[i][j] * tau;
    for (let j = 0; j < m; j++) big[i][n + j] = B[i][j] * tau;
  }
  const e = expm(big);
  return {
    Phi: e.slice(0, n).map((r) => r.slice(0, n)),
    Gamma: e.slice(0, n).map((r) => r.slice(n)),
  };
}

export function discretize(A: Matrix, B: Matrix, dt: number, delayS = 0): DiscreteModel {
  if (!(dt > 0)) throw new Error(`discretize: control period must be > 0, got ${dt}`);
  if (!(delayS >= 0) || !Number.isFinite(delayS)) throw new Error(`discretize: delay must be a finite number >= 0, got ${delayS}`);
  if (B[0].length !== 1) throw new Error('discretize: single-input models only');
  const nx = A.length;
  const { Phi, Gamma } = zeroOrderHold(A, B, dt);
  if (delayS === 0) return { A: Phi, B: Gamma, dt, delayS, pastInputs: 0 };

  // Guard against round-off making an exact multiple of dt look like n-1 steps plus dt.
  let n = Math.floor(delayS / dt + 1e-9);
  let f = delayS - n * dt;
  if (f < 1e-12) f = 0;
  if (n > 50) throw new Error(`discretize: delay ${delayS} s is more than 50 control periods`);
  const late = zeroOrderHold(A, B, dt - f); // the part of the period driven by u_{k-n}
  const early = zeroOrderHold(A, B, f); // the first f seconds, driven by u_{k-n-1}
  const B0 = late.Gamma;
  const B1 = mul(late.Phi, early.Gamma);
  const p = n + 1;
  const nz = nx + p;
  const Az = zeros(nz, nz);
  const Bz = zeros(nz, 1);
  for (let i = 0; i < nx; i++) {
    for (let j = 0; j < nx; j++) Az[i][j] = Phi[i][j];
    Az[i][nx + n] += B1[i][0]; // u_{k-n-1} sits in the last slot
    if (n === 0) Bz[i][0] = B0[i][0];
    else Az[i][nx + n - 1] += B0[i][0]; // u_{k-n} sits in slot n-1
  }
  // Shift register: slot 0 <- u_k, slot j <- slot j-1.
  Bz[nx][0] = 1;
  for (let j = 1; j < p; j++) Az[nx + j][nx + j - 1] = 1;
  return { A: Az, B: Bz, dt, delayS, pastInputs: p };
}

/** The configured robot's plane, discretized at the control period. */
export function planarDiscreteModel(robot: RobotConfig, axis: PlanarAxis, delayS = 0): DiscreteModel {
  const { A, B } = continuousPlanarModel(planarParams(robot, axis));
  return discretize(A, B, 1 / robot.control.rateHz, delayS);
}

/**
 * Append an integrator of state `index` to a discrete model: q_{k+1} = q_k + dt z_k[index].
 * The controller keeps q itself with exactly this update, so the augmented model is exact.
 */
export function withIntegrator(model: DiscreteModel, index = 0): DiscreteModel {
  const n = model.A.length;
  const A = zeros(n + 1, n + 1);
  const B = zeros(n + 1, 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) A[i][j] = model.A[i][j];
    B[i][0] = model.B[i][0];
  }
  A[n][n] = 1;
  A[n][index] = model.dt;
  return { ...model, A, B };
}
