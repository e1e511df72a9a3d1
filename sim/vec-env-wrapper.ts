// The pass-through part of a VecEnv that wraps another (tracking memory, observation history, residual on the LQR):
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
    if (!this.inner.setCurriculumLevel) throw new Error('this env has no curriculum level (setCurriculumLevel)');
    await this.inner.setCurriculumLevel(level);
  }

  close(): Promise<void> | void {
    return this.inner.close();
  }
}

/**
 * A wrapper that appends per-env state to every observation row: row i becomes
 * [inner row i, features(state_i)], the state updated from inner row i each step (as the exported
 * artifact updates its recurrent state) and zeroed whenever that env's episode restarts. The
 * final observation of an ended episode gets the old episode's state, for bootstrapping.
 */
export abstract class ObservationStateVecEnv extends VecEnvWrapper {
  /** Current state per env, [numEnvs * stateSize]. */
  readonly state: Float32Array;
  private readonly innerWidth: number;
  private readonly width: number;
  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly finalState: Float32Array;
  /** Per-env views of `state`, made once (the step loop runs every control step). */
  private readonly rows: Float32Array[];

  constructor(inner: VecEnv, observationSpace: BoxSpace, private readonly stateSize: number) {
    super(inner, observationSpace);
    this.innerWidth = inner.observationSpace.shape[0];
    this.width = observationSpace.shape[0];
    this.state = new Float32Array(this.numEnvs * stateSize);
    this.finalState = new Float32Array(stateSize);
    this.rows = Array.from({ length: this.numEnvs }, (_, i) => this.state.subarray(i * stateSize, (i + 1) * stateSize));
    this.obs = new Float32Array(this.numEnvs * this.width);
    this.finalObs = new Float32Array(this.numEnvs * this.width);
  }

  /** One control step of one env's state from its inner observation row. */
  protected abstract update(state: Float32Array, innerRow: Float32Array): void;
  /** What the policy sees of the state (width - inner width values). */
  protected abstract features(state: Float32Array, out: Float32Array): void;

  async reset(seed?: number): Promise<Float32Array> {
    const obs = await this.inner.reset(seed);
    this.state.fill(0);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, obs, this.rows[i], this.obs);
    return this.obs;
  }

  async step(actions: Float32Array): Promise<VecStep> {
    const r = await this.inner.step(actions);
    for (let i = 0; i < this.numEnvs; i++) {
      const state = this.rows[i];
      if (r.terminated[i] || r.truncated[i]) {
        this.finalState.set(state);
        this.advance(i, r.finalObs, this.finalState, this.finalObs);
        state.fill(0);
      }
      this.advance(i, r.obs, state, this.obs);
    }
    return { ...r, obs: this.obs, finalObs: this.finalObs };
  }

  /** Update env i's state from its row of `inner` and write [inner row, features] into row i of `out`. */
  private advance(i: number, inner: Float32Array, state: Float32Array, out: Float32Array): void {
    const row = inner.subarray(i * this.innerWidth, (i + 1) * this.innerWidth);
    this.update(state, row);
    out.set(row, i * this.width);
    this.features(state, out.subarray(i * this.width + this.innerWidth, (i + 1) * this.width));
  }
}
