// Recording (sim/recording.ts) and robot config to what the page draws.
import type { RobotConfig } from '../../sim/config/robot.js';
import type { Recording } from '../../sim/recording.js';
import type { EpisodeData, EpisodeRobot } from '../page/episode.js';

export function episodeRobot(robot: RobotConfig): EpisodeRobot {
  return {
    name: robot.name,
    ballRadius: robot.ball.radius,
    comHeight: robot.body.comHeight,
    wheelRadius: robot.wheels.radius,
    zenithDeg: robot.wheels.zenithDeg,
    azimuthsDeg: [...robot.wheels.azimuthsDeg],
    maxTorque: robot.motor.maxTorque,
  };
}

export function episodeFromRecording(rec: Recording, title: string): EpisodeData {
  return {
    title,
    kind: 'recording',
    robot: episodeRobot(rec.header.robot),
    terrain: rec.header.terrain,
    controlDt: rec.header.controlDt,
    frames: rec.frames.map((f) => ({
      t: f.t,
      ballPosition: f.ballPosition,
      ballOrientation: f.ballOrientation,
      bodyOrientation: f.bodyOrientation,
      tiltRad: f.tiltRad,
      wheelVelocity: f.wheelVelocity,
      wheelTorque: f.wheelTorque,
      rawTorque: f.rawTorque,
      safeTorque: f.safeTorque,
      command: f.command,
    })),
    events: rec.events.map((e) =>
      e.kind === 'push' ? { t: e.t, kind: 'push', dv: e.dv } : e.kind === 'safety' ? { t: e.t, kind: 'safety', rule: e.rule, text: e.detail } : { t: e.t, kind: 'note', text: e.text },
    ),
  };
}
