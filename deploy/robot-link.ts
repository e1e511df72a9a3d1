// RobotLink: the only way deploy talks to a robot. Implemented by the sim link, the
// serial bridge (firmware-bridge/) and ROS 2. State in (timestamped), command out,
// e-stop out, link health.
import type { SensorState } from '../sim/observation.js';

export interface TimedSensorState extends SensorState {
  /** When the robot measured this state, on the host's monotonic clock (ms, performance.now() base). */
  stampMs: number;
  /** Robot-side fault flags (bit field, 0 = none) and battery voltage when known. */
  faultFlags?: number;
  batteryV?: number;
}

export interface LinkHealth {
  ok: boolean;
  framesOk: number;
  framesBad: number;
  /** Sequence gaps, dropped messages, etc. */
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
  /** Tell the robot to cut torque and latch its own e-stop. */
  sendEstop(reason: string): void;
  /** Tell the robot to leave its e-stop (explicit re-arm only). */
  sendArm(): void;
  health(): LinkHealth;
  close(): Promise<void>;
}
