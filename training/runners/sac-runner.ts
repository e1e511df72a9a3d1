// SAC on the shared off-policy loop (off-policy-runner.ts): a stochastic tanh-Gaussian actor
// explores by sampling; each update trains the twin critics, the actor and the entropy
// temperature alpha. Logs the mean losses, entropy and alpha of each iteration.
import { SacAgent, type SacState } from '../algorithms/sac.js';
import { OFF_POLICY_LOG_INTERVAL, offPolicyTrainedPolicy, runOffPolicy } from './off-policy-runner.js';
import type { RunContext, TrainedPolicy } from './run-context.js';

export const SAC_LOG_INTERVAL = OFF_POLICY_LOG_INTERVAL;

export async function runSac(ctx: RunContext): Promise<TrainedPolicy> {
  const { config, vec, rng } = ctx;
  const cfg = config.sac;
  const N = vec.numEnvs;
  const od = vec.observationSpace.shape[0];
  const A = vec.actionSpace.shape[0];
  const agent = new SacAgent(od, A, config, rng, Math.max(N, 1));

  const sums = { q: 0, pi: 0, ent: 0, n: 0 };
  const run = await runOffPolicy<{ agent: SacState }>(ctx, {
    algo: 'sac',
    settings: cfg,
    explore: (obs, n, out) => agent.act(obs, n, rng, out),
    update(batch) {
      const s = agent.update(batch, rng);
      sums.q += s.qLoss;
      sums.pi += s.actorLoss;
      sums.ent += s.entropy;
      sums.n++;
    },
    takeMetrics() {
      const row = {
        q_loss: sums.n ? sums.q / sums.n : NaN, policy_loss: sums.n ? sums.pi / sums.n : NaN,
        entropy: sums.n ? sums.ent / sums.n : NaN, alpha: agent.alpha, lr: cfg.lr,
      };
      Object.assign(sums, { q: 0, pi: 0, ent: 0, n: 0 });
      return row;
    },
    getState: () => ({ agent: agent.getState() }),
    setState: (s) => agent.setState(s.agent),
  });

  const out = new Float32Array(N * A);
  return offPolicyTrainedPolicy('sac', run, od, agent, (x, n) => {
    const a = n <= N ? out : new Float32Array(n * A);
    agent.act(x, n, null, a);
    return a;
  });
}
