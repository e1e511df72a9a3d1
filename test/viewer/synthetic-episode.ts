// A deterministic synthetic episode for viewer tests: the robot rolls around a circle while
// its body sways, the controller's raw torque sometimes exceeds the limit and is clipped,
// and two pushes happen. Written with the real RecordingWriter.
import { join } from 'node:path';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import { headerFor, RecordingWriter } from '../../sim/recording.js';

export const DEFAULT_ROBOT_FILE = join(process.cwd(), 'configs', 'robot', 'default.yaml');

export interface SyntheticEpisode {
  file: string;
  robot: RobotConfig;
  frames: number;
  pushes: number;
  safetyEvents: number;
  /** Ball position of frame i. */
  position(i: number): [number, number, number];
}

export function writeSyntheticEpisode(file: string, frames = 400, terrain: 'flat' | 'heightfield' = 'flat'): SyntheticEpisode {
  const robot = loadRobotConfig(DEFAULT_ROBOT_FILE);
  const dt = 1 / robot.control.rateHz;
  const R = robot.ball.radius;
  const radius = 0.6;
  const omega = (2 * Math.PI) / (frames * dt); // one lap per episode
  const position = (i: number): [number, number, number] => {
    const a = omega * i * dt;
    return [radius * Math.sin(a), radius * (1 - Math.cos(a)), R];
  };
  const rows = 21, cols = 21;
  const heightfield = {
    kind: 'heightfield' as const, rows, cols, sizeX: 4, sizeY: 4,
    heights: Array.from({ length: rows * cols }, (_, k) => 0.03 * Math.sin((k % cols) * 0.7) * Math.cos(Math.floor(k / cols) * 0.5)),
  };
  const writer = new RecordingWriter(file, headerFor(robot, dt, { terrain: terrain === 'flat' ? { kind: 'flat' } : heightfield, source: { command: 'test', controller: 'synthetic' } }));
  let safetyEvents = 0;
  let clipping = false;
  const max = robot.motor.maxTorque;
  for (let i = 0; i < frames; i++) {
    const t = i * dt;
    const a = omega * t;
    const tilt = 0.08 * Math.sin(3 * t);
    // Body leans forward, about the horizontal axis perpendicular to the direction of travel.
    const s = Math.sin(tilt / 2);
    const lean = [-Math.sin(a) * s, Math.cos(a) * s, 0, Math.cos(tilt / 2)];
    const roll = (radius * a) / R; // ball turned angle
    const ballQ = [Math.sin(roll / 2), 0, 0, Math.cos(roll / 2)];
    const raw = [0, 1, 2].map((k) => 2.4 * Math.sin(2 * t + (k * 2 * Math.PI) / 3));
    const safe = raw.map((v) => Math.max(-max, Math.min(max, v)));
    const clipped = raw.some((v, k) => v !== safe[k]);
    if (clipped && !clipping) {
      writer.event({ kind: 'safety', t, rule: 'clip', detail: 'torque above motor limit' });
      safetyEvents++;
    }
    clipping = clipped;
    if (i === Math.floor(frames * 0.25) || i === Math.floor(frames * 0.6)) writer.event({ kind: 'push', t, dv: [0.4 * Math.cos(a), 0.4 * Math.sin(a)] });
    writer.frame({
      t,
      ballPosition: position(i),
      ballVelocity: [radius * omega * Math.cos(a), radius * omega * Math.sin(a), 0],
      ballOrientation: ballQ,
      bodyOrientation: lean,
      tiltRad: Math.abs(tilt),
      wheelVelocity: Float64Array.from([0, 1, 2], (k) => 20 * Math.sin(t + k)),
      wheelTorque: Float64Array.from(safe),
      rawTorque: raw,
      safeTorque: safe,
      command: [radius * omega, 0, omega],
      reward: 1 - tilt * tilt,
    });
  }
  writer.close({ reason: 'truncated' });
  return { file, robot, frames, pushes: 2, safetyEvents, position };
}
