// The pass-through part of a VecEnv that wraps another (tracking memory, residual on the LQR):
// sizes, spaces and time step come from the inner env unless the wrapper says otherwise; extras,
// the curriculum level and close go straight through.
import type { VecEnv, VecStep } from './env.js';
import type { BoxSpace } from './spaces.js';

export abstract class VecEnvWrapper implements VecEnv {
  readonly numEnvs: number;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly privilegedSpace?: BoxSpace;
  readonly observationSpaces: VecEnv['observationSpaces'];
  readonly dt: number;

  /** `observationSpace`: the wrapper's own, when it changes what the policy sees. */
  constructor(protected readonly inner: VecEnv, observationSpace: BoxSpace = inner.observationSpace) {
    this.numEnvs = inner.numEnvs;
    this.observationSpace = observationSpace;
    this.actionSpace = inner.actionSpace;
    this.privilegedSpace = inner.privilegedSpace;
    this.observationSpaces = inner.observationSpaces;
    this.dt = inner.dt;
  }

  abstract reset(seed?: number): Promise<Float32Array>;
  abstract step(actions: Float32Array): Promise<VecStep>;

  currentExtras(): Readonly<Record<string, Float32Array>> | undefined {
    return this.inner.currentExtras?.();
  }

  async setCurriculumLevel(level: number): Promise<void> {
    const inner = this.inner as VecEnv & { setCurriculumLevel?(l: number): void | Promise<void> };
    await inner.setCurriculumLevel?.(level);
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }
}
