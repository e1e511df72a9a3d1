// Training configuration: one YAML file per algorithm and task under configs/train/,
// validated with zod at load; every key can be overridden from the command line with
// `--set ppo.lr=1e-3` (parsed as YAML, then validated again).
import { z } from 'zod';
import { loadYamlFile, validateConfig } from '../sim/config/yaml.js';
import { parseTrackingMemoryOptions } from '../sim/tracking-memory.js';
import { parseObservationHistoryOptions } from '../sim/observation-history.js';
import { A2cSchema, DdpgSchema, Td3Schema } from './algorithms/algo-configs.js';
import { BALLBOT_TASKS } from './tasks.js';

const positive = z.number().positive();
const unit = z.number().min(0).max(1);
const int = (min = 0) => z.number().int().min(min);

export const NetworkSchema = z.strictObject({
  actor: z.array(int(1)).min(1).default([64, 64]),
  critic: z.array(int(1)).min(1).default([64, 64]),
  activation: z.enum(['tanh', 'relu', 'elu']).default('tanh'),
  /** Critic reads the env's privileged observation too (asymmetric actor-critic). */
  asymmetricCritic: z.boolean().default(false),
  /**
   * Encoders for the env's named extra observations (PPO): each input the task computes is
   * divided by a fixed scale (so the missing-reading sentinel 0 stays 0), encoded, and its
   * features are concatenated with the normalized `obs` into the actor trunk.
   */
  perception: z.strictObject({
    heightScan: z.strictObject({
      hidden: z.array(int(1)).default([64]),
      features: int(1).default(32),
      scale: positive.default(0.1), // m: +-0.1 m of terrain reads as +-1
    }).prefault({}),
    depth: z.strictObject({
      /** Output channels of each 3x3 stride-2 convolution (padding 1). */
      channels: z.array(int(1)).min(1).default([8, 16]),
      features: int(1).default(32),
      scale: positive.default(1), // m
    }).prefault({}),
  }).prefault({}),
});

export const PpoSchema = z.strictObject({
  stepsPerEnv: int(1).default(2048), // rollout length per env per iteration
  epochs: int(1).default(10),
  numMinibatches: int(1).default(32),
  lr: positive.default(3e-4),
  /** fixed, linear (anneal to 0, as CleanRL) or adaptive (KL-driven, as rsl_rl). */
  schedule: z.enum(['fixed', 'linear', 'adaptive']).default('linear'),
  desiredKl: positive.default(0.01),
  gamma: unit.default(0.99),
  gaeLambda: unit.default(0.95),
  clipCoef: positive.default(0.2),
  clipValueLoss: z.boolean().default(true),
  entCoef: z.number().min(0).default(0),
  vfCoef: z.number().min(0).default(0.5),
  maxGradNorm: positive.default(0.5),
  /** Stop an iteration's epochs once the approximate KL exceeds this (null: never). */
  targetKl: positive.nullable().default(null),
  normAdvantages: z.boolean().default(true),
  initLogStd: z.number().default(0),
  normalizeReward: z.boolean().default(false),
  /**
   * sync: rollout and update take turns (bit-reproducible). async: rollout actors on worker
   * threads (`workers` of them, numEnvs split evenly) collect while the learner updates.
   */
  mode: z.enum(['sync', 'async']).default('sync'),
  /** async: rollouts made by a policy more than this many updates behind the learner are dropped. */
  maxPolicyLag: int(0).default(2),
  /**
   * Temporal smoothness (CAPS): adds temporalSmoothness x mean |mu(s_t) - mu(s_t+1)|^2 over the
   * rollout's consecutive steps of one episode: the deterministic action change the evaluation
   * counts. (An action-rate reward mostly sees the exploration noise, which the mean cannot change.)
   */
  temporalSmoothness: z.number().min(0).default(0),
  /**
   * Imitation warm start (DAgger): for the first `iterations` iterations the actor learns only to
   * match the LQR's action on every observation its own rollouts visit (loss = coef x mean_i
   * |mu(s_i) - LQR(s_i)|^2, fixed learning rate) while the critic learns the values as usual; then
   * PPO takes over. PPO starts from a policy that already follows commands instead of having to
   * discover that by exploration.
   */
  imitation: z.strictObject({
    teacher: z.literal('lqr'),
    coef: positive.default(1),
    iterations: int(1),
    /** After the phase, PPO's loss keeps this x the imitation loss (0: PPO alone). */
    keep: z.number().min(0).default(0),
  }).optional(),
});

export const SacSchema = z.strictObject({
  bufferSize: int(1).default(1_000_000),
  learningStarts: int(0).default(100),
  batchSize: int(1).default(256),
  lr: positive.default(3e-4),
  gamma: unit.default(0.99),
  tau: unit.default(0.005),
  /** Gradient updates per env step (update-to-data ratio). */
  utd: positive.default(1),
  /** 'auto' learns the temperature towards target entropy -|A|; a number fixes it. */
  alpha: z.union([z.literal('auto'), positive]).default('auto'),
  initAlpha: positive.default(1),
  /**
   * Rewards enter the replay buffer times this. The entropy bonus is per step, the ballbot's
   * reward is per second x dt (about 0.01 a step): without scaling the entropy term drowns it.
   */
  rewardScale: positive.default(1),
  logStdMin: z.number().default(-20),
  logStdMax: z.number().default(2),
}).refine((sac) => sac.logStdMin < sac.logStdMax, {
  path: ['logStdMin'],
  message: 'must be below sac.logStdMax (the policy clamps its log std to [logStdMin, logStdMax])',
});

export const TrainConfigSchema = z.strictObject({
  algo: z.enum(['ppo', 'sac', 'a2c', 'td3', 'ddpg']),
  /** Built-in task (pendulum, balance, velocity, terrain) or 'custom' with --env. */
  task: z.string().min(1),
  /** Bring-your-own env: module whose default export is an EnvFactory (set by --env). */
  envModule: z.string().optional(),
  seed: int().max(0xffffffff, { message: 'must be a 32-bit seed, 0 to 4294967295' }).default(0),
  totalSteps: int(1),
  numEnvs: int(1).default(4),
  /** Worker threads for the ballbot VecEnv (0: in-process). */
  workers: int().default(0),
  /** Options passed to the env factory (randomize, pushes, ...). */
  env: z.record(z.string(), z.unknown()).default({}),
  network: NetworkSchema.prefault({}),
  normalizeObs: z.boolean().default(true),
  obsClip: positive.default(10),
  ppo: PpoSchema.prefault({}),
  sac: SacSchema.prefault({}),
  a2c: A2cSchema.prefault({}),
  td3: Td3Schema.prefault({}),
  ddpg: DdpgSchema.prefault({}),
  /**
   * Ballbot tasks, PPO (sync): a curriculum over randomization width. Every range of the training
   * randomization (and push strength, terrain roughness and difficulty) is shrunk toward its
   * nominal value by a level that grows linearly from startLevel to 1 over the first rampSteps env
   * steps, then stays at 1 (sim/episode-params.ts). Episodes draw their parameters at reset.
   */
  curriculum: z.strictObject({
    startLevel: z.number().min(0).max(1),
    rampSteps: int(1),
  }).optional(),
  checkpointEvery: int(1).default(10), // PPO iterations, or SAC env steps / 1000
  evalEpisodes: int(0).default(10),
  /**
   * Ballbot tasks: the randomization sets (names in configs/randomization/ or YAML files) the
   * end-of-run evaluation against the LQR uses, one table each; default: the training env's own.
   */
  evalRandomization: z.array(z.string().min(1)).min(1).optional(),
  /** Seed block of the end-of-run evaluation (default: the run's seed). */
  evalSeed: int(0).optional(),
}).superRefine((config, ctx) => {
  checkTaskAndEnv(config, ctx);
  if (config.curriculum) checkCurriculum(config, ctx);
  if (config.algo !== 'ppo') return;
  if (config.ppo.imitation) checkImitation(config, ctx);
  // A minibatch of one sample has a normalized advantage of 0, so PPO would learn nothing.
  const batch = config.ppo.stepsPerEnv * config.numEnvs;
  if (Math.floor(batch / config.ppo.numMinibatches) < 2) {
    ctx.addIssue({
      code: 'custom', path: ['ppo', 'numMinibatches'],
      message: `${config.ppo.numMinibatches} minibatches of a batch of ${batch} (ppo.stepsPerEnv ${config.ppo.stepsPerEnv} x numEnvs ${config.numEnvs}) leave fewer than 2 samples each; use at most ${Math.floor(batch / 2)}`,
    });
  }
});

/** A built-in ballbot task (not a custom --env module), whose env the LQR and the randomization serve. */
function isBallbotTask(config: { task: string; envModule?: string }): boolean {
  return !config.envModule && (BALLBOT_TASKS as readonly string[]).includes(config.task);
}

function checkCurriculum(config: { algo: string; task: string; envModule?: string; env: Record<string, unknown>; ppo: { mode: string } }, ctx: z.RefinementCtx): void {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['curriculum'], message });
  if (!isBallbotTask(config)) issue(`widens the ballbot randomization, so it needs a ballbot task (balance, velocity, terrain, ...), not '${config.task}'`);
  else if (config.env.randomize === false) issue('widens the training randomization, but env.randomize is false');
  if (config.algo !== 'ppo' || config.ppo.mode !== 'sync') issue('is applied by the synchronous PPO runner only (algo: ppo, ppo.mode: sync)');
}

function checkImitation(config: { task: string; envModule?: string; env: Record<string, unknown>; ppo: { mode: string } }, ctx: z.RefinementCtx): void {
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['ppo', 'imitation'], message });
  if (!isBallbotTask(config)) issue(`the LQR teacher needs a ballbot task (balance, velocity, terrain, ...), not '${config.task}'`);
  if (config.env.residual !== undefined) issue('cannot be combined with env.residual: the LQR is already the base of a residual policy');
  else if (config.env.memory === undefined) issue('needs env.memory: the LQR acts on its odometry (the integral of the tracking error), which a student without the tracking memory cannot see');
  if (config.ppo.mode !== 'sync') issue('needs ppo.mode: sync (the teacher labels the rollouts the learner collects itself)');
}

/** The `env:` keys each built-in task reads (seed and task come from the run); a custom --env module takes any. */
const BUILTIN_ENV_KEYS: Record<string, readonly string[]> = {
  pendulum: [],
  ...Object.fromEntries(BALLBOT_TASKS.map((task) => [task, ['robot', 'randomize', 'residual', 'memory', 'history', 'reward']])),
};

function checkTaskAndEnv(config: { task: string; envModule?: string; env: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  // 'custom' configs (configs/train/*-custom.yaml) are templates: --env MODULE supplies the env.
  if (config.envModule || config.task === 'custom') return;
  const known = BUILTIN_ENV_KEYS[config.task];
  if (!known) {
    ctx.addIssue({ code: 'custom', path: ['task'], message: `unknown task '${config.task}': use one of ${Object.keys(BUILTIN_ENV_KEYS).join(', ')}, or 'custom' with envModule (--env MODULE)` });
    return;
  }
  // Observation state the policy sees beside the observation: checked by its own parser, and
  // not with a residual (the residual's base controller reads the plain observation).
  const stateBlocks = { memory: parseTrackingMemoryOptions, history: parseObservationHistoryOptions } as const;
  for (const [key, parse] of Object.entries(stateBlocks)) {
    if (config.env[key] === undefined) continue;
    try {
      parse(config.env[key], 'training config');
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['env', key], message: (err as Error).message.replace(/^training config: /, '') });
    }
    if (config.env.residual !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['env'], message: `env.${key} and env.residual cannot be combined (the residual's base controller reads the plain observation); use one of them` });
    }
  }
  const unknown = Object.keys(config.env).filter((key) => !known.includes(key));
  if (unknown.length) {
    const allowed = known.length ? `it reads ${known.join(', ')}` : 'it takes no env options';
    ctx.addIssue({ code: 'custom', path: ['env'], message: `task ${config.task} does not read ${unknown.map((k) => `'${k}'`).join(', ')} (${allowed})` });
  }
}

export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type PpoConfig = z.output<typeof PpoSchema>;
export type SacConfig = z.output<typeof SacSchema>;

/** Load a config file and apply `key.path=value` overrides; errors name the file and key. */
export function loadTrainConfig(file: string, overrides: readonly string[] = []): TrainConfig {
  return loadYamlFile(TrainConfigSchema, file, overrides);
}

export function parseTrainConfig(value: unknown, source: string): TrainConfig {
  return validateConfig(TrainConfigSchema, value, source);
}
