// A deploy-format recording made in simulated time: the plant a robot config describes, driven
// tick by tick by a controller (LQR for the controller's robot) plus an identification
// excitation, written as the same MCAP channels `ballbot deploy --record` writes. Deterministic
// (no wall clock), so tests and benchmarks of replay and system identification repeat exactly.
import type { RobotConfig } from '../sim/config/robot.js';
import { robotIdentity } from '../sim/config/robot.js';
import { createLqrController } from '../sim/lqr.js';
import { buildObservation, OBS_SIZE } from '../sim/observation.js';
import { createPlant } from '../sim/plant.js';
import type { Excitation } from '../deploy/excitation.js';
import { Telemetry } from '../deploy/telemetry.js';

export interface LockstepRecordingOptions {
  file: string;
  /** The robot the controller was made for (named in the recording). */
  controllerRobot: RobotConfig;
  /** The robot that is simulated (the "real" one). */
  plantRobot: RobotConfig;
  ticks: number;
  excitation?: Excitation;
  seed?: number;
  initTiltDeg?: number;
  /** Mode written with every command (DISARMED makes a recording with nothing armed). */
  mode?: 'RUNNING' | 'DISARMED';
}

/** Record; resolves with the largest tilt seen, deg. */
export async function recordLockstep(o: LockstepRecordingOptions): Promise<number> {
  const rateHz = o.controllerRobot.control.rateHz;
  const dtMs = 1000 / rateHz;
  const plant = await createPlant({ robot: o.plantRobot, seed: o.seed ?? 1, initTiltDeg: o.initTiltDeg ?? 1 });
  const lqr = createLqrController(o.controllerRobot);
  const tel = await Telemetry.open(o.file, {
    chunkBytes: 64 * 1024, channels: ['state', 'action', 'timing'],
    metadata: {
      policy: 'lqr', link: 'lockstep', rateHz: String(rateHz), robot: o.controllerRobot.name,
      robotHash: robotIdentity(o.controllerRobot).hash, robotConfig: JSON.stringify(o.controllerRobot),
    },
  });
  const maxT = o.controllerRobot.motor.maxTorque;
  const obs = new Float32Array(OBS_SIZE), action = new Float32Array(3), prev = new Float32Array(3), torque = new Float64Array(3);
  let maxTilt = 0;
  try {
    for (let k = 0; k < o.ticks; k++) {
      const stampMs = 1000 + k * dtMs;
      const s = plant.sensors();
      buildObservation(s, prev, [0, 0, 0], obs);
      maxTilt = Math.max(maxTilt, Math.acos(Math.min(1, -obs[2])) * (180 / Math.PI));
      lqr.act(obs, action);
      for (let i = 0; i < 3; i++) torque[i] = action[i] * maxT;
      o.excitation?.addTo(torque, k * dtMs / 1000);
      for (let i = 0; i < 3; i++) { torque[i] = Math.max(-maxT, Math.min(maxT, torque[i])); prev[i] = torque[i] / maxT; }
      const computeUs = 100;
      tel.log('state', stampMs, { tick: k, stampMs, orientation: Array.from(s.orientation), gyro: Array.from(s.gyro), wheelVelocity: Array.from(s.wheelVelocity) });
      tel.log('action', stampMs, { tick: k, mode: o.mode ?? 'RUNNING', safeTorqueNm: Array.from(torque) });
      tel.log('timing', stampMs, { tick: k, deadlineMs: stampMs, latenessUs: 0, computeUs });
      plant.applyCommand(torque);
      plant.stepControl();
    }
  } finally {
    plant.close();
    await tel.close();
  }
  return maxTilt;
}
