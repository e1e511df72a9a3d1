// Training configuration: one YAML file per algorithm and task under configs/train/,
// validated with zod at load; every key can be overridden from the command line with
// `--set ppo.lr=1e-3` (parsed as YAML, then validated again).
import { z } from 'zod';
import { applyOverrides, loadYamlFile, parseYaml, validateConfig } from '../sim/config/yaml.js';
import { readFileSync } from 'node:fs';
import { A2cSchema, DdpgSchema, Td3Schema } from './algorithms/algo-configs.js';

const positive = z.number().positive();
const unit = z.number().min(0).max(1);
const int = (min = 0) => z.number().int().min(min);

export const NetworkSchema = z.strictObject({
  actor: z.array(int(1)).min(1).default([64, 64]),
  critic: z.array(int(1)).min(1).default([64, 64]),
  activation: z.enum(['tanh', 'relu', 'elu']).default('tanh'),
  /** Critic reads the env's privileged observation too (asymmetric actor-critic). */
  asymmetricCritic: z.boolean().default(false),
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
  logStdMin: z.number().default(-20),
  logStdMax: z.number().default(2),
});

export const TrainConfigSchema = z.strictObject({
  algo: z.enum(['ppo', 'sac', 'a2c', 'td3', 'ddpg']),
  /** Built-in task (pendulum, balance, velocity, terrain) or 'custom' with --env. */
  task: z.string().min(1),
  /** Bring-your-own env: module whose default export is an EnvFactory (set by --env). */
  envModule: z.string().optional(),
  seed: int().default(0),
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
  checkpointEvery: int(1).default(10), // PPO iterations, or SAC env steps / 1000
  evalEpisodes: int(0).default(10),
});

export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type PpoConfig = z.output<typeof PpoSchema>;
export type SacConfig = z.output<typeof SacSchema>;

/** Load a config file and apply `key.path=value` overrides; errors name the file and key. */
export function loadTrainConfig(file: string, overrides: readonly string[] = []): TrainConfig {
  if (overrides.length === 0) return loadYamlFile(TrainConfigSchema, file);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) return loadYamlFile(TrainConfigSchema, file); // reports the read error
    throw err;
  }
  return validateConfig(TrainConfigSchema, applyOverrides(raw, overrides), `${file} (with overrides ${overrides.join(' ')})`);
}

export function parseTrainConfig(value: unknown, source: string): TrainConfig {
  return validateConfig(TrainConfigSchema, value, source);
}
