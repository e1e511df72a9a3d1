// RobotLink: the only way deploy talks to a robot. Implemented by the sim link, the
// serial bridge (firmware-bridge/) and ROS 2. State in (timestamped), command out,
// e-stop out, link health.
import type { SensorState } from '../sim/observation.js';
import type { EstopRule } from './safety/decisions.js';

export interface TimedSensorState extends SensorState {
  /** When the robot measured this state, on the host's monotonic clock (ms, performance.now() base). */
  stampMs: number;
  /** Robot-side fault flags (bit field, 0 = none) and battery voltage when known. */
  faultFlags?: number;
  batteryV?: number;
}

/** What the robot itself says it is doing (firmware mode), for the host's mode-agreement rule. */
export type RobotMode = 'DISARMED' | 'ARMED' | 'ESTOP';

/** Frames received by kind; links without a wire protocol report only framesOk and gaps. */
export interface LinkCounters {
  framesOk: number;
  malformed: number;
  badCrc: number;
  unknownType: number;
  tooLong: number;
  /** Duplicated or replayed frames (sequence not ahead): dropped, not lost. */
  stale: number;
  /** Frames lost, by the sequence numbers (or state updates dropped). */
  gaps: number;
}

export interface LinkHealth {
  ok: boolean;
  framesOk: number;
  framesBad: number;
  /** Frames lost (sequence gaps, dropped updates); duplicates and replays are not counted here. */
  gaps: number;
  /** Last measured round trip, ms (NaN if unknown). */
  rttMs: number;
  /** Time since the last valid message from the robot, ms. */
  silenceMs: number;
  detail?: string;
}

export interface RobotLink {
  readonly name: string;
  /** Open and handshake; rejects with a clear message when the robot is not there. */
  connect(): Promise<void>;
  /** Latest state, or null when none has arrived yet. Must not block. */
  latestState(): TimedSensorState | null;
  /** Send wheel torques (N m). `seq` increases every tick; the control loop's heartbeat. */
  sendCommand(torques: Float64Array, seq: number): void;
  /** Tell the robot to cut torque and latch its own e-stop. `rule` names the deciding rule (serial: the reason code). */
  sendEstop(reason: string, rule?: EstopRule): void;
  /** Tell the robot to leave its e-stop (explicit re-arm only). */
  sendArm(): void;
  health(): LinkHealth;
  /** Counters by kind, for the summary and the recording. */
  frameCounters?(): LinkCounters;
  /** The mode the robot reports, or null before it has said; links without one omit this. */
  robotMode?(): RobotMode | null;
  close(): Promise<void>;
}
