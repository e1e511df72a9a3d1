// TD3 and DDPG on the shared off-policy loop (off-policy-runner.ts): the deterministic actor
// explores with tanh(mu(s)) + exploration noise (clipped to [-1, 1]); the noise's correlated
// state is reset when an env's episode ends and is checkpointed so --resume continues exactly.
// TD3 delays its actor updates, so the policy loss is averaged over the updates that had one.
import { DeterministicAgent, td3Options, type DeterministicState } from '../algorithms/td3.js';
import { ddpgOptions } from '../algorithms/ddpg.js';
import { makeNoise } from '../algorithms/exploration-noise.js';
import { offPolicyTrainedPolicy, runOffPolicy, type OffPolicyCheckpointFields } from './off-policy-runner.js';
import type { RunContext, TrainedPolicy } from './run-context.js';

interface DeterministicAlgoState {
  agent: DeterministicState;
  noise: Float32Array;
}

export type DeterministicCheckpoint = OffPolicyCheckpointFields & DeterministicAlgoState & { algo: 'td3' | 'ddpg' };

export async function runDeterministic(ctx: RunContext, algo: 'td3' | 'ddpg'): Promise<TrainedPolicy> {
  const { config, vec, rng } = ctx;
  const cfg = algo === 'td3' ? config.td3 : config.ddpg;
  const N = vec.numEnvs;
  const od = vec.observationSpace.shape[0];
  const A = vec.actionSpace.shape[0];
  const agent = new DeterministicAgent(od, A, config, algo === 'td3' ? td3Options(config) : ddpgOptions(config), rng, Math.max(N, cfg.batchSize));
  const noise = makeNoise(cfg.noise, N, A);
  const eps = new Float32Array(N * A);

  const sums = { q: 0, pi: 0, n: 0, nPi: 0 };
  const run = await runOffPolicy<DeterministicAlgoState>(ctx, {
    algo,
    settings: cfg,
    explore(obs, n, out) {
      agent.act(obs, n, out);
      noise.sample(rng, eps);
      for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(-1, out[i] + eps[i]));
    },
    episodeEnded: (i) => noise.resetEnv(i),
    update(batch) {
      const s = agent.update(batch, rng);
      sums.q += s.qLoss;
      sums.n++;
      if (s.actorUpdated) {
        sums.pi += s.actorLoss;
        sums.nPi++;
      }
    },
    takeMetrics() {
      const row = { q_loss: sums.n ? sums.q / sums.n : NaN, policy_loss: sums.nPi ? sums.pi / sums.nPi : NaN, lr: cfg.actorLr };
      Object.assign(sums, { q: 0, pi: 0, n: 0, nPi: 0 });
      return row;
    },
    getState: () => ({ agent: agent.getState(), noise: noise.getState() }),
    setState(s) {
      agent.setState(s.agent);
      noise.setState(s.noise);
    },
  });

  const exported = agent.exportActor(cfg.ema.export);
  return offPolicyTrainedPolicy(algo, run, od, agent, (x, n) => agent.act(x, n, new Float32Array(n * A), exported));
}
