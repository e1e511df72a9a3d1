// The ballbot as Gymnasium-style environments: a single Env, and the options and config
// resolution shared with the vectorized envs (sim/vec-env.ts).
import { loadRandomizationConfig, type RandomizationConfig } from './config/randomization.js';
import { loadRobotConfig, type RobotConfig } from './config/robot.js';
import { loadTask, RewardWeightsSchema, type RewardWeights, type TaskConfig } from './config/task.js';
import { validateConfig } from './config/yaml.js';
import { DEFAULT_RANDOMIZATION_CONFIG, DEFAULT_ROBOT_CONFIG } from './config/paths.js';
import { BallbotBatch, EPISODE_FIELDS, EPISODE_STRIDE, PRIV_SIZE, PRIVILEGED_LAYOUT } from './ballbot-batch.js';
import type { Env, StepResult } from './env.js';
import { ACTION_LAYOUT, ACTION_SIZE, OBS_SIZE, OBSERVATION_LAYOUT } from './observation.js';
import { box, type BoxSpace, type TensorSpace } from './spaces.js';

export interface BallbotEnvOptions {
  /** Built-in task name ('balance' | 'velocity' | 'terrain'), a YAML path, or a config. */
  task?: string | TaskConfig;
  /** Robot config or a YAML path (default configs/robot/default.yaml). */
  robot?: string | RobotConfig;
  /** Domain randomization: false (nominal robot, no pushes), true (default ranges), a YAML path, or a config. */
  randomize?: boolean | string | RandomizationConfig;
  /** Reward weights that replace the task's (e.g. a stronger actionRate penalty); unknown keys are an error. */
  reward?: Partial<RewardWeights>;
  seed?: number;
}

export interface ResolvedEnvConfig {
  robot: RobotConfig;
  task: TaskConfig;
  randomization: RandomizationConfig | null;
}

export function resolveEnvConfig(options: BallbotEnvOptions): ResolvedEnvConfig {
  const robot = typeof options.robot === 'object' ? options.robot : loadRobotConfig(options.robot ?? DEFAULT_ROBOT_CONFIG);
  const loaded = typeof options.task === 'object' ? options.task : loadTask(options.task ?? 'balance');
  const task = options.reward === undefined ? loaded : { ...loaded, reward: { ...loaded.reward, ...rewardOverrides(options.reward) } };
  const r = options.randomize;
  const randomization =
    r === undefined || r === false
      ? null
      : r === true
        ? loadRandomizationConfig(DEFAULT_RANDOMIZATION_CONFIG)
        : typeof r === 'string'
          ? loadRandomizationConfig(r)
          : r;
  return { robot, task, randomization };
}

/** Only the weights given (the schema would fill the others with defaults), validated. */
function rewardOverrides(given: Partial<RewardWeights>): Partial<RewardWeights> {
  const parsed = validateConfig(RewardWeightsSchema, given, 'env.reward');
  return Object.fromEntries(Object.keys(given).map((k) => [k, parsed[k as keyof RewardWeights]]));
}

export const ballbotObservationSpace = (): BoxSpace => box(OBS_SIZE, -Infinity, Infinity, OBSERVATION_LAYOUT);
export const ballbotActionSpace = (): BoxSpace => box(ACTION_SIZE, -1, 1, ACTION_LAYOUT);
export const ballbotPrivilegedSpace = (): BoxSpace => box(PRIV_SIZE, -Infinity, Infinity, PRIVILEGED_LAYOUT);

/** Episode statistics row -> object (for info and logs). */
export function episodeStatsToObject(stats: Float64Array, env: number): Record<string, number> {
  const out: Record<string, number> = {};
  EPISODE_FIELDS.forEach((name, k) => (out[name] = stats[env * EPISODE_STRIDE + k]));
  return out;
}

export class BallbotEnv implements Env {
  readonly observationSpace = ballbotObservationSpace();
  readonly actionSpace = ballbotActionSpace();
  readonly privilegedSpace = ballbotPrivilegedSpace();
  readonly dt: number;
  private seedCounter: number;
  private readonly action = new Float32Array(ACTION_SIZE);
  readonly observationSpaces?: Readonly<Record<string, TensorSpace>>;
  /** The last step ended the episode: extra observations come from the final frame. */
  private ended = false;

  private constructor(private readonly batch: BallbotBatch, seed: number) {
    this.dt = batch.controlDt;
    this.seedCounter = seed;
    if (batch.perception) this.observationSpaces = batch.perception.spaces();
  }

  static async create(options: BallbotEnvOptions = {}): Promise<BallbotEnv> {
    const config = resolveEnvConfig(options);
    const seed = options.seed ?? 0;
    return new BallbotEnv(await BallbotBatch.create({ ...config, numEnvs: 1, seed }), seed);
  }

  /** The underlying simulation (for viewers, recordings and tests). */
  get simulation(): BallbotBatch {
    return this.batch;
  }

  reset(seed?: number): Float32Array {
    // Without a seed, each reset draws a fresh episode (a new seed from the counter).
    this.seedCounter = seed ?? this.seedCounter + 1;
    this.ended = false;
    return this.batch.resetAll(this.seedCounter).slice();
  }

  step(action: Float32Array): StepResult {
    this.action.set(action.subarray(0, ACTION_SIZE));
    const b = this.batch;
    b.step(this.action);
    const ended = b.terminated[0] === 1 || b.truncated[0] === 1;
    this.ended = ended;
    // The batch auto-resets; a single Env returns the final observation and waits for reset().
    const obs = ended ? b.finalObs.slice(0, OBS_SIZE) : b.obs.slice();
    return {
      obs,
      reward: b.rewards[0],
      terminated: b.terminated[0] === 1,
      truncated: b.truncated[0] === 1,
      info: ended ? { episode: episodeStatsToObject(b.episodeStats, 0) } : {},
    };
  }

  privileged(): Float32Array {
    return this.batch.privileged.slice();
  }

  extraObservation(name: string): Float32Array {
    const perception = this.batch.perception;
    if (!perception) throw new Error(`extraObservation('${name}'): this task has no perception inputs (task key 'perception')`);
    return perception.output(name, this.ended).slice();
  }

  close(): void {
    this.batch.close();
  }
}

export function makeBallbotEnv(options: BallbotEnvOptions = {}): Promise<BallbotEnv> {
  return BallbotEnv.create(options);
}
