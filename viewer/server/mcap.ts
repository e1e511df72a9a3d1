// Deploy telemetry (MCAP with JSON messages, written by `ballbot deploy --record`) to an
// episode the page can play. Read with @mcap/core's stream reader, so a file cut short by a
// crash still plays up to its last complete chunk. Channels are matched by topic name (see
// docs/viewer.md); a message's fields are picked by name, so extra fields are fine.
import { readMcapJsonMessages, type McapMessage } from '../../common/mcap-read.js';
import { loadRobotConfig, RobotConfigSchema, type RobotConfig } from '../../sim/config/robot.js';
import { tiltFromQuaternion } from '../../sim/observation.js';
import type { DepthImage, EpisodeData, EpisodeEvent, EpisodeFrame } from '../page/episode.js';
import { episodeRobot } from './episode-from-recording.js';
import { viewerPageDir } from './bundle.js';
import { join } from 'node:path';

type Json = Record<string, unknown>;

const numArray = (v: unknown, n: number): number[] | undefined =>
  Array.isArray(v) && v.length >= n && v.slice(0, n).every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v.slice(0, n) as number[]) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pick = (m: Json, keys: string[], n: number) => {
  for (const k of keys) {
    const v = numArray(m[k], n);
    if (v) return v;
  }
  return undefined;
};

function defaultRobot(): RobotConfig {
  return loadRobotConfig(join(viewerPageDir(), '..', '..', 'configs', 'robot', 'default.yaml'));
}

function robotFrom(messages: McapMessage[], metadata: Map<string, Map<string, string>>): RobotConfig {
  const candidates: unknown[] = [];
  for (const [, m] of metadata) for (const key of ['robot', 'robotConfig', 'robot_config']) if (m.has(key)) candidates.push(m.get(key));
  for (const m of messages) if (/(^|\/)(robot|config|header)$/.test(m.topic)) candidates.push(m.value.robot ?? m.value);
  for (const c of candidates) {
    let v = c;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        continue;
      }
    }
    const parsed = RobotConfigSchema.safeParse(v);
    if (parsed.success) return parsed.data;
  }
  return defaultRobot();
}

/** A /deploy/perception/depth message (deploy/telemetry.ts) as the page draws it, or undefined if malformed. */
function depthImage(v: Json, robot: RobotConfig): DepthImage | undefined {
  const shape = v.shape, data = v.data;
  if (!Array.isArray(shape) || shape.length !== 2 || !Array.isArray(data)) return undefined;
  const [height, width] = shape as number[];
  if (!(Number.isInteger(height) && Number.isInteger(width) && data.length === height * width && data.every((x) => typeof x === 'number'))) return undefined;
  return { width, height, maxRange: robot.perception?.depthCamera?.maxRange ?? Math.max(1e-3, ...(data as number[])), data: data as number[] };
}

export function episodeFromMcapFile(file: string, title: string): EpisodeData {
  const { messages, metadata, truncated } = readMcapJsonMessages(file);
  const robot = robotFrom(messages, metadata);
  const t0 = messages.length ? messages[0].logTimeNs : 0n;
  const timeOf = (m: McapMessage) => num(m.value.t) ?? num(m.value.timeS) ?? Number(m.logTimeNs - t0) / 1e9;
  const frames: EpisodeFrame[] = [];
  const events: EpisodeEvent[] = [];
  let current: EpisodeFrame | null = null;
  let currentKey: string | null = null;
  for (const m of messages) {
    const v = m.value;
    const t = timeOf(m);
    if (/safety|estop|e-stop|fault/i.test(m.topic)) {
      const rule = typeof v.rule === 'string' ? v.rule : typeof v.reason === 'string' ? v.reason : typeof v.kind === 'string' ? v.kind : m.topic;
      events.push({ t, kind: 'safety', rule, text: typeof v.detail === 'string' ? v.detail : typeof v.message === 'string' ? v.message : undefined });
      continue;
    }
    if (m.topic === 'deploy/perception/height_scan') continue; // not drawn (yet)
    if (/push/i.test(m.topic)) {
      const dv = pick(v, ['dv', 'dvXY'], 2);
      if (dv) events.push({ t, kind: 'push', dv });
      continue;
    }
    // Messages of one control tick share a tick number (or a log time) and merge into one frame.
    const key = num(v.tick) !== undefined ? `tick${v.tick}` : `ns${m.logTimeNs}`;
    if (key !== currentKey) {
      current = { t };
      currentKey = key;
      frames.push(current);
    }
    const f = current!;
    if (m.topic === 'deploy/perception/depth') {
      f.depth = depthImage(v, robot) ?? f.depth;
      continue;
    }
    const state = (typeof v.state === 'object' && v.state ? v.state : v) as Json;
    const orientation = pick(state, ['bodyOrientation', 'orientation', 'quaternion'], 4);
    if (orientation) {
      f.bodyOrientation = orientation;
      f.tiltRad = tiltFromQuaternion(orientation);
    }
    const tilt = num(state.tiltRad);
    if (tilt !== undefined) f.tiltRad = tilt;
    f.ballPosition = pick(state, ['ballPosition'], 3) ?? f.ballPosition;
    f.ballOrientation = pick(state, ['ballOrientation'], 4) ?? f.ballOrientation;
    f.wheelVelocity = pick(state, ['wheelVelocity', 'wheelVelocities'], 3) ?? f.wheelVelocity;
    f.wheelTorque = pick(v, ['wheelTorque'], 3) ?? f.wheelTorque;
    const scale = robot.motor.maxTorque;
    const rawT = pick(v, ['rawTorque', 'rawTorqueNm'], 3) ?? pick(v, ['rawAction'], 3)?.map((a) => a * scale);
    const safeT = pick(v, ['safeTorque', 'safeTorqueNm', 'torque', 'torqueNm'], 3) ?? pick(v, ['safeAction'], 3)?.map((a) => a * scale);
    if (rawT) f.rawTorque = rawT;
    if (safeT) f.safeTorque = safeT;
    f.command = pick(v, ['command', 'cmd'], 3) ?? f.command;
  }
  if (truncated) events.push({ t: frames.length ? frames[frames.length - 1].t : 0, kind: 'note', text: 'telemetry ends early (file cut short)' });
  // Real-robot telemetry has no ball position: keep the robot at the origin.
  for (const f of frames) if (!f.ballPosition) f.ballPosition = [0, 0, robot.ball.radius];
  events.sort((a, b) => a.t - b.t);
  return { title, kind: 'mcap', robot: episodeRobot(robot), terrain: { kind: 'flat' }, controlDt: 1 / robot.control.rateHz, frames, events };
}
