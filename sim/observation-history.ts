// Observation history: the last K observations (without the command), so that a policy can tell
// a weak or slow robot from a strong one by how its wheels and body answered its recent torques
// (the one-step observation cannot: latency and motor strength only show over several steps).
//
// State per env h = [o_{t-K+1}, ..., o_t] (K blocks of HISTORY_FEATURES values, oldest first),
// zeros at the start of an episode. Each control step shifts one block out and the newest
// observation in: h' = h * shift + obs * inject, both 0/1 matrices, so the exported graph runs
// exactly this update with two MatMuls (training/io/onnx-export.ts) and gets the same floats.
// The policy sees [observation (and tracking memory), h'].
import { OBSERVATION_LAYOUT, OBS_INDEX, OBS_SIZE } from './observation.js';

/** What one history block holds: everything of the observation but the command. */
export const HISTORY_FEATURES = OBSERVATION_LAYOUT.slice(0, OBS_INDEX.command);
export const HISTORY_BLOCK = HISTORY_FEATURES.length;
export const DEFAULT_HISTORY_STEPS = 8;
export const MAX_HISTORY_STEPS = 50;

export interface ObservationHistoryOptions {
  /** Observations kept, the newest included. */
  steps: number;
}

export interface ObservationHistoryModel {
  options: ObservationHistoryOptions;
  /** steps * HISTORY_BLOCK. */
  size: number;
  /** Names of the state's values, oldest block first: `{feature}_t-{age}`. */
  layout: string[];
}

/** The update in words, for the artifact's metadata. */
export const OBSERVATION_HISTORY_UPDATE =
  'h = [h without its oldest block, the observation without the command] each control step from zeros (oldest block first); the policy sees h';

/** Validate the `env.history` block of a training config; errors name `source` and the key. */
export function parseObservationHistoryOptions(value: unknown, source: string): ObservationHistoryOptions {
  const o = value as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error(`${source}: env.history must be an object like {steps: ${DEFAULT_HISTORY_STEPS}}`);
  const unknown = Object.keys(o).filter((k) => k !== 'steps');
  if (unknown.length) throw new Error(`${source}: env.history: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (it reads steps)`);
  const steps = o.steps ?? DEFAULT_HISTORY_STEPS;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 2 || steps > MAX_HISTORY_STEPS) {
    throw new Error(`${source}: env.history.steps must be an integer in [2, ${MAX_HISTORY_STEPS}], got ${JSON.stringify(o.steps)}`);
  }
  return { steps };
}

export function observationHistoryModel(options: ObservationHistoryOptions): ObservationHistoryModel {
  const layout: string[] = [];
  for (let age = options.steps - 1; age >= 0; age--) for (const f of HISTORY_FEATURES) layout.push(`${f}_t-${age}`);
  return { options, size: options.steps * HISTORY_BLOCK, layout };
}

/** The shift matrix [size][size], row-major: block b of h' is block b + 1 of h. */
export function historyShiftMatrix(model: ObservationHistoryModel): Float32Array {
  const n = model.size;
  const m = new Float32Array(n * n);
  for (let k = 0; k + HISTORY_BLOCK < n; k++) m[(k + HISTORY_BLOCK) * n + k] = 1;
  return m;
}

/** The inject matrix [OBS_SIZE][size], row-major: the newest block of h' is the observation's first HISTORY_BLOCK values. */
export function historyInjectMatrix(model: ObservationHistoryModel): Float32Array {
  const n = model.size;
  const m = new Float32Array(OBS_SIZE * n);
  for (let f = 0; f < HISTORY_BLOCK; f++) m[f * n + n - HISTORY_BLOCK + f] = 1;
  return m;
}

/** One control step in place: drop the oldest block, append `obs` (its first OBS_SIZE values are the ballbot observation). */
export function updateObservationHistory(model: ObservationHistoryModel, history: Float32Array, obs: ArrayLike<number>): void {
  const n = model.size;
  history.copyWithin(0, HISTORY_BLOCK, n);
  for (let f = 0; f < HISTORY_BLOCK; f++) history[n - HISTORY_BLOCK + f] = obs[f];
}
