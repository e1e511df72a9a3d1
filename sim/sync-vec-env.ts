// A VecEnv over N in-process Env instances, stepped one after the other. Auto-resets an
// env whose episode ended and keeps its last observation in `finalObs` (Gymnasium's
// "final_observation"), so a truncated episode can be bootstrapped. Works for any Env,
// including bring-your-own env modules; the ballbot uses worker threads instead.
import type { Env, EpisodeInfo, VecEnv, VecStep } from './env.js';
import { tensorSize, type BoxSpace, type TensorSpace } from './spaces.js';

export class SyncVecEnv implements VecEnv {
  readonly numEnvs: number;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly privilegedSpace?: BoxSpace;
  readonly observationSpaces?: Readonly<Record<string, TensorSpace>>;
  readonly dt: number;
  private readonly obsSize: number;
  private readonly actSize: number;
  private readonly privSize: number;
  private readonly result: VecStep;
  private readonly action: Float32Array;
  private readonly returns: Float64Array;
  private readonly lengths: Int32Array;
  private nextSeed: number | undefined;

  constructor(readonly envs: Env[]) {
    if (envs.length === 0) throw new Error('SyncVecEnv needs at least one env');
    const first = envs[0];
    this.numEnvs = envs.length;
    this.observationSpace = first.observationSpace;
    this.actionSpace = first.actionSpace;
    this.privilegedSpace = first.privilegedSpace;
    this.dt = first.dt;
    this.obsSize = first.observationSpace.shape[0];
    this.actSize = first.actionSpace.shape[0];
    this.privSize = first.privilegedSpace && first.privileged ? first.privilegedSpace.shape[0] : 0;
    envs.forEach((env, i) => {
      if (env.observationSpace.shape[0] !== this.obsSize || env.actionSpace.shape[0] !== this.actSize) {
        throw new Error(`SyncVecEnv: env ${i} has spaces ${env.observationSpace.shape[0]}/${env.actionSpace.shape[0]}, env 0 has ${this.obsSize}/${this.actSize}`);
      }
    });
    const n = this.numEnvs;
    this.result = {
      obs: new Float32Array(n * this.obsSize),
      rewards: new Float32Array(n),
      terminated: new Uint8Array(n),
      truncated: new Uint8Array(n),
      finalObs: new Float32Array(n * this.obsSize),
      privileged: this.privSize ? new Float32Array(n * this.privSize) : undefined,
      finalPrivileged: this.privSize ? new Float32Array(n * this.privSize) : undefined,
      episodes: [],
    };
    if (first.observationSpaces && first.extraObservation) {
      const spaces = first.observationSpaces;
      this.observationSpaces = spaces;
      const batches = () => Object.fromEntries(Object.entries(spaces).map(([name, space]) => [name, new Float32Array(n * tensorSize(space))]));
      this.result.extras = batches();
      this.result.finalExtras = batches();
    }
    this.action = new Float32Array(this.actSize);
    this.returns = new Float64Array(n);
    this.lengths = new Int32Array(n);
  }

  /** Reset all envs; env i gets seed `seed + i` so runs are reproducible. */
  reset(seed?: number): Float32Array {
    this.nextSeed = seed === undefined ? undefined : seed + this.numEnvs;
    this.envs.forEach((env, i) => {
      this.writeObs(i, env.reset(seed === undefined ? undefined : seed + i));
      this.writePrivileged(i, env, this.result.privileged);
      this.writeExtras(i, env, this.result.extras);
      this.returns[i] = 0;
      this.lengths[i] = 0;
    });
    return this.result.obs;
  }

  currentExtras(): Readonly<Record<string, Float32Array>> | undefined {
    return this.result.extras;
  }

  /** Current privileged batch (after reset), for the first critic input. */
  privileged(): Float32Array | undefined {
    return this.result.privileged;
  }

  step(actions: Float32Array): VecStep {
    const r = this.result;
    r.episodes = [];
    const { obsSize, actSize } = this;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i];
      for (let j = 0; j < actSize; j++) this.action[j] = actions[i * actSize + j];
      const s = env.step(this.action);
      if (s.obs.length !== obsSize) throw new Error(`env ${i} returned an observation of ${s.obs.length} values, its space says ${obsSize}`);
      r.rewards[i] = s.reward;
      r.terminated[i] = s.terminated ? 1 : 0;
      r.truncated[i] = s.truncated && !s.terminated ? 1 : 0;
      this.returns[i] += s.reward;
      this.lengths[i]++;
      if (s.terminated || s.truncated) {
        r.finalObs.set(s.obs, i * obsSize);
        this.writePrivileged(i, env, r.finalPrivileged);
        this.writeExtras(i, env, r.finalExtras);
        const episode: EpisodeInfo = { ...s.info, env: i, return: this.returns[i], length: this.lengths[i], terminated: s.terminated };
        r.episodes.push(episode);
        this.returns[i] = 0;
        this.lengths[i] = 0;
        let seed: number | undefined;
        if (this.nextSeed !== undefined) seed = this.nextSeed++;
        this.writeObs(i, env.reset(seed));
      } else {
        this.writeObs(i, s.obs);
      }
      this.writePrivileged(i, env, r.privileged);
      this.writeExtras(i, env, r.extras);
    }
    return r;
  }

  close(): void {
    for (const env of this.envs) env.close?.();
  }

  private writeObs(i: number, obs: Float32Array): void {
    this.result.obs.set(obs, i * this.obsSize);
  }

  private writePrivileged(i: number, env: Env, out: Float32Array | undefined): void {
    if (out && env.privileged) out.set(env.privileged(), i * this.privSize);
  }

  /** Env i's extra observations (after a step that ended an episode: its final ones). */
  private writeExtras(i: number, env: Env, out: Readonly<Record<string, Float32Array>> | undefined): void {
    if (!out || !env.extraObservation) return;
    for (const name in out) {
      const value = env.extraObservation(name);
      const size = out[name].length / this.numEnvs;
      if (value.length !== size) throw new Error(`env ${i} returned '${name}' of ${value.length} values, env 0's space says ${size}`);
      out[name].set(value, i * size);
    }
  }
}
