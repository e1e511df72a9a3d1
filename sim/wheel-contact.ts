// Wheel-ball contact beyond ideal omniwheels (robot config `drive.model: traction`):
//  - friction-limited traction: each wheel transmits at most mu N r_wheel of torque to the ball,
//    N its normal force (the body's weight shared by the three wheels along their contact
//    normals, plus a preload); a motor torque beyond that slips (quasi-static: the wheel's own
//    spin-up is not modelled, so encoders still read the ball-implied speed);
//  - roller friction: the free rollers of wheel i roll when the ball turns about the wheel's
//    axle direction e_i (horizontal, tangent at the contact), and resist with a viscous force
//    c v at the contact, i.e. a torque -c r^2 (w . e_i) e_i on the ball (w: ball relative to
//    body, body frame) and the opposite on the body.
import type { RobotConfig } from './config/robot.js';
import type { EpisodeParams } from './episode-params.js';

const DEG = Math.PI / 180;

export class WheelContact {
  /** Largest torque each wheel can transmit, N m. */
  readonly tractionLimitNm: number;
  private readonly axle: Float64Array; // 3 x 3, row i = e_i in the body frame
  private readonly rollerGain: number;
  /** Wheels slipping at the last step (bit i = wheel i), for tests and telemetry. */
  slipping = 0;

  constructor(robot: RobotConfig, p: EpisodeParams) {
    const a = robot.wheels.zenithDeg * DEG;
    const normal = (p.bodyMass * robot.gravity) / (3 * Math.cos(a)) + p.wheelPreloadN;
    this.tractionLimitNm = p.wheelFriction * normal * robot.wheels.radius;
    this.axle = new Float64Array(9);
    for (let i = 0; i < 3; i++) {
      const b = robot.wheels.azimuthsDeg[i] * DEG;
      this.axle[3 * i] = -Math.sin(b);
      this.axle[3 * i + 1] = Math.cos(b);
    }
    this.rollerGain = p.rollerDamping * p.ballRadius * p.ballRadius;
  }

  /** Clamp each wheel's torque to what friction can pass to the ball (in place). */
  limitTraction(wheelTorque: Float64Array): void {
    const L = this.tractionLimitNm;
    let slip = 0;
    for (let i = 0; i < 3; i++) {
      const t = wheelTorque[i];
      if (t > L || t < -L) { wheelTorque[i] = t > 0 ? L : -L; slip |= 1 << i; }
    }
    this.slipping = slip;
  }

  /** Add the rollers' friction torque on the ball (body frame) for relative spin `w` to `tauBall`. */
  addRollerTorque(w: ArrayLike<number>, tauBall: Float64Array): void {
    const e = this.axle, g = this.rollerGain;
    for (let i = 0; i < 3; i++) {
      const along = w[0] * e[3 * i] + w[1] * e[3 * i + 1];
      tauBall[0] -= g * along * e[3 * i];
      tauBall[1] -= g * along * e[3 * i + 1];
    }
  }
}
