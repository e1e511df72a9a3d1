// What the control loop runs each tick: observation in, action in [-1, 1] out. An ONNX
// policy and the LQR baseline both implement it, so both go through the same safety layer.

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
  /** Write the action for `obs` into `out`. Synchronous and allocation-free: it runs inside the tick. */
  act(obs: Float32Array, out: Float32Array): void;
  close(): void;
}
