// Synchronous advantage actor-critic (A2C, Mnih et al. 2016 in its synchronous form) as the
// special case of our PPO update it is (Huang et al. 2022, "A2C is a special case of PPO"):
// one epoch, one full-batch minibatch, no value clipping, no target-KL stop. At the only
// gradient step the new policy equals the rollout policy, so the probability ratio is 1,
// the clip is inactive and the gradient of the clipped surrogate is exactly A2C's
// -E[A * grad log pi]. So A2C shares PPO's networks (ppoNetworks), rollout storage, the
// fused loss step with entropy bonus, value coefficient and global gradient-norm clipping,
// observation normalization, checkpoints and the ONNX export, without a copy of any of it.
// The optimizer is PPO's Adam (SB3's A2C defaults to RMSprop; Adam is its other option).
//
// Advantages: bootstrapped n-step returns over the nSteps rollout (GAE with lambda = 1,
// which is what SB3's A2C computes), or GAE(lambda) when `advantage: gae`.
import { computeGae, type GaeInput } from '../storage/gae.js';
import type { PpoConfig, TrainConfig } from '../config.js';

/** The PPO settings under which one PPO update is one A2C update. */
export function a2cAsPpo(config: TrainConfig): PpoConfig {
  const a = config.a2c;
  return {
    stepsPerEnv: a.nSteps,
    epochs: 1,
    numMinibatches: 1,
    lr: a.lr,
    schedule: a.schedule,
    desiredKl: 0.01, // unused by the fixed and linear schedules
    gamma: a.gamma,
    gaeLambda: a.advantage === 'nstep' ? 1 : a.gaeLambda,
    clipCoef: 0.2, // inactive: the ratio is 1 at the single step
    clipValueLoss: false,
    temporalSmoothness: 0,
    entCoef: a.entCoef,
    vfCoef: a.vfCoef,
    maxGradNorm: a.maxGradNorm,
    targetKl: null,
    normAdvantages: a.normAdvantages,
    initLogStd: a.initLogStd,
    normalizeReward: a.normalizeReward,
    mode: 'sync',
    maxPolicyLag: 0,
  };
}

/**
 * Bootstrapped n-step returns and advantages over a [T x N] rollout:
 *   R_t = r_t + gamma R_{t+1} within an episode, R = r_t + gamma V(s'_t) where the rollout or a
 *   time-limit truncation cuts the episode, R = r_t at a termination; A_t = R_t - V(s_t).
 * This is GAE with lambda = 1 (the telescoping sum of TD errors), which the runner computes.
 */
export function nStepReturns(input: Omit<GaeInput, 'lambda'>, advantages: Float32Array, returns: Float32Array): void {
  computeGae({ ...input, lambda: 1 }, advantages, returns);
}
