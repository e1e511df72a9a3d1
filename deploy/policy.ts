// What the control loop runs each tick: observation in, action in [-1, 1] out. An ONNX
// policy and the LQR baseline both implement it, so both go through the same safety layer.
import type { ArtifactInput } from '../sim/policy-artifact.js';

export interface Policy {
  readonly name: string;
  readonly obsSize: number;
  readonly actionSize: number;
  /** Full-scale torque that action 1.0 means, N m (the artifact's action scaling). */
  readonly maxTorqueNm: number;
  /**
   * Forget internal state (recurrent policies: `ballbot.recurrent_state`). The runtime calls it
   * at start, on every arm and after every e-stop; a no-op for feedforward policies.
   */
  reset(): void;
  /** Optional: run once on scratch data, result and state untouched, to warm caches before a tick. */
  warm?(): void;
  /**
   * Named inputs besides 'obs' the policy needs every tick (the artifact's 'ballbot.inputs', e.g.
   * 'depth', 'height_scan'); absent or empty for a proprioceptive policy.
   */
  readonly extraInputs?: readonly ArtifactInput[];
  /**
   * Write the action for `obs` into `out`. Synchronous and allocation-free: it runs inside the tick.
   * `extras` carries every input of `extraInputs` by name; a policy that needs one it is not given throws.
   */
  act(obs: Float32Array, out: Float32Array, extras?: Readonly<Record<string, Float32Array>>): void;
  close(): void;
}
