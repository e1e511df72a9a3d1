// The Env and VecEnv interfaces: Gymnasium semantics. Training depends on sim only
// through these, so any module that implements them can be trained.
import type { BoxSpace, TensorSpace } from './spaces.js';

export interface StepResult {
  obs: Float32Array;
  reward: number;
  /** The episode ended because of the MDP (a fall): do not bootstrap. */
  terminated: boolean;
  /** The episode was cut by a time limit: bootstrap from `obs`. */
  truncated: boolean;
  info: Record<string, unknown>;
}

export interface Env {
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  /** Optional privileged block for an asymmetric critic (true velocities, parameters). */
  readonly privilegedSpace?: BoxSpace;
  /** Seconds of simulated time per step (for converting steps to time). */
  readonly dt: number;
  reset(seed?: number): Float32Array;
  step(action: Float32Array): StepResult;
  /** Privileged observation for the current state, if the env has one. */
  privileged?(): Float32Array;
  /**
   * Dictionary observations beside `obs` (e.g. 'depth', 'height_scan'), when the task asks
   * for them. `obs` stays the proprioceptive vector, so blind code never sees a change.
   */
  readonly observationSpaces?: Readonly<Record<string, TensorSpace>>;
  /** The named extra observation matching the last obs returned by reset or step. */
  extraObservation?(name: string): Float32Array;
  close?(): void;
}

/** A factory with the options every env accepts; bring-your-own env modules export one. */
export type EnvFactory = (options?: { seed?: number; [key: string]: unknown }) => Env | Promise<Env>;

/**
 * N envs stepped together with flat batches (row i = env i). After `step`, an env whose
 * episode ended has already been reset: its row in `obs` is the first observation of the
 * new episode and `finalObs` holds the last observation of the old one (for bootstrapping
 * a truncated episode).
 */
export interface VecStep {
  obs: Float32Array; // [n * obsSize]
  rewards: Float32Array; // [n]
  terminated: Uint8Array; // [n]
  truncated: Uint8Array; // [n]
  finalObs: Float32Array; // [n * obsSize], valid where terminated|truncated
  /** Privileged obs batch [n * privSize] when the env has a privileged block. */
  privileged?: Float32Array;
  finalPrivileged?: Float32Array;
  /** Extra observation batches by name [n * size] (see Env.observationSpaces), and their final values. */
  extras?: Readonly<Record<string, Float32Array>>;
  finalExtras?: Readonly<Record<string, Float32Array>>;
  /** Per-env info for envs whose episode just ended (episode return, length, ...). */
  episodes: EpisodeInfo[];
}

export interface EpisodeInfo {
  env: number;
  return: number;
  length: number;
  terminated: boolean;
  [key: string]: unknown;
}

export interface VecEnv {
  readonly numEnvs: number;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly privilegedSpace?: BoxSpace;
  readonly observationSpaces?: Readonly<Record<string, TensorSpace>>;
  readonly dt: number;
  reset(seed?: number): Promise<Float32Array> | Float32Array;
  /** The extra observation batches matching the last obs of reset or step (the rows of VecStep.extras). */
  currentExtras?(): Readonly<Record<string, Float32Array>> | undefined;
  /** actions: [n * actSize]. The returned buffers may be reused by the next call. */
  step(actions: Float32Array): Promise<VecStep> | VecStep;
  /** Curriculum level in [0, 1] for the episodes that start from now on (ballbot envs; training's `curriculum`). */
  setCurriculumLevel?(level: number): Promise<void> | void;
  close(): Promise<void> | void;
}
