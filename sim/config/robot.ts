// Robot parameters: the physical ballbot. Defaults live in configs/robot/*.yaml with the
// source of every number; this schema is the single definition of what a robot config is.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PerceptionConfigSchema } from '../perception/config.js';
import { readdirSync } from 'node:fs';
import { loadYamlFile } from './yaml.js';
import { configPath, DEFAULT_ROBOT_CONFIG } from './paths.js';

const pos = (what: string) => z.number().positive({ message: `${what} must be > 0` });
const range = (lo: number, hi: number) => z.number().min(lo).max(hi);

export const RobotConfigSchema = z.strictObject({
  name: z.string().min(1),
  gravity: range(0, 30).default(9.81),
  ball: z.strictObject({
    radius: range(0.02, 1),
    mass: range(0.01, 50),
    /** I = inertiaFactor * m * r^2: 2/5 solid sphere, 2/3 thin hollow shell. */
    inertiaFactor: range(0.1, 1),
    friction: range(0, 3),
    /** Rolling resistance as a damping torque on the ball's horizontal spin, N m s/rad. */
    rollingDamping: range(0, 10),
    /** Spinning resistance about the vertical at the contact, N m s/rad. */
    spinDamping: range(0, 10),
  }),
  body: z.strictObject({
    mass: range(0.1, 200),
    /** Centre of mass height above the ball centre, m. */
    comHeight: range(0.02, 3),
    /** Horizontal centre-of-mass offset (x, y) in the body frame, m. */
    comOffset: z.tuple([z.number(), z.number()]).default([0, 0]),
    /** Principal moments of inertia about the centre of mass (body x, y, z), kg m^2. */
    inertia: z.tuple([pos('inertia x'), pos('inertia y'), pos('inertia z')]),
  }),
  wheels: z.strictObject({
    radius: range(0.005, 0.5),
    /** Angle between each wheel's contact normal and the vertical, deg. */
    zenithDeg: range(5, 85),
    /** Azimuth of each wheel's contact point around the vertical, deg (x forward = 0). */
    azimuthsDeg: z.tuple([z.number(), z.number(), z.number()]),
  }),
  motor: z.strictObject({
    /** Stall torque at the wheel (after the gearbox), N m. */
    maxTorque: range(0.01, 100),
    /** Wheel speed at which the available torque reaches zero (back-EMF), rad/s. */
    noLoadSpeed: range(1, 10000),
    /** Viscous friction at the wheel, N m s/rad. */
    viscousFriction: range(0, 1),
    /** Coulomb friction at the wheel, N m. */
    coulombFriction: range(0, 5),
    /** First-order torque response time constant, s. */
    timeConstant: range(0, 0.2),
    /** Delay from command to motor, s. */
    latency: range(0, 0.1),
    /**
     * Torque the motor delivers per N m commanded (1 = as commanded; a worn or under-volted
     * motor is weaker). Optional, absent = 1, so existing robot hashes do not change.
     */
    strength: range(0.1, 2).optional(),
  }),
  /**
   * Wheel-ball contact. Optional, absent = ideal omniwheels (and existing robot hashes stay).
   * `traction`: friction-limited torque per wheel and roller friction (sim/wheel-contact.ts).
   */
  drive: z.strictObject({
    model: z.enum(['ideal', 'traction']),
    /** Wheel-to-ball friction coefficient. */
    wheelFriction: range(0.05, 3).default(0.8),
    /** Normal force each wheel presses on the ball beyond its share of the body's weight, N. */
    preloadN: range(0, 1000).default(0),
    /** Viscous friction of the free rollers at the contact, N s/m. */
    rollerDamping: range(0, 100).default(0.5),
  }).optional(),
  sensors: z.strictObject({
    imu: z.strictObject({
      gyroNoise: range(0, 5), // rad/s, std of white noise
      gyroBias: range(0, 1), // rad/s, magnitude of per-episode bias when randomized
      gravityNoise: range(0, 1), // unit-vector components, std
      /** Mounting misalignment of the IMU, deg (per-episode when randomized). */
      misalignmentDeg: range(0, 10),
      latency: range(0, 0.1), // s
      gyroQuantization: range(0, 0.1), // rad/s per LSB, 0 = none
    }),
    encoder: z.strictObject({
      velocityNoise: range(0, 20), // rad/s, std
      latency: range(0, 0.1),
      /** Counts per wheel revolution after the gearbox; velocity is quantized to one count per control period. 0 = none. */
      countsPerRev: z.number().int().min(0).max(1_000_000),
    }),
  }),
  control: z.strictObject({
    rateHz: range(10, 1000),
    physicsDt: range(0.0002, 0.02),
  }).refine((c) => physicsStepsIn(c) !== null, {
    path: ['physicsDt'],
    message: 'must divide the control period 1/control.rateHz into a whole number of physics steps (e.g. 0.002 at 100 Hz is 5 steps)',
  }),
  /** Depth camera and height scan (sim/perception); absent = a blind robot. */
  perception: PerceptionConfigSchema.optional(),
});

/** Physics steps per control period, or null when physicsDt does not divide it (to 1e-6 of a step). */
function physicsStepsIn(control: { rateHz: number; physicsDt: number }): number | null {
  const steps = 1 / (control.rateHz * control.physicsDt);
  const whole = Math.round(steps);
  return whole >= 1 && Math.abs(steps - whole) <= 1e-6 * whole ? whole : null;
}

export type RobotConfig = z.output<typeof RobotConfigSchema>;

export function loadRobotConfig(file: string): RobotConfig {
  return loadYamlFile(RobotConfigSchema, file);
}

/**
 * The shipped robot config (configs/robot/*.yaml) named `name`, or the default robot when
 * none is: what `ballbot eval` and `ballbot sim` build for an artifact trained on a shipped
 * robot (the artifact check still compares the hash).
 */
export function shippedRobotNamed(name: string): RobotConfig {
  const dir = configPath('robot');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
    const robot = loadRobotConfig(`${dir}/${file}`);
    if (robot.name === name) return robot;
  }
  return loadRobotConfig(DEFAULT_ROBOT_CONFIG);
}

/** Physics substeps per control step (the schema refuses a physicsDt that does not divide the period). */
export function substepsPerControl(robot: RobotConfig): number {
  const n = physicsStepsIn(robot.control);
  if (n === null) throw new Error(`robot ${robot.name}: control.physicsDt ${robot.control.physicsDt} does not divide the control period 1/${robot.control.rateHz} s`);
  return n;
}

/**
 * Identity of a robot: its name and a hash of its parameters, so deploy refuses a policy
 * trained for another robot. Key order is normalized so formatting does not matter.
 */
export function robotIdentity(robot: RobotConfig): { name: string; hash: string } {
  return { name: robot.name, hash: createHash('sha256').update(canonicalJson(robot)).digest('hex').slice(0, 16) };
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
