// Gymnasium Pendulum-v1, exactly: the built-in `pendulum` task for checking the algorithms
// against published numbers. Never terminates; truncated after 200 steps.
import type { Env, StepResult } from '../../sim/env.js';
import { box } from '../../sim/spaces.js';
import { Rng } from '../../sim/rng.js';

const G = 10.0;
const M = 1.0;
const L = 1.0;
const DT = 0.05;
const MAX_SPEED = 8;
const MAX_TORQUE = 2;
const PENDULUM_MAX_STEPS = 200;

export function angleNormalize(x: number): number {
  const twoPi = 2 * Math.PI;
  return ((((x + Math.PI) % twoPi) + twoPi) % twoPi) - Math.PI;
}

export class PendulumEnv implements Env {
  readonly observationSpace = box(3, [-1, -1, -MAX_SPEED], [1, 1, MAX_SPEED], ['cos_theta', 'sin_theta', 'theta_dot']);
  readonly actionSpace = box(1, -MAX_TORQUE, MAX_TORQUE, ['torque']);
  readonly dt = DT;
  private th = 0;
  private thdot = 0;
  private steps = 0;
  private readonly rng: Rng;
  private readonly obs = new Float32Array(3);

  constructor(seed = 0) {
    this.rng = new Rng(seed);
  }

  reset(seed?: number): Float32Array {
    if (seed !== undefined) this.rng.seed(seed);
    this.th = this.rng.uniform(-Math.PI, Math.PI);
    this.thdot = this.rng.uniform(-1, 1);
    this.steps = 0;
    return this.observe();
  }

  step(action: Float32Array): StepResult {
    const u = Math.min(MAX_TORQUE, Math.max(-MAX_TORQUE, action[0]));
    const th = this.th;
    const cost = angleNormalize(th) ** 2 + 0.1 * this.thdot ** 2 + 0.001 * u * u;
    let thdot = this.thdot + ((3 * G) / (2 * L) * Math.sin(th) + (3 / (M * L * L)) * u) * DT;
    thdot = Math.min(MAX_SPEED, Math.max(-MAX_SPEED, thdot));
    this.th = th + thdot * DT;
    this.thdot = thdot;
    this.steps++;
    return { obs: this.observe(), reward: -cost, terminated: false, truncated: this.steps >= PENDULUM_MAX_STEPS, info: {} };
  }

  private observe(): Float32Array {
    this.obs[0] = Math.cos(this.th);
    this.obs[1] = Math.sin(this.th);
    this.obs[2] = this.thdot;
    return this.obs;
  }
}

export function makePendulumEnv(options?: { seed?: number }): Env {
  return new PendulumEnv(options?.seed ?? 0);
}
