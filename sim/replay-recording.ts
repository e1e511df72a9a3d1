// A deploy recording (MCAP written by `ballbot deploy --record`, any link) as replay and
// system identification need it: only what a real robot records. Sensor samples (attitude,
// gyro, encoders, stamped by the host), the torque commands sent and when they were sent,
// and the identity of the robot the controller was made for. Simulator-only channels
// (/sim/truth) are never read.
import { readMcapJsonMessages, type McapMessage } from '../common/mcap-read.js';
import { loadRobotConfig, RobotConfigSchema, type RobotConfig } from './config/robot.js';

/** Topics of deploy/telemetry.ts that replay reads. */
const TOPIC = { state: 'deploy/state', action: 'deploy/action', timing: 'deploy/timing' } as const;

export interface RecordedSample {
  /** When the robot sampled it, host monotonic ms. */
  stampMs: number;
  orientation: number[]; // [x, y, z, w]
  gyro: number[]; // [3] rad/s, body frame
  wheelVelocity: number[]; // [3] rad/s
}

export interface RecordedCommand {
  /** When the command left the host, same clock as the sample stamps, ms. */
  sentMs: number;
  torqueNm: number[]; // [3] after the safety layer: what the motors were told
  /** The loop was ARMING or RUNNING (torque allowed). */
  armed: boolean;
}

export interface ReplayRecording {
  file: string;
  robotName: string;
  robotHash: string | null;
  /** The controller's robot config, when the recording carries it. */
  robot: RobotConfig | null;
  rateHz: number;
  /** Unique samples in stamp order (a sample seen by several ticks appears once). */
  samples: RecordedSample[];
  commands: RecordedCommand[];
}

export class RecordingError extends Error {
  override name = 'RecordingError';
  constructor(readonly file: string, what: string) {
    super(`recording ${file}: ${what}`);
  }
}

const isNums = (v: unknown, n: number): v is number[] =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

export function loadReplayRecording(file: string): ReplayRecording {
  let read;
  try {
    read = readMcapJsonMessages(file);
  } catch (err) {
    throw new RecordingError(file, `cannot read it as MCAP (${(err as Error).message})`);
  }
  const { messages, metadata, truncated } = read;
  if (truncated) {
    throw new RecordingError(file, `it is cut short (no MCAP summary after ${messages.length} messages): the recorder did not close it; re-record, or cut the window you need with an MCAP tool`);
  }
  const meta = metadata.get('deploy');
  if (!meta) throw new RecordingError(file, "no 'deploy' metadata record (robot name, control rate): not a ballbot deploy recording");
  const robotName = meta.get('robot');
  const rateHz = Number(meta.get('rateHz'));
  if (!robotName) throw new RecordingError(file, "the 'deploy' metadata has no 'robot' name");
  if (!(rateHz > 0)) throw new RecordingError(file, `the 'deploy' metadata has no valid 'rateHz' (got '${meta.get('rateHz')}')`);
  let robot: RobotConfig | null = null;
  const robotJson = meta.get('robotConfig');
  if (robotJson) {
    const parsed = RobotConfigSchema.safeParse(JSON.parse(robotJson));
    if (!parsed.success) throw new RecordingError(file, `the 'deploy' metadata 'robotConfig' is not a valid robot config: ${parsed.error.issues[0]?.message}`);
    robot = parsed.data;
  }

  const byTopic = (topic: string) => messages.filter((m) => m.topic === topic);
  const states = byTopic(TOPIC.state), actions = byTopic(TOPIC.action), timings = byTopic(TOPIC.timing);
  if (!states.length) throw new RecordingError(file, `no ${TOPIC.state} messages (sensor state)`);
  if (!actions.length) throw new RecordingError(file, `no ${TOPIC.action} messages (commands)`);
  if (!timings.length) throw new RecordingError(file, `no ${TOPIC.timing} messages (when each command was sent)`);

  const samples = uniqueSamples(file, states);
  const commands = commandsFrom(file, actions, timings);
  if (!commands.some((c) => c.armed && c.torqueNm.some((t) => t !== 0))) {
    throw new RecordingError(file, 'no command was sent while armed (the robot never ran): nothing to replay');
  }
  return { file, robotName, robotHash: meta.get('robotHash') ?? null, robot, rateHz, samples, commands };
}

function uniqueSamples(file: string, states: McapMessage[]): RecordedSample[] {
  const seen = new Map<number, RecordedSample>();
  for (const m of states) {
    const v = m.value;
    if (typeof v.stampMs !== 'number' || !isNums(v.orientation, 4) || !isNums(v.gyro, 3) || !isNums(v.wheelVelocity, 3)) {
      throw new RecordingError(file, `${TOPIC.state} tick ${String(v.tick)} lacks stampMs, orientation[4], gyro[3] or wheelVelocity[3]`);
    }
    if (!seen.has(v.stampMs)) seen.set(v.stampMs, { stampMs: v.stampMs, orientation: v.orientation, gyro: v.gyro, wheelVelocity: v.wheelVelocity });
  }
  return [...seen.values()].sort((a, b) => a.stampMs - b.stampMs);
}

function commandsFrom(file: string, actions: McapMessage[], timings: McapMessage[]): RecordedCommand[] {
  // The tick's start is its deadline plus its lateness; the command left computeUs later.
  const sentAt = new Map<number, number>();
  for (const m of timings) {
    const v = m.value;
    if (typeof v.tick === 'number' && typeof v.deadlineMs === 'number' && typeof v.latenessUs === 'number' && typeof v.computeUs === 'number') {
      sentAt.set(v.tick, v.deadlineMs + (v.latenessUs + v.computeUs) / 1000);
    }
  }
  const out: RecordedCommand[] = [];
  for (const m of actions) {
    const v = m.value;
    if (typeof v.tick !== 'number' || !isNums(v.safeTorqueNm, 3)) throw new RecordingError(file, `${TOPIC.action} message without tick or safeTorqueNm[3]`);
    const sentMs = sentAt.get(v.tick);
    if (sentMs === undefined) throw new RecordingError(file, `${TOPIC.timing} has no timing for tick ${v.tick} (deadlineMs, latenessUs, computeUs)`);
    out.push({ sentMs, torqueNm: v.safeTorqueNm, armed: v.mode === 'ARMING' || v.mode === 'RUNNING' });
  }
  return out.sort((a, b) => a.sentMs - b.sentMs);
}

/** Refuse to replay a recording on a robot config of another robot (name or geometry differ). */
export function assertSameRobot(rec: ReplayRecording, robot: RobotConfig, robotFile: string): void {
  if (robot.name !== rec.robotName) {
    throw new RecordingError(rec.file, `made on robot '${rec.robotName}', but ${robotFile} describes '${robot.name}' (another robot)`);
  }
  if (robot.control.rateHz !== rec.rateHz) {
    throw new RecordingError(rec.file, `recorded at ${rec.rateHz} Hz, but ${robotFile} controls at ${robot.control.rateHz} Hz`);
  }
}

/**
 * The robot to replay a recording on: `robotFile` when given, else the controller's robot the
 * recording carries, else `fallbackFile`; checked to be the robot the recording was made on.
 */
export function replayRobot(rec: ReplayRecording, robotFile: string | undefined, fallbackFile: string): RobotConfig {
  const robot = robotFile ? loadRobotConfig(robotFile) : rec.robot ?? loadRobotConfig(fallbackFile);
  assertSameRobot(rec, robot, robotFile ?? (rec.robot ? "the recording's robot config" : fallbackFile));
  return robot;
}
