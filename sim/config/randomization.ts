// Domain randomization ranges. Each range is sampled once per episode from the env's
// seed and held for the whole episode. A curriculum level in [0, 1] shrinks every range
// toward its nominal value (level 1 = the full ranges in the file).
import { z } from 'zod';
import { PerceptionRandomizationSchema } from '../perception/config.js';
import { loadYamlFile } from './yaml.js';
import { configPath } from './paths.js';

const interval = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, { message: 'range must be [low, high] with low <= high' });

export const RandomizationSchema = z.strictObject({
  bodyMassScale: interval(0.2, 5),
  /** Horizontal centre-of-mass offset, uniform in +-value on x and y, m. */
  comOffsetM: z.number().min(0).max(0.2),
  comHeightScale: interval(0.5, 2),
  inertiaScale: interval(0.2, 5),
  ballMassScale: interval(0.2, 5),
  ballRadiusScale: interval(0.5, 1.5),
  friction: interval(0.05, 3),
  rollingDampingScale: interval(0, 10),
  spinDampingScale: interval(0, 10),
  /** Per-wheel motor strength multiplier. */
  motorStrength: interval(0.1, 2),
  motorTimeConstantScale: interval(0, 10),
  /** Extra command latency, s (added to the robot's own). */
  actionLatencyS: interval(0, 0.05),
  /** Per-step random extra delay of the command, uniform in [0, value], s. */
  controlJitterS: z.number().min(0).max(0.02),
  sensorNoiseScale: interval(0, 10),
  /** Sample a constant gyro bias of up to robot.sensors.imu.gyroBias per axis. */
  imuBias: z.boolean(),
  /** Multiplier on that gyro bias magnitude (stress sets widen it). */
  imuBiasScale: z.number().min(0).max(10).default(1),
  /** Sample an IMU mounting misalignment of up to robot.sensors.imu.misalignmentDeg. */
  imuMisalignment: z.boolean(),
  pushes: z.strictObject({
    enabled: z.boolean(),
    intervalS: interval(0.5, 120),
    /** Magnitude of the body velocity kick, m/s, random horizontal direction. */
    velocityMps: interval(0, 5),
  }),
  /** Terrain amplitude multiplier for rough terrain (1 = the task's nominal roughness). */
  terrainRoughness: interval(0, 3),
  /** Wheel-ball friction multiplier (robots with `drive.model: traction`); optional. */
  wheelFrictionScale: interval(0.1, 5).optional(),
  /** Roller friction multiplier (robots with `drive.model: traction`); optional. */
  rollerDampingScale: interval(0, 10).optional(),
  /** Perception errors (sim/perception); absent = the sensors' nominal noise and no pose error. */
  perception: PerceptionRandomizationSchema.optional(),
});

export type RandomizationConfig = z.output<typeof RandomizationSchema>;

/** Ranges by shipped name (configs/randomization/NAME.yaml, e.g. `stress`) or by path to a YAML file. */
export function loadRandomizationConfig(nameOrFile: string): RandomizationConfig {
  const file = /^[a-z0-9-]+$/.test(nameOrFile) ? configPath('randomization', `${nameOrFile}.yaml`) : nameOrFile;
  return loadYamlFile(RandomizationSchema, file);
}
