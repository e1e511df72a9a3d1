// The LQR baseline (sim/lqr.ts) as a deploy Policy, so `--controller lqr` runs through the
// same observation, safety layer and telemetry as an ONNX policy.
import type { RobotConfig } from '../sim/config/robot.js';
import type { LqrController } from '../sim/lqr.js';
import { ACTION_SIZE, OBS_SIZE } from '../sim/observation.js';
import type { Policy } from './policy.js';

export class LqrPolicy implements Policy {
  readonly name = 'lqr';
  readonly obsSize = OBS_SIZE;
  readonly actionSize = ACTION_SIZE;
  readonly maxTorqueNm: number;
  private readonly controller: LqrController;

  private constructor(robot: RobotConfig, controller: LqrController) {
    this.maxTorqueNm = robot.motor.maxTorque;
    this.controller = controller;
  }
  /** Gains are designed for the deploy rate (the controller integrates at 1 / rateHz). Loaded lazily: only --controller lqr needs it. */
  static async create(robot: RobotConfig, rateHz: number): Promise<LqrPolicy> {
    const { createLqrController } = await import('../sim/lqr.js');
    return new LqrPolicy(robot, createLqrController({ ...robot, control: { ...robot.control, rateHz } }));
  }
  reset(): void { this.controller.reset(); }
  act(obs: Float32Array, out: Float32Array): void { this.controller.act(obs, out); }
  close(): void {}
}
