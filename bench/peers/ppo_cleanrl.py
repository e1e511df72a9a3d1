"""CleanRL-style PPO (ppo_continuous_action.py) on Pendulum-v1, one thread: the PyTorch peer
that bench/train.bench.ts runs side by side with this project's PPO. Same setting as the
bench: 4 envs x 1024 steps, 10 epochs, minibatch 64, 64x64 tanh, lr 3e-4 annealed, clipped
value loss, advantage normalization, grad-norm 0.5, observation and reward normalization.

Gymnasium is not needed: Pendulum-v1 is written out here (numpy, stepped env by env as
gym.vector.SyncVectorEnv does), with the wrappers CleanRL adds (running mean/std of
observations, clipped to 10; rewards scaled by the running std of the discounted return).

Prints one JSON line: {"envStepsPerSec": ..., "envStepsPerCpuSec": ..., "iterations": ..., "torch": ...}
(wall-clock and process-CPU rates over the iterations after the warm-up ones).
Usage: python3 ppo_cleanrl.py [--iterations 4] [--skip 1]
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(1)


class Pendulum:
    """Gymnasium Pendulum-v1 (g = 10), truncated after 200 steps."""

    def __init__(self, rng):
        self.rng = rng
        self.reset()

    def reset(self):
        self.th = self.rng.uniform(-np.pi, np.pi)
        self.thdot = self.rng.uniform(-1, 1)
        self.t = 0
        return self.obs()

    def obs(self):
        return np.array([np.cos(self.th), np.sin(self.th), self.thdot], dtype=np.float32)

    def step(self, u):
        u = float(np.clip(u[0], -2.0, 2.0))
        th, thdot = self.th, self.thdot
        ang = ((th + np.pi) % (2 * np.pi)) - np.pi
        cost = ang ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2
        thdot = np.clip(thdot + (3 * 10.0 / 2 * np.sin(th) + 3.0 * u) * 0.05, -8, 8)
        self.th = th + thdot * 0.05
        self.thdot = thdot
        self.t += 1
        return self.obs(), -cost, self.t >= 200


class RunningMeanStd:
    def __init__(self, shape):
        self.mean = np.zeros(shape, np.float64)
        self.var = np.ones(shape, np.float64)
        self.count = 1e-4

    def update(self, x):
        bm, bv, n = x.mean(0), x.var(0), x.shape[0]
        delta = bm - self.mean
        tot = self.count + n
        self.mean = self.mean + delta * n / tot
        self.var = (self.var * self.count + bv * n + delta ** 2 * self.count * n / tot) / tot
        self.count = tot


class VecPendulum:
    """SyncVectorEnv + ClipAction + NormalizeObservation + clip 10 + NormalizeReward + clip 10."""

    def __init__(self, n, seed, gamma):
        rng = np.random.default_rng(seed)
        self.envs = [Pendulum(np.random.default_rng(rng.integers(1 << 31))) for _ in range(n)]
        self.obs_rms = RunningMeanStd((3,))
        self.ret_rms = RunningMeanStd(())
        self.returns = np.zeros(n)
        self.gamma = gamma

    def normalize(self, obs):
        self.obs_rms.update(obs)
        return np.clip((obs - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + 1e-8), -10, 10).astype(np.float32)

    def reset(self):
        return self.normalize(np.stack([e.reset() for e in self.envs]))

    def step(self, actions):
        obs, rew, done = [], [], []
        for e, a in zip(self.envs, actions):
            o, r, d = e.step(a)
            if d:
                o = e.reset()
            obs.append(o)
            rew.append(r)
            done.append(d)
        rew = np.array(rew)
        done = np.array(done, dtype=np.float32)
        self.returns = self.returns * self.gamma + rew
        self.ret_rms.update(self.returns[:, None].reshape(-1))
        rew = np.clip(rew / np.sqrt(self.ret_rms.var + 1e-8), -10, 10)
        self.returns[done > 0] = 0
        return self.normalize(np.stack(obs)), rew.astype(np.float32), done


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self, od, ad):
        super().__init__()
        self.critic = nn.Sequential(layer_init(nn.Linear(od, 64)), nn.Tanh(), layer_init(nn.Linear(64, 64)), nn.Tanh(), layer_init(nn.Linear(64, 1), std=1.0))
        self.actor_mean = nn.Sequential(layer_init(nn.Linear(od, 64)), nn.Tanh(), layer_init(nn.Linear(64, 64)), nn.Tanh(), layer_init(nn.Linear(64, ad), std=0.01))
        self.actor_logstd = nn.Parameter(torch.zeros(1, ad))

    def get_value(self, x):
        return self.critic(x)

    def get_action_and_value(self, x, action=None):
        mean = self.actor_mean(x)
        std = torch.exp(self.actor_logstd.expand_as(mean))
        probs = torch.distributions.Normal(mean, std)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action).sum(1), probs.entropy().sum(1), self.critic(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--iterations", type=int, default=4)
    p.add_argument("--skip", type=int, default=1, help="warm-up iterations left out of the rate")
    args = p.parse_args()
    num_envs, num_steps, epochs, minibatch = 4, 1024, 10, 64
    gamma, lam, clip, lr = 0.99, 0.95, 0.2, 3e-4
    total_iters = 1_000_000 // (num_envs * num_steps)
    torch.manual_seed(1)
    envs = VecPendulum(num_envs, 1, gamma)
    agent = Agent(3, 1)
    opt = torch.optim.Adam(agent.parameters(), lr=lr, eps=1e-5)
    B = num_envs * num_steps
    obs = torch.zeros((num_steps, num_envs, 3))
    actions = torch.zeros((num_steps, num_envs, 1))
    logprobs = torch.zeros((num_steps, num_envs))
    rewards = torch.zeros((num_steps, num_envs))
    dones = torch.zeros((num_steps, num_envs))
    values = torch.zeros((num_steps, num_envs))
    next_obs = torch.tensor(envs.reset())
    next_done = torch.zeros(num_envs)
    steps, secs, cpu = 0, 0.0, 0.0
    for it in range(args.iterations):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.param_groups[0]["lr"] = lr * (1.0 - it / total_iters)
        for step in range(num_steps):
            obs[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob
            o, r, d = envs.step(action.numpy())
            rewards[step] = torch.tensor(r)
            next_obs, next_done = torch.tensor(o), torch.tensor(d)
        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(num_steps)):
                if t == num_steps - 1:
                    nextnonterminal, nextvalues = 1.0 - next_done, next_value
                else:
                    nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
                delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + gamma * lam * nextnonterminal * lastgaelam
            returns = advantages + values
        b_obs, b_logprobs, b_actions = obs.reshape(-1, 3), logprobs.reshape(-1), actions.reshape(-1, 1)
        b_adv, b_ret, b_val = advantages.reshape(-1), returns.reshape(-1), values.reshape(-1)
        inds = np.arange(B)
        for _ in range(epochs):
            np.random.shuffle(inds)
            for start in range(0, B, minibatch):
                mb = inds[start:start + minibatch]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_actions[mb])
                ratio = (newlogprob - b_logprobs[mb]).exp()
                mb_adv = b_adv[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = torch.max(-mb_adv * ratio, -mb_adv * torch.clamp(ratio, 1 - clip, 1 + clip)).mean()
                newvalue = newvalue.view(-1)
                v_unclipped = (newvalue - b_ret[mb]) ** 2
                v_clipped = b_val[mb] + torch.clamp(newvalue - b_val[mb], -clip, clip)
                v_loss = 0.5 * torch.max(v_unclipped, (v_clipped - b_ret[mb]) ** 2).mean()
                loss = pg_loss - 0.0 * entropy.mean() + 0.5 * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                opt.step()
        if it >= args.skip:
            steps += B
            secs += time.perf_counter() - t0
            cpu += time.process_time() - c0
    print(json.dumps({"envStepsPerSec": steps / secs, "envStepsPerCpuSec": steps / cpu, "iterations": args.iterations - args.skip, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
