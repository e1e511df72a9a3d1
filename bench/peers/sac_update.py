"""An SB3-style SAC gradient update in PyTorch, one thread: the peer that bench/train.bench.ts
times side by side with this project's SAC update. Same shapes as the bench: batch 256,
obs 15, action 3, actor and twin critics 128x128 ReLU, target critics with polyak tau 0.005,
automatic entropy temperature (log alpha, target entropy -|A|), three Adam optimizers, as in
stable_baselines3/sac/sac.py train(): alpha loss, critic loss on the min of the target twins,
actor loss on the min of the twins, then the target update.

Prints one JSON line: {"updatesPerSec": ..., "updatesPerCpuSec": ..., "updates": ..., "torch": ...}.
Usage: python3 sac_update.py [--updates 200] [--batch 256] [--hidden 128] [--obs 15] [--act 3]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)

LOG_STD_MIN, LOG_STD_MAX = -20, 2


def mlp(i, o, h):
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, o))


class Actor(nn.Module):
    def __init__(self, od, ad, h):
        super().__init__()
        self.latent = nn.Sequential(nn.Linear(od, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())
        self.mu = nn.Linear(h, ad)
        self.log_std = nn.Linear(h, ad)

    def action_log_prob(self, obs):
        z = self.latent(obs)
        mean, log_std = self.mu(z), torch.clamp(self.log_std(z), LOG_STD_MIN, LOG_STD_MAX)
        std = log_std.exp()
        u = mean + std * torch.randn_like(mean)
        a = torch.tanh(u)
        logp = (-0.5 * ((u - mean) / std) ** 2 - log_std - 0.5 * torch.log(torch.tensor(2 * torch.pi))).sum(1)
        logp = logp - (2 * (torch.log(torch.tensor(2.0)) - u - F.softplus(-2 * u))).sum(1)
        return a, logp


class Critic(nn.Module):
    def __init__(self, od, ad, h):
        super().__init__()
        self.q1, self.q2 = mlp(od + ad, 1, h), mlp(od + ad, 1, h)

    def forward(self, obs, act):
        x = torch.cat([obs, act], 1)
        return self.q1(x), self.q2(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--updates", type=int, default=200)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--obs", type=int, default=15)
    p.add_argument("--act", type=int, default=3)
    args = p.parse_args()
    torch.manual_seed(1)
    od, ad, B, h = args.obs, args.act, args.batch, args.hidden
    actor, critic, critic_target = Actor(od, ad, h), Critic(od, ad, h), Critic(od, ad, h)
    critic_target.load_state_dict(critic.state_dict())
    log_alpha = torch.zeros(1, requires_grad=True)
    opt_a = torch.optim.Adam(actor.parameters(), lr=1e-3)
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-3)
    opt_alpha = torch.optim.Adam([log_alpha], lr=1e-3)
    target_entropy, gamma, tau = -float(ad), 0.99, 0.005
    obs, next_obs = torch.rand(B, od) * 2 - 1, torch.rand(B, od) * 2 - 1
    actions, rewards, dones = torch.rand(B, ad) * 2 - 1, torch.rand(B, 1) * 2 - 1, torch.zeros(B, 1)

    def update():
        a_pi, logp = actor.action_log_prob(obs)
        alpha_loss = -(log_alpha * (logp + target_entropy).detach()).mean()
        opt_alpha.zero_grad()
        alpha_loss.backward()
        opt_alpha.step()
        alpha = log_alpha.detach().exp()
        with torch.no_grad():
            next_a, next_logp = actor.action_log_prob(next_obs)
            q1t, q2t = critic_target(next_obs, next_a)
            target = rewards + (1 - dones) * gamma * (torch.min(q1t, q2t) - alpha * next_logp.reshape(-1, 1))
        q1, q2 = critic(obs, actions)
        critic_loss = 0.5 * (F.mse_loss(q1, target) + F.mse_loss(q2, target))
        opt_c.zero_grad()
        critic_loss.backward()
        opt_c.step()
        q1p, q2p = critic(obs, a_pi)
        actor_loss = (alpha * logp.reshape(-1, 1) - torch.min(q1p, q2p)).mean()
        opt_a.zero_grad()
        actor_loss.backward()
        opt_a.step()
        with torch.no_grad():
            for p_, tp in zip(critic.parameters(), critic_target.parameters()):
                tp.mul_(1 - tau).add_(p_, alpha=tau)

    for _ in range(10):
        update()  # warm-up, as the bench does for tfjs
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.updates):
        update()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"updatesPerSec": args.updates / wall, "updatesPerCpuSec": args.updates / cpu, "updates": args.updates, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
