// Deploy configuration: control rate, robot, every safety rule's limits, timing and the sim
// link's imperfections. Defaults in configs/deploy/default.yaml; validated here with zod so a
// typo or an out-of-range limit is refused before anything moves.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadYamlFile, ConfigError } from '../sim/config/yaml.js';
import { existsSync } from 'node:fs';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';

const range = (lo: number, hi: number) => z.number().min(lo).max(hi);
const rule = <T extends z.ZodRawShape>(shape: T) => z.strictObject({ enabled: z.boolean().default(true), ...shape });

export const DeployConfigSchema = z.strictObject({
  /** Control loop rate; must equal the policy artifact's rate. */
  rateHz: range(10, 500).default(100),
  /** Robot config file, relative to this deploy config file (default: the package's configs/robot/default.yaml). */
  robot: z.string().min(1).optional(),
  /** Commanded (vx, vy, yaw rate) fed into the observation; zeros = balance in place. */
  command: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
  safety: z.strictObject({
    /** Clip every wheel torque to +-maxTorqueNm (N m). Logged when it starts and stops clipping. */
    actionClip: rule({ maxTorqueNm: range(0, 100).default(1.98) }).prefault({}),
    /** Limit the change of each wheel torque to maxNmPerS (N m per second). */
    slewRate: rule({ maxNmPerS: range(0.1, 100000).default(200) }).prefault({}),
    /** Soft start: torque scaled from 0 to 1 over `seconds` after arming. */
    armingRamp: rule({ seconds: range(0, 10).default(1) }).prefault({}),
    /** Latched e-stop when the body tilts beyond maxTiltDeg from vertical. */
    tiltCutoff: rule({ maxTiltDeg: range(1, 89).default(25) }).prefault({}),
    /** Latched e-stop when the newest state is older than timeoutMs (stamp to now). */
    staleState: rule({ timeoutMs: range(1, 5000).default(60) }).prefault({}),
    /** Latched e-stop when the link reports itself unhealthy or silent for maxSilenceMs. */
    linkHealth: rule({ maxSilenceMs: range(1, 5000).default(100) }).prefault({}),
    /** Latched e-stop on NaN/Inf in the observation or the policy's action. */
    nonFinite: rule({}).prefault({}),
    /** Latched e-stop after maxConsecutive ticks in a row that were missed or overran. */
    deadlineOverruns: rule({ maxConsecutive: z.number().int().min(1).max(1000).default(5) }).prefault({}),
    /** Latched e-stop when the robot reports a fault flag. */
    robotFault: rule({}).prefault({}),
    /**
     * Latched e-stop when the robot's reported mode disagrees with the host's for longer than
     * maxMs (host arming or running, robot not armed). Links that report no mode skip it.
     */
    modeAgreement: rule({ maxMs: range(1, 5000).default(200) }).prefault({}),
    /** How long an arm request waits for a fresh, upright state before it is refused, ms. */
    armWaitMs: range(0, 60000).default(2000),
    /** Arming is refused while the robot leans more than this (it would be caught mid-fall), deg. */
    armMaxTiltDeg: range(0, 89).default(10),
  }).prefault({}),
  timing: z.strictObject({
    /**
     * Wake this long before each deadline, warm the policy (one inference on scratch output)
     * and busy-wait to the deadline on the control thread: a tick that starts from a hot core
     * (costs spinUs of CPU per tick), us. 0 = sleep until the deadline.
     */
    spinUs: range(0, 2000).default(0),
  }).prefault({}),
  /** The in-process simulated robot (`--link sim`). */
  sim: z.strictObject({
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    /** Randomized dynamics per run (configs/randomization/default.yaml). */
    randomize: z.boolean().default(true),
    /** Extra delay of state delivery to the controller, ms. */
    stateLatencyMs: range(0, 200).default(2),
    /** Extra delay of commands to the motors, ms. */
    commandLatencyMs: range(0, 200).default(0),
    /** Probability that one state update is lost. */
    dropoutProb: range(0, 0.9).default(0.01),
    /** Extra gyro noise (rad/s std) on top of the robot's sensor model. */
    gyroNoise: range(0, 5).default(0),
    /** Start tilt, deg. */
    initTiltDeg: range(0, 30).default(1),
    /** Tilt injected by `--inject tilt@T` (the IMU reports the body tipped by this much), deg. */
    injectTiltDeg: range(1, 89).default(40),
  }).prefault({}),
  /** Perception inputs (depth, height scan) of a perceptive policy: where frames come from, how long a late one is held. */
  perception: z.strictObject({
    /**
     * link: the control link carries them (sim: rendered from its plant; ros2: its perception
     * topics). ros2: a perception-only ROS 2 node on the ROS 2 config's perception topics, beside
     * any link (the serial link carries no images).
     */
    source: z.enum(['link', 'ros2']).default('link'),
    /** The ROS 2 config (perception topics) for source ros2, relative to this file (default configs/deploy/ros2.yaml). */
    ros2Config: z.string().min(1).optional(),
    /**
     * Per input: how long its newest frame may be fed again after it is overdue (older than one
     * sensor period), ms; after that zero torque and the e-stop latches (perceptionStale).
     * Absent: 3 sensor periods.
     */
    holdMs: z.strictObject({
      depth: range(0, 5000).optional(),
      height_scan: range(0, 5000).optional(),
    }).prefault({}),
  }).prefault({}),
  telemetry: z.strictObject({
    /** MCAP chunk size, bytes: a crash loses at most the chunk being filled. */
    chunkBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
    /** Messages waiting to be written beyond this many bytes are dropped (and counted), never piled up. */
    maxQueueBytes: z.number().int().min(64 * 1024).max(512 * 1024 * 1024).default(16 * 1024 * 1024),
  }).prefault({}),
});

export type DeployConfig = z.output<typeof DeployConfigSchema> & {
  /** Absolute robot config path. */ robotFile: string;
  source: string;
  /** Absolute ROS 2 config path for perception.source ros2 (absent: the package default). */ perceptionRos2File?: string;
};

/** Sensor periods a late perception frame is held by default (perception.holdMs). */
export const DEFAULT_PERCEPTION_HOLD_PERIODS = 3;

export const DEFAULT_DEPLOY_CONFIG = fileURLToPath(new URL('../../configs/deploy/default.yaml', import.meta.url));

/** Load, apply key=value overrides, validate; the robot path is resolved against the file. */
export function loadDeployConfig(file: string = DEFAULT_DEPLOY_CONFIG, overrides: readonly string[] = []): DeployConfig {
  const cfg = loadYamlFile(DeployConfigSchema, file, overrides);
  const robotFile = cfg.robot === undefined ? DEFAULT_ROBOT_CONFIG : resolve(dirname(file), cfg.robot);
  if (!existsSync(robotFile)) throw new ConfigError(file, [`robot: '${cfg.robot}' resolves to ${robotFile}, which does not exist (the path is relative to this file)`]);
  const perceptionRos2File = cfg.perception.ros2Config === undefined ? undefined : resolve(dirname(file), cfg.perception.ros2Config);
  if (perceptionRos2File && !existsSync(perceptionRos2File)) {
    throw new ConfigError(file, [`perception.ros2Config: '${cfg.perception.ros2Config}' resolves to ${perceptionRos2File}, which does not exist (the path is relative to this file)`]);
  }
  return { ...cfg, robotFile, source: file, ...(perceptionRos2File ? { perceptionRos2File } : {}) };
}

/** The defaults without a file (tests, programmatic use). */
export function defaultDeployConfig(overrides: readonly string[] = []): DeployConfig {
  return loadDeployConfig(DEFAULT_DEPLOY_CONFIG, overrides);
}
