// The physical parameters of one episode: the robot config, optionally perturbed by
// domain randomization. Sampled at reset from the env's RNG and fixed for the episode.
import type { RobotConfig } from './config/robot.js';
import type { RandomizationConfig } from './config/randomization.js';
import { quatFromAxisAngle, quatMultiply } from './math3.js';
import type { Rng } from './rng.js';

export interface EpisodeParams {
  ballRadius: number;
  ballMass: number;
  ballInertia: number;
  friction: number;
  rollingDamping: number;
  spinDamping: number;
  bodyMass: number;
  comOffset: Float64Array; // [x, y, z] in the body frame (z = height above ball centre)
  bodyInertia: Float64Array; // [3]
  motorMaxTorque: Float64Array; // [3], strength-scaled
  motorTimeConstant: number;
  /** Torque delivered per N m commanded, from robot.motor.strength (the plant's own gain). */
  motorGain: number;
  /** Command latency (motor latency + randomized action latency), s. */
  actionLatency: number;
  controlJitter: number;
  /** Wheel-ball contact: ideal omniwheels, or friction-limited traction with roller friction. */
  drive: 'ideal' | 'traction';
  wheelFriction: number;
  wheelPreloadN: number;
  rollerDamping: number;
  sensorNoiseScale: number;
  gyroBias: Float64Array; // [3] rad/s
  /** IMU mounting rotation (x, y, z, w): the IMU frame relative to the body frame. */
  imuMisalignment: Float64Array;
  pushIntervalS: [number, number] | null;
  pushVelocityMps: [number, number];
  terrainRoughness: number;
}

export function nominalParams(robot: RobotConfig): EpisodeParams {
  const b = robot.ball;
  return {
    ballRadius: b.radius,
    ballMass: b.mass,
    ballInertia: b.inertiaFactor * b.mass * b.radius * b.radius,
    friction: b.friction,
    rollingDamping: b.rollingDamping,
    spinDamping: b.spinDamping,
    bodyMass: robot.body.mass,
    comOffset: Float64Array.of(robot.body.comOffset[0], robot.body.comOffset[1], robot.body.comHeight),
    bodyInertia: Float64Array.from(robot.body.inertia),
    motorMaxTorque: new Float64Array(3).fill(robot.motor.maxTorque),
    motorTimeConstant: robot.motor.timeConstant,
    motorGain: robot.motor.strength ?? 1,
    actionLatency: robot.motor.latency,
    controlJitter: 0,
    drive: robot.drive?.model ?? 'ideal',
    wheelFriction: robot.drive?.wheelFriction ?? 0.8,
    wheelPreloadN: robot.drive?.preloadN ?? 0,
    rollerDamping: robot.drive?.rollerDamping ?? 0,
    sensorNoiseScale: 1,
    gyroBias: new Float64Array(3),
    imuMisalignment: Float64Array.of(0, 0, 0, 1),
    pushIntervalS: null,
    pushVelocityMps: [0, 0],
    terrainRoughness: 1,
  };
}

/**
 * Sample an episode's parameters. `level` in [0, 1] is the curriculum: each range is
 * shrunk toward its nominal value (1 for scales) by that factor.
 */
export function sampleParams(robot: RobotConfig, cfg: RandomizationConfig, rng: Rng, level = 1): EpisodeParams {
  const p = nominalParams(robot);
  const scale = ([lo, hi]: readonly [number, number], nominal = 1) =>
    nominal + level * (rng.uniform(lo, hi) - nominal);
  const sym = (half: number) => level * rng.uniform(-half, half);

  p.bodyMass *= scale(cfg.bodyMassScale);
  p.comOffset[0] += sym(cfg.comOffsetM);
  p.comOffset[1] += sym(cfg.comOffsetM);
  p.comOffset[2] *= scale(cfg.comHeightScale);
  const inertia = scale(cfg.inertiaScale);
  for (let i = 0; i < 3; i++) p.bodyInertia[i] *= inertia;
  p.ballMass *= scale(cfg.ballMassScale);
  p.ballRadius *= scale(cfg.ballRadiusScale);
  p.ballInertia = robot.ball.inertiaFactor * p.ballMass * p.ballRadius * p.ballRadius;
  p.friction = scale(cfg.friction, robot.ball.friction);
  p.rollingDamping *= scale(cfg.rollingDampingScale);
  p.spinDamping *= scale(cfg.spinDampingScale);
  for (let i = 0; i < 3; i++) p.motorMaxTorque[i] *= scale(cfg.motorStrength);
  p.motorTimeConstant *= scale(cfg.motorTimeConstantScale);
  p.actionLatency += level * rng.uniform(cfg.actionLatencyS[0], cfg.actionLatencyS[1]);
  p.controlJitter = level * cfg.controlJitterS;
  p.sensorNoiseScale = scale(cfg.sensorNoiseScale);
  if (cfg.imuBias) for (let i = 0; i < 3; i++) p.gyroBias[i] = sym(robot.sensors.imu.gyroBias * cfg.imuBiasScale);
  if (cfg.imuMisalignment) {
    const max = (robot.sensors.imu.misalignmentDeg * Math.PI) / 180;
    const rx = quatFromAxisAngle(1, 0, 0, sym(max), new Float64Array(4));
    const ry = quatFromAxisAngle(0, 1, 0, sym(max), new Float64Array(4));
    quatMultiply(rx, ry, p.imuMisalignment);
  }
  if (cfg.pushes.enabled) {
    p.pushIntervalS = [cfg.pushes.intervalS[0], cfg.pushes.intervalS[1]];
    p.pushVelocityMps = [cfg.pushes.velocityMps[0] * level, cfg.pushes.velocityMps[1] * level];
  }
  p.terrainRoughness = scale(cfg.terrainRoughness);
  if (cfg.wheelFrictionScale) p.wheelFriction *= scale(cfg.wheelFrictionScale);
  if (cfg.rollerDampingScale) p.rollerDamping *= scale(cfg.rollerDampingScale);
  return p;
}
