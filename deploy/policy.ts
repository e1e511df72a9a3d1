// What the control loop runs each tick: observation in, action in [-1, 1] out. An ONNX
// policy and the LQR baseline both implement it, so both go through the same safety layer.

export interface Policy {
  readonly name: string;
  readonly obsSize: number;
  readonly actionSize: number;
  /** Full-scale torque that action 1.0 means, N m (the artifact's action scaling). */
  readonly maxTorqueNm: number;
  /** Forget internal state (start of a run, after a re-arm). */
  reset(): void;
  /** Write the action for `obs` into `out`. Synchronous and allocation-free: it runs inside the tick. */
  act(obs: Float32Array, out: Float32Array): void;
  close(): void;
}
