// Shared memory between the sim link (main thread, the RobotLink side) and its worker (the
// simulated robot running in real time). Both blocks are seqlocks: the writer makes the
// sequence odd, writes, makes it even; a reader retries when it saw it odd or changed.
export const I = {
  STOP: 0,
  STATE_SEQ: 1, // seqlock of the state block (worker writes)
  CMD_SEQ: 2, // seqlock of the command block (main writes)
  LINK_OK: 3, // 1 healthy, 0 link down (injected)
  PUBLISHED: 4, // states delivered to the controller
  DROPPED: 5, // states lost (dropouts)
  EVER_FALLEN: 6, // 1 once the true tilt passed the plant's limit
  ESTOPPED: 7, // 1 while the robot's own e-stop is latched (torque forced to zero)
  COMMANDS: 8, // commands received
  COUNT: 12,
} as const;

/** State block (Float64), written by the worker. */
export const S = {
  STAMP: 0, // when the sensors were sampled, main clock ms
  ORIENT: 1, // 4
  GYRO: 5, // 3
  WHEEL: 8, // 3
  FAULT: 11,
  // Ground truth at the latest physics step (not delayed), for telemetry and `fell`.
  T_TIME: 12,
  T_TILT: 13,
  T_BALL_POS: 14, // 3
  T_BALL_VEL: 17, // 3
  T_BODY_Q: 20, // 4
  T_BALL_Q: 24, // 4
  T_WHEEL_TORQUE: 28, // 3
  T_STAMP: 31, // main clock ms of the truth sample
  COUNT: 32,
} as const;

/** Command block (Float64), written by main. */
export const C = { TORQUE: 0, SENT_MS: 3, SEQ: 4, COUNT: 8 } as const;

export interface SimLinkWorkerData {
  ints: SharedArrayBuffer;
  state: SharedArrayBuffer;
  cmd: SharedArrayBuffer;
  mainTimeOrigin: number;
  /** Messages from main (faults, pushes, e-stop), polled with receiveMessageOnPort. */
  port: unknown;
  robot: unknown; // RobotConfig
  seed: number;
  randomize: boolean;
  initTiltDeg: number;
  stateLatencyMs: number;
  commandLatencyMs: number;
  dropoutProb: number;
  gyroNoise: number;
  injectTiltDeg: number;
  /** Perception inputs the robot renders, and where it publishes their frames (shared-frames.ts). */
  perception?: unknown; // TaskPerception
  frames?: unknown; // SharedFramesLayout
}

/** Faults and events main asks the simulated robot for (postMessage, not time-critical). */
export type SimLinkMessage =
  | { kind: 'stale' }
  | { kind: 'nan' }
  | { kind: 'tilt' }
  | { kind: 'linkdown' }
  | { kind: 'push'; dvx: number; dvy: number }
  | { kind: 'estop' }
  | { kind: 'arm' };
