// One PPO rollout: T steps from N envs with a PpoPolicy, observations normalized as they come,
// time-limit truncations bootstrapped from V(final observation), then GAE. The synchronous
// runner and the rollout actors of the asynchronous one both collect with this class.
import type { VecEnv } from '../../sim/env.js';
import type { Rng } from '../../sim/rng.js';
import type { PpoConfig, TrainConfig } from '../config.js';
import type { PpoPolicy } from '../algorithms/ppo-policy.js';
import { extraInputShapes, type ExtraInputShape } from '../networks/encoders.js';
import { computeGae } from '../storage/gae.js';
import type { RolloutStorage } from '../storage/rollout-storage.js';
import type { RewardScaler, RunningNormalizer } from '../storage/running-normalizer.js';
import type { ResidualComposer } from '../../sim/residual-policy.js';
import { privilegedAfterReset } from './run-context.js';

/** Observation, action and privileged (critic-only; 0 without an asymmetric critic) sizes of a PPO run. */
export function ppoSizes(config: TrainConfig, vec: VecEnv): { obsSize: number; actSize: number; privSize: number; extras: ExtraInputShape[] } {
  const privSize = config.network.asymmetricCritic && vec.privilegedSpace ? vec.privilegedSpace.shape[0] : 0;
  return { obsSize: vec.observationSpace.shape[0], actSize: vec.actionSpace.shape[0], privSize, extras: extraInputShapes(vec.observationSpaces) };
}

/** Values per row of each extra observation, by name (for RolloutStorage). */
export function extraSizes(extras: readonly ExtraInputShape[]): Record<string, number> {
  return Object.fromEntries(extras.map((e) => [e.name, e.shape.reduce((a, b) => a * b, 1)]));
}

export interface RolloutNormalizers {
  obs: RunningNormalizer | null;
  priv: RunningNormalizer | null;
  reward: RewardScaler | null;
}

export interface FinishedEpisode {
  ret: number;
  len: number;
}

export class PpoRolloutCollector {
  readonly numEnvs: number;
  readonly obsSize: number;
  readonly privSize: number;
  /** Raw (unnormalized) observations of every row, when asked for: the learner's normalizer learns from them. */
  readonly rawObs: Float32Array | null;
  readonly rawPriv: Float32Array | null;
  private readonly raw: Float32Array;
  private readonly rawPrivNow: Float32Array;
  private readonly normObs: Float32Array;
  private readonly criticObs: Float32Array;
  private readonly finalCritic: Float32Array;
  private readonly finalValues: Float32Array;
  private readonly act: { actions: Float32Array; logProbs: Float32Array; means: Float32Array; values: Float32Array };
  private readonly clipped: Float32Array;
  private readonly lastValues: Float32Array;
  /** The extra observations matching `raw`, copied (the env reuses its buffers). */
  private readonly rawExtras: Record<string, Float32Array>;
  /**
   * The imitation teacher (ppo.imitation): one LQR per env fed the raw observations in order and
   * reset when its env's episode restarts; while set, every row of `storage.teacherActions` gets its label.
   */
  teacher: ResidualComposer | null = null;
  /** Envs the teacher drives this rollout (DAgger's mixture; 1 = the teacher's action is sent), or null. */
  teacherDrives: Uint8Array | null = null;

  /** `privSize` 0: the critic reads the policy observation only. */
  constructor(
    private readonly vec: VecEnv,
    private readonly storage: RolloutStorage,
    private readonly norms: RolloutNormalizers,
    privSize: number,
    private readonly cfg: Pick<PpoConfig, 'gamma' | 'gaeLambda'>,
    recordRaw = false,
  ) {
    const N = vec.numEnvs;
    const od = vec.observationSpace.shape[0];
    const ad = vec.actionSpace.shape[0];
    const cd = od + privSize;
    this.numEnvs = N;
    this.obsSize = od;
    this.privSize = privSize;
    this.raw = new Float32Array(N * od);
    this.rawPrivNow = new Float32Array(N * Math.max(privSize, 1));
    this.normObs = new Float32Array(N * od);
    this.criticObs = new Float32Array(N * cd);
    this.finalCritic = new Float32Array(N * cd);
    this.finalValues = new Float32Array(N);
    this.act = { actions: new Float32Array(N * ad), logProbs: new Float32Array(N), means: new Float32Array(N * ad), values: new Float32Array(N) };
    this.clipped = new Float32Array(N * ad);
    this.lastValues = new Float32Array(N);
    this.rawExtras = Object.fromEntries(Object.entries(storage.extras).map(([name, rows]) => [name, new Float32Array((rows.length / storage.size) * N)]));
    this.rawObs = recordRaw ? new Float32Array(storage.size * od) : null;
    this.rawPriv = recordRaw && privSize ? new Float32Array(storage.size * privSize) : null;
  }

  async reset(seed: number): Promise<void> {
    this.raw.set(await this.vec.reset(seed));
    if (this.teacher) for (let i = 0; i < this.numEnvs; i++) this.teacher.resetEnv(i);
    this.copyExtras(this.vec.currentExtras?.());
    if (this.privSize) this.rawPrivNow.set(privilegedAfterReset(this.vec) ?? new Float32Array(this.numEnvs * this.privSize));
  }

  private copyExtras(from: Readonly<Record<string, Float32Array>> | undefined): void {
    for (const [name, buf] of Object.entries(this.rawExtras)) {
      const src = from?.[name];
      if (!src) throw new Error(`the env gave no extra observation '${name}' (the policy reads it)`);
      buf.set(src);
    }
  }

  private buildCriticInput(obsNorm: Float32Array, priv: Float32Array, out: Float32Array, update: boolean): void {
    const N = this.numEnvs;
    const od = this.obsSize;
    const pd = this.privSize;
    if (!pd) {
      out.set(obsNorm);
      return;
    }
    const privNormalizer = this.norms.priv;
    if (privNormalizer && update) privNormalizer.update(priv, N);
    const privNorm = privNormalizer ? privNormalizer.normalize(priv.subarray(0, N * pd), new Float32Array(N * pd), N) : priv;
    const cd = od + pd;
    for (let i = 0; i < N; i++) {
      out.set(obsNorm.subarray(i * od, (i + 1) * od), i * cd);
      out.set(privNorm.subarray(i * pd, (i + 1) * pd), i * cd + od);
    }
  }

  /** Fill the storage with T steps, their advantages and returns; returns the episodes that ended. */
  async collect(policy: PpoPolicy, rng: Rng): Promise<FinishedEpisode[]> {
    const { vec, storage, cfg } = this;
    const { obs: normalizer, reward: rewardScaler } = this.norms;
    const N = this.numEnvs;
    const T = storage.numSteps;
    const od = this.obsSize;
    const pd = this.privSize;
    const cd = od + pd;
    const ad = vec.actionSpace.shape[0];
    const low = vec.actionSpace.low;
    const high = vec.actionSpace.high;
    const { raw, rawPrivNow, normObs, criticObs, act, clipped } = this;
    const episodes: FinishedEpisode[] = [];
    const teacher = this.teacher && storage.teacherActions ? this.teacher : null;
    for (let t = 0; t < T; t++) {
      const row = t * N;
      if (this.rawObs) this.rawObs.set(raw, row * od);
      if (this.rawPriv) this.rawPriv.set(rawPrivNow.subarray(0, N * pd), row * pd);
      if (normalizer) {
        normalizer.update(raw, N);
        normalizer.normalize(raw, normObs, N);
      } else normObs.set(raw);
      this.buildCriticInput(normObs, rawPrivNow, criticObs, true);
      policy.act(normObs, criticObs, N, rng, act, this.rawExtras);
      storage.obs.set(normObs, row * od);
      for (const [name, buf] of Object.entries(this.rawExtras)) storage.extras[name].set(buf, row * buf.length / N);
      if (pd) storage.criticObs.set(criticObs, row * cd);
      storage.actions.set(act.actions, row * ad);
      storage.logProbs.set(act.logProbs, row);
      storage.means.set(act.means, row * ad);
      storage.values.set(act.values, row);
      if (teacher) {
        const labels = teacher.baseActions(raw, N, od);
        storage.teacherActions!.set(labels.subarray(0, N * ad), row * ad);
        const drives = this.teacherDrives;
        if (drives) for (let i = 0; i < N; i++) if (drives[i]) act.actions.set(labels.subarray(i * ad, (i + 1) * ad), i * ad);
      }
      // The env gets the sample clipped to its bounds; the log-prob refers to the raw sample.
      for (let i = 0; i < N * ad; i++) {
        const j = i % ad;
        clipped[i] = Math.min(high[j], Math.max(low[j], act.actions[i]));
      }
      const step = await vec.step(clipped);
      const rewards = storage.rewards.subarray(row, row + N);
      rewards.set(step.rewards);
      let anyTruncated = false;
      for (let i = 0; i < N; i++) {
        storage.terminated[row + i] = step.terminated[i];
        storage.dones[row + i] = step.terminated[i] | step.truncated[i];
        if (step.truncated[i] && !step.terminated[i]) anyTruncated = true;
        if (teacher && storage.dones[row + i]) teacher.resetEnv(i);
      }
      if (rewardScaler) rewardScaler.scale(rewards, storage.dones.subarray(row, row + N));
      // A time-limit truncation bootstraps from V(final observation).
      if (anyTruncated) {
        const finalNorm = normalizer ? normalizer.normalize(step.finalObs, new Float32Array(N * od), N) : step.finalObs;
        this.buildCriticInput(finalNorm, step.finalPrivileged ?? rawPrivNow, this.finalCritic, false);
        policy.value(this.finalCritic, N, this.finalValues);
        for (let i = 0; i < N; i++) if (step.truncated[i] && !step.terminated[i]) storage.nextValues[row + i] = this.finalValues[i];
      }
      for (const ep of step.episodes) episodes.push({ ret: ep.return, len: ep.length });
      raw.set(step.obs);
      this.copyExtras(step.extras);
      if (pd && step.privileged) rawPrivNow.set(step.privileged);
    }
    // Value of the observation after the last step, for the last row's bootstrap.
    if (normalizer) normalizer.normalize(raw, normObs, N);
    else normObs.set(raw);
    this.buildCriticInput(normObs, rawPrivNow, criticObs, false);
    policy.value(criticObs, N, this.lastValues);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) {
        const k = t * N + i;
        if (storage.dones[k]) continue; // truncated rows were filled at the step; terminated rows are unused
        storage.nextValues[k] = t + 1 < T ? storage.values[k + N] : this.lastValues[i];
      }
    }
    computeGae(
      { numSteps: T, numEnvs: N, rewards: storage.rewards, values: storage.values, nextValues: storage.nextValues, terminated: storage.terminated, dones: storage.dones, gamma: cfg.gamma, lambda: cfg.gaeLambda },
      storage.advantages,
      storage.returns,
    );
    return episodes;
  }
}
