// Perception inputs in deploy: a source delivers the newest frame of each input it feeds (a
// depth image, a height scan), stamped with its capture time on the host's monotonic clock.
// The sim link renders frames from its plant; the ROS 2 link (or a perception-only ROS 2
// node beside the serial link) converts sensor_msgs/Image and Float32MultiArray. The control
// loop feeds the policy the newest frame of each input and judges its age in deploy/safety.

export interface PerceptionFrame {
  /** Capture time, host monotonic ms (performance.now() base; the lockstep clock in lockstep runs). */
  stampMs: number;
  /** Increases with every new frame; equal values mean the same frame. */
  seq: number;
  /** The values in the input's layout (sim/perception/layout.ts); 0 where there is no reading. */
  data: Float32Array;
}

export interface PerceptionSource {
  readonly name: string;
  /** Input names this source feeds ('depth', 'height_scan'). */
  readonly inputs: readonly string[];
  /** The newest frame of `input`, or null before the first. Must not block; the object may be reused. */
  latestFrame(input: string): PerceptionFrame | null;
  /** Frames received and refused (bad size, encoding) per input, for the summary. */
  counters?(): Record<string, { received: number; refused: number }>;
}

/** A link or a decorator that carries perception frames besides the robot's state. */
export interface PerceptionCarrier {
  readonly perception: PerceptionSource | null;
}

/** The perception source of a link (null: it carries none, as the serial link). */
export function perceptionOf(link: object): PerceptionSource | null {
  const p = (link as Partial<PerceptionCarrier>).perception;
  return p && typeof p.latestFrame === 'function' ? p : null;
}
