// A VecEnv whose action is a residual on top of the LQR: the agent outputs a correction in
// [-1, 1]^3 and the robot receives clip(LQR(obs) + scale * correction), composed by
// sim/residual-policy.ts exactly as the exported artifact is composed at eval and deploy time.
// One LQR per env, reset whenever that env's episode restarts (auto-reset or reset()).
import type { RobotConfig } from './config/robot.js';
import type { VecEnv, VecStep } from './env.js';
import { createLqrController } from './lqr.js';
import { ACTION_SIZE, OBS_SIZE } from './observation.js';
import { ResidualComposer } from './residual-policy.js';
import { VecEnvWrapper } from './vec-env-wrapper.js';

export interface ResidualOptions {
  /** Residual output 1.0 adds this much torque fraction to the LQR action. */
  scale: number;
}

/** Validate the `env.residual` block of a training config; errors name `source` and the key. */
export function parseResidualOptions(value: unknown, source: string): ResidualOptions {
  const o = value as { scale?: unknown } | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${source}: env.residual must be an object like {scale: 0.3}`);
  const unknown = Object.keys(o).filter((k) => k !== 'scale');
  if (unknown.length) throw new Error(`${source}: env.residual: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`);
  if (typeof o.scale !== 'number' || !(o.scale > 0 && o.scale <= 2)) throw new Error(`${source}: env.residual.scale must be a number in (0, 2], got ${JSON.stringify(o.scale)}`);
  return { scale: o.scale };
}

export class ResidualVecEnv extends VecEnvWrapper {
  private readonly composer: ResidualComposer;
  private readonly obs: Float32Array;

  constructor(inner: VecEnv, robot: RobotConfig, readonly scale: number) {
    if (inner.observationSpace.shape[0] !== OBS_SIZE || inner.actionSpace.shape[0] !== ACTION_SIZE) {
      throw new Error(`a residual env needs the ballbot observation (${OBS_SIZE}) and action (${ACTION_SIZE}) layout`);
    }
    super(inner);
    this.composer = new ResidualComposer(Array.from({ length: inner.numEnvs }, () => createLqrController(robot)), scale);
    this.obs = new Float32Array(inner.numEnvs * OBS_SIZE);
  }

  async reset(seed?: number): Promise<Float32Array> {
    const obs = await this.inner.reset(seed);
    for (let i = 0; i < this.numEnvs; i++) this.composer.resetEnv(i);
    this.obs.set(obs);
    return obs;
  }

  async step(residual: Float32Array): Promise<VecStep> {
    const actions = this.composer.compose(this.obs, residual, this.numEnvs);
    const r = await this.inner.step(actions);
    for (let i = 0; i < this.numEnvs; i++) if (r.terminated[i] || r.truncated[i]) this.composer.resetEnv(i);
    this.obs.set(r.obs);
    return r;
  }
}
