// Task definitions: what the robot is asked to do, how it is rewarded, when an episode
// ends. Reward terms are generic; a task is a set of weights (0 disables a term).
import { z } from 'zod';
import { configPath } from './paths.js';
import { TaskPerceptionSchema } from '../perception/config.js';
import { TERRAIN_KINDS } from '../terrain.js';
import { loadYamlFile } from './yaml.js';

const interval = (lo: number, hi: number) =>
  z
    .tuple([z.number().min(lo).max(hi), z.number().min(lo).max(hi)])
    .refine(([a, b]) => a <= b, { message: 'range must be [low, high] with low <= high' });

export const RewardWeightsSchema = z.strictObject({
  /** Per second upright. */
  alive: z.number().default(0),
  /** x tilt^2 (rad^2). */
  tilt: z.number().default(0),
  /** x (roll rate^2 + pitch rate^2) of the body, (rad/s)^2. */
  bodyAngularVelocity: z.number().default(0),
  /** x horizontal ball speed^2 (for balancing in place). */
  ballSpeed: z.number().default(0),
  /** x min(distance from start^2, 4) (m^2). */
  distance: z.number().default(0),
  /** x exp(-|v - v_cmd|^2 / 0.25): velocity tracking in the heading frame. */
  velocityTracking: z.number().default(0),
  /** x |v - v_cmd|^2, (m/s)^2: a tracking penalty that keeps its slope where the exp kernel flattens (errors past 0.3 m/s). */
  velocityError: z.number().default(0),
  /** x exp(-(yaw rate - cmd)^2 / 0.25). */
  yawRateTracking: z.number().default(0),
  /** x yaw rate^2. */
  yawRate: z.number().default(0),
  /** x |a_t - a_{t-1}|^2: smooth commands (chatter shakes real robots). */
  actionRate: z.number().default(0),
  /** x |a|^2: torque effort. */
  actionMagnitude: z.number().default(0),
  /** Once, when the episode terminates by a fall (not scaled by dt). */
  fall: z.number().default(0),
});

const TaskSchema = z.strictObject({
  name: z.string().min(1),
  episodeSeconds: z.number().min(0.1).max(3600),
  tiltLimitDeg: z.number().min(1).max(89),
  /** Initial tilt magnitude (deg), uniform in the range, random direction. */
  initTiltDeg: interval(0, 30),
  terrain: z.enum(TERRAIN_KINDS),
  /**
   * Terrain difficulty in [0, 1] for slopes, steps, bumps and mixed: each episode draws it
   * uniformly from [low, low + (high - low) * curriculum level]. Default [1, 1].
   */
  terrainDifficulty: interval(0, 1).optional(),
  commands: z
    .strictObject({
      vx: interval(-5, 5),
      vy: interval(-5, 5),
      yawRate: interval(-5, 5),
      /** A new command every U(resampleS) seconds. */
      resampleS: interval(0.1, 600),
      /** Probability that a sampled command is zero (standing still is a command too). */
      zeroProbability: z.number().min(0).max(1),
    })
    .nullable(),
  /** Reward = dt * sum(weight * term) each step (+ fall once). */
  reward: RewardWeightsSchema,
  /** Which perception inputs the env computes (the robot config must carry the sensors). */
  perception: TaskPerceptionSchema.optional(),
});

export type TaskConfig = z.output<typeof TaskSchema>;
export type RewardWeights = z.output<typeof RewardWeightsSchema>;

export const BUILTIN_TASKS = ['balance', 'velocity', 'terrain', 'terrain-slopes', 'terrain-steps', 'terrain-mixed', 'terrain-perceptive'] as const;

/** A task by built-in name (configs/tasks/NAME.yaml) or by path to a YAML file. */
export function loadTask(nameOrFile: string): TaskConfig {
  const file = (BUILTIN_TASKS as readonly string[]).includes(nameOrFile) ? configPath('tasks', `${nameOrFile}.yaml`) : nameOrFile;
  return loadYamlFile(TaskSchema, file);
}
