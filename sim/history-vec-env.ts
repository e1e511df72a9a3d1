// A VecEnv whose observation carries the observation history (sim/observation-history.ts): row i
// is [inner row i, h_i], with h_i updated from the ballbot observation at the start of the inner
// row exactly as the exported artifact updates its 'history_in' -> 'history_out' state. The inner
// env may already append the tracking memory. One history per env, zeroed whenever that env's
// episode restarts (auto-reset or reset()). Privileged and extra observations pass through.
import type { VecEnv } from './env.js';
import { box, type BoxSpace } from './spaces.js';
import { ObservationStateVecEnv } from './vec-env-wrapper.js';
import { observationHistoryModel, updateObservationHistory, type ObservationHistoryModel, type ObservationHistoryOptions } from './observation-history.js';
import { OBS_SIZE } from './observation.js';

export class HistoryVecEnv extends ObservationStateVecEnv {
  readonly model: ObservationHistoryModel;

  constructor(inner: VecEnv, options: ObservationHistoryOptions) {
    const model = observationHistoryModel(options);
    super(inner, historyObservationSpace(inner.observationSpace, model), model.size);
    this.model = model;
  }

  /** Current history per env, [numEnvs * model.size]. */
  get history(): Float32Array {
    return this.state;
  }

  protected update(history: Float32Array, innerRow: Float32Array): void {
    updateObservationHistory(this.model, history, innerRow);
  }

  protected features(history: Float32Array, out: Float32Array): void {
    out.set(history);
  }
}

/** The inner observation space with the history after it (each value in its observation's bounds). */
function historyObservationSpace(space: BoxSpace, model: ObservationHistoryModel): BoxSpace {
  if (space.shape[0] < OBS_SIZE) throw new Error(`env.history needs the ballbot observation (${OBS_SIZE} values first), the env has ${space.shape[0]}`);
  const blocks = model.options.steps;
  const block = model.size / blocks;
  const low: number[] = [], high: number[] = [];
  for (let b = 0; b < blocks; b++) {
    low.push(...space.low.slice(0, block));
    high.push(...space.high.slice(0, block));
  }
  return box(space.shape[0] + model.size, [...space.low, ...low], [...space.high, ...high], space.names ? [...space.names, ...model.layout] : undefined);
}
