// The ballbot task reward: a weighted sum of shaping terms per second of control, plus a
// one-off penalty on a fall. Weights come from the task YAML (sim/config/task.ts); the state
// comes from the env's privileged (ground-truth) vector and the actions.
import type { RewardWeights } from './config/task.js';

/** What one step's reward depends on; the env fills one of these per step (no allocation). */
export interface RewardState {
  tiltRad: number;
  /** Ball velocity in the heading frame, m/s. */
  ballVx: number;
  ballVy: number;
  /** Body angular velocity, world frame, rad/s (z is the yaw rate). */
  bodyWx: number;
  bodyWy: number;
  bodyWz: number;
  /** Ball position relative to the episode start, m. */
  posX: number;
  posY: number;
  /** Commanded planar velocity (m/s) and yaw rate (rad/s). */
  cmdVx: number;
  cmdVy: number;
  cmdYawRate: number;
  /** |a_t - a_{t-1}|^2 and |a_t|^2 of the (clipped) action. */
  actionChange2: number;
  actionMagnitude2: number;
}

export function newRewardState(): RewardState {
  return { tiltRad: 0, ballVx: 0, ballVy: 0, bodyWx: 0, bodyWy: 0, bodyWz: 0, posX: 0, posY: 0, cmdVx: 0, cmdVy: 0, cmdYawRate: 0, actionChange2: 0, actionMagnitude2: 0 };
}

/** Squared planar velocity-tracking error, (m/s)^2: also reported as an episode statistic. */
export function trackingError2(s: RewardState): number {
  const ex = s.ballVx - s.cmdVx, ey = s.ballVy - s.cmdVy;
  return ex * ex + ey * ey;
}

/** Reward of one control step of length dt; `fell` adds the fall penalty. */
export function stepReward(w: RewardWeights, s: RewardState, dt: number, fell: boolean): number {
  const tilt = s.tiltRad;
  const vx = s.ballVx, vy = s.ballVy;
  const dist2 = s.posX * s.posX + s.posY * s.posY;
  const yawErr = s.bodyWz - s.cmdYawRate;
  let r =
    w.alive +
    w.tilt * tilt * tilt +
    w.bodyAngularVelocity * (s.bodyWx * s.bodyWx + s.bodyWy * s.bodyWy) +
    w.ballSpeed * (vx * vx + vy * vy) +
    w.distance * Math.min(dist2, 4) +
    w.velocityTracking * Math.exp(-trackingError2(s) / 0.25) +
    w.velocityError * trackingError2(s) +
    w.yawRateTracking * Math.exp(-(yawErr * yawErr) / 0.25) +
    w.yawRate * s.bodyWz * s.bodyWz +
    w.actionRate * s.actionChange2 +
    w.actionMagnitude * s.actionMagnitude2;
  r *= dt;
  if (fell) r += w.fall;
  return r;
}
