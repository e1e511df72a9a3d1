// Motor model for the three wheel motors: command latency, first-order torque response,
// torque falling with speed (back-EMF), viscous and Coulomb friction. Allocation-free.
import type { RobotConfig } from './config/robot.js';
import type { EpisodeParams } from './episode-params.js';

export interface MotorParams {
  /** Per-wheel stall torque after strength randomization, N m. */
  maxTorque: Float64Array; // [3]
  /** Per-wheel strength: the fraction of a command the motor delivers (1 = nominal). */
  strength: Float64Array; // [3]
  noLoadSpeed: number;
  viscousFriction: number;
  coulombFriction: number;
  timeConstant: number;
  /** Command latency in physics substeps. */
  delaySteps: number;
}

/**
 * An episode's motor parameters, derived once when the episode starts (read every substep):
 * strength is the randomized stall torque over the robot's rating.
 */
export function episodeMotorParams(robot: RobotConfig, p: EpisodeParams, physicsDt: number): MotorParams {
  return {
    maxTorque: p.motorMaxTorque,
    strength: p.motorMaxTorque.map((t) => t / robot.motor.maxTorque),
    noLoadSpeed: robot.motor.noLoadSpeed,
    viscousFriction: robot.motor.viscousFriction,
    coulombFriction: robot.motor.coulombFriction,
    timeConstant: p.motorTimeConstant,
    delaySteps: Math.round(p.actionLatency / physicsDt),
  };
}

/** Wheel speed below which Coulomb friction is smoothed (avoids chatter at rest), rad/s. */
const COULOMB_SMOOTHING = 0.1;

export class MotorBank {
  readonly delivered = new Float64Array(3); // motor torque after lag and limits, N m
  private readonly history: Float64Array;
  private head = 0;

  constructor(readonly maxDelaySteps: number) {
    this.history = new Float64Array(3 * (maxDelaySteps + 1));
  }

  reset(): void {
    this.history.fill(0);
    this.delivered.fill(0);
    this.head = 0;
  }

  /**
   * Start mid-run (replay): `commandAgo(k)` is the command (N m) that entered the motors k
   * substeps ago. Fills the latency line with those commands, scaled by strength as step()
   * does, and the first-order lag with their filtered value, so a window's first substeps
   * deliver what the robot's motors were delivering then.
   */
  prime(p: MotorParams, commandAgo: (substeps: number) => ArrayLike<number>, dt: number): void {
    const slots = this.maxDelaySteps + 1;
    for (let k = 0; k < slots; k++) {
      const c = commandAgo(k), at = 3 * ((this.head - k + slots) % slots);
      for (let i = 0; i < 3; i++) this.history[at + i] = c[i] * p.strength[i];
    }
    // The lag's state: the delayed commands filtered over five time constants (limits ignored).
    const delay = Math.min(p.delaySteps, this.maxDelaySteps);
    const alpha = p.timeConstant > 0 ? 1 - Math.exp(-dt / p.timeConstant) : 1;
    const span = Math.ceil((5 * p.timeConstant) / dt);
    const oldest = commandAgo(span + delay);
    for (let i = 0; i < 3; i++) this.delivered[i] = oldest[i] * p.strength[i];
    for (let k = span - 1; k >= 0; k--) {
      const c = commandAgo(k + delay);
      for (let i = 0; i < 3; i++) this.delivered[i] += (c[i] * p.strength[i] - this.delivered[i]) * alpha;
    }
  }

  /**
   * Advance one physics substep: `command` (N m) scaled by each motor's strength enters the
   * latency line; the command
   * from `delaySteps` ago drives the motors. Writes the net wheel torque into `out`.
   */
  step(p: MotorParams, command: ArrayLike<number>, wheelSpeed: ArrayLike<number>, dt: number, out: Float64Array): void {
    const slots = this.maxDelaySteps + 1;
    this.head = (this.head + 1) % slots;
    const h = this.history;
    h[3 * this.head] = command[0] * p.strength[0];
    h[3 * this.head + 1] = command[1] * p.strength[1];
    h[3 * this.head + 2] = command[2] * p.strength[2];
    const delay = Math.min(p.delaySteps, this.maxDelaySteps);
    const past = 3 * ((this.head - delay + slots) % slots);
    const alpha = p.timeConstant > 0 ? 1 - Math.exp(-dt / p.timeConstant) : 1;
    for (let i = 0; i < 3; i++) {
      const w = wheelSpeed[i];
      const tMax = p.maxTorque[i];
      let t = this.delivered[i] + (h[past + i] - this.delivered[i]) * alpha;
      // Voltage-limited DC motor: the torque it can produce shrinks as the wheel spins up
      // (zero at no-load speed) and is capped by the current limit in both directions.
      const hi = tMax * Math.min(1, 1 - w / p.noLoadSpeed);
      const lo = -tMax * Math.min(1, 1 + w / p.noLoadSpeed);
      t = t > hi ? hi : t < lo ? lo : t;
      this.delivered[i] = t;
      out[i] = t - p.viscousFriction * w - p.coulombFriction * Math.tanh(w / COULOMB_SMOOTHING);
    }
  }
}
