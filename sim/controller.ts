// A controller maps an observation (sim/observation.ts layout) to an action in [-1, 1]^3,
// exactly as a policy does, so baselines and policies run through the same path.
import { ACTION_SIZE } from './observation.js';

export interface Controller {
  /** Forget internal state (filters, odometry, input history) at the start of an episode. */
  reset(): void;
  /**
   * Write the action for `obs` into `out` (length ACTION_SIZE). Allocation-free. `extras`: the
   * named extra observations (depth, height scan) of the same tick, when the task computes them.
   */
  act(obs: Float32Array, out: Float32Array, extras?: Readonly<Record<string, Float32Array>>): void;
}

/** Zero torque: the open-loop reference (the robot must fall). */
export function createZeroController(): Controller {
  return {
    reset() {},
    act(_obs: Float32Array, out: Float32Array) {
      out.fill(0, 0, ACTION_SIZE);
    },
  };
}
