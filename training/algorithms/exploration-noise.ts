// Exploration noise for the deterministic actors (DDPG, TD3), added to the actor's [-1, 1]
// action before clipping. Gaussian: independent N(0, sigma) each step. Ornstein-Uhlenbeck:
// x <- x + theta (mu - x) dt + sigma sqrt(dt) N(0, 1), temporally correlated (the DDPG paper's
// choice; it drifts like a physical disturbance), reset to 0 when an env's episode ends.
import type { Rng } from '../../sim/rng.js';

export interface ExplorationNoise {
  /** Write one noise sample per (env, action) into out [numEnvs x actSize]. */
  sample(rng: Rng, out: Float32Array): void;
  /** An env's episode ended: forget its correlated state. */
  resetEnv(env: number): void;
  getState(): Float32Array;
  setState(s: Float32Array): void;
}

export class GaussianNoise implements ExplorationNoise {
  constructor(readonly sigma: number) {}

  sample(rng: Rng, out: Float32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.sigma * rng.normal();
  }

  resetEnv(): void {}

  getState(): Float32Array {
    return new Float32Array(0);
  }

  setState(): void {}
}

export class OrnsteinUhlenbeckNoise implements ExplorationNoise {
  readonly x: Float32Array;

  constructor(readonly numEnvs: number, readonly actSize: number, readonly sigma: number, readonly theta = 0.15, readonly dt = 1e-2, readonly mu = 0) {
    this.x = new Float32Array(numEnvs * actSize);
  }

  sample(rng: Rng, out: Float32Array): void {
    const sq = Math.sqrt(this.dt);
    for (let i = 0; i < this.x.length; i++) {
      this.x[i] += this.theta * (this.mu - this.x[i]) * this.dt + this.sigma * sq * rng.normal();
      out[i] = this.x[i];
    }
  }

  resetEnv(env: number): void {
    this.x.fill(0, env * this.actSize, (env + 1) * this.actSize);
  }

  getState(): Float32Array {
    return this.x.slice();
  }

  setState(s: Float32Array): void {
    if (s.length !== this.x.length) throw new Error(`OU noise state has ${s.length} values, expected ${this.x.length}`);
    this.x.set(s);
  }
}

export function makeNoise(cfg: { type: 'gaussian' | 'ou'; sigma: number; theta: number; dt: number }, numEnvs: number, actSize: number): ExplorationNoise {
  return cfg.type === 'ou' ? new OrnsteinUhlenbeckNoise(numEnvs, actSize, cfg.sigma, cfg.theta, cfg.dt) : new GaussianNoise(cfg.sigma);
}
