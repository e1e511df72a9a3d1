// A2C runs on the on-policy runner of PPO (rollout, advantages, update, logs, checkpoints)
// with the PPO settings that make its update an A2C update (a2c.ts). The config keeps
// `algo: a2c` and its `a2c:` block; the derived `ppo:` block is what the checkpoint holds,
// so --resume, export and eval read the run like any PPO-family run.
import { a2cAsPpo } from '../algorithms/a2c.js';
import { runPpo } from './on-policy-runner.js';
import type { RunContext, TrainedPolicy } from './run-context.js';

export async function runA2c(ctx: RunContext): Promise<TrainedPolicy> {
  const config = { ...ctx.config, ppo: a2cAsPpo(ctx.config) };
  return runPpo({ ...ctx, config });
}
