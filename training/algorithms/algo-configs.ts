// Config sections of A2C, TD3 and DDPG (merged into TrainConfigSchema by config.ts). Kept
// apart from config.ts so each algorithm's knobs sit in one place; zod only, no tfjs.
import { z } from 'zod';

const positive = z.number().positive();
const unit = z.number().min(0).max(1);
const int = (min = 0) => z.number().int().min(min);

export const A2cSchema = z.strictObject({
  /** Rollout length per env per update (the n of the n-step return). */
  nSteps: int(1).default(5),
  /** 'nstep': bootstrapped n-step returns (GAE with lambda = 1, as SB3's A2C); 'gae': GAE(gaeLambda). */
  advantage: z.enum(['nstep', 'gae']).default('nstep'),
  gaeLambda: unit.default(0.95),
  lr: positive.default(7e-4),
  schedule: z.enum(['fixed', 'linear']).default('fixed'),
  gamma: unit.default(0.99),
  entCoef: z.number().min(0).default(0),
  vfCoef: z.number().min(0).default(0.5),
  maxGradNorm: positive.default(0.5),
  normAdvantages: z.boolean().default(false),
  initLogStd: z.number().default(0),
  normalizeReward: z.boolean().default(false),
});

const NoiseSchema = z.strictObject({
  /** Exploration noise on the actor's [-1, 1] action: Gaussian, or Ornstein-Uhlenbeck (temporally correlated). */
  type: z.enum(['gaussian', 'ou']).default('gaussian'),
  sigma: z.number().min(0).default(0.1),
  /** OU mean-reversion rate and time step (SB3 defaults). */
  theta: z.number().min(0).default(0.15),
  dt: positive.default(1e-2),
});

/** Exponential moving average of the actor's weights, exported instead of the raw weights when set. */
const EmaSchema = z.strictObject({
  decay: unit.nullable().default(null),
  /** Export the EMA actor (true) or the raw actor (false) when decay is set. */
  export: z.boolean().default(true),
});

const deterministicFields = {
  bufferSize: int(1).default(1_000_000),
  learningStarts: int(0).default(100),
  batchSize: int(1).default(256),
  actorLr: positive.default(1e-3),
  criticLr: positive.default(1e-3),
  gamma: unit.default(0.99),
  tau: unit.default(0.005),
  /** Gradient updates per env step (update-to-data ratio). */
  utd: positive.default(1),
  noise: NoiseSchema.prefault({}),
  ema: EmaSchema.prefault({}),
};

export const Td3Schema = z.strictObject({
  ...deterministicFields,
  /** Target policy smoothing: N(0, policyNoise) clipped to +-noiseClip, on the [-1, 1] action. */
  policyNoise: z.number().min(0).default(0.2),
  noiseClip: z.number().min(0).default(0.5),
  /** The actor and the targets are updated every policyDelay critic updates. */
  policyDelay: int(1).default(2),
});

export const DdpgSchema = z.strictObject(deterministicFields);
