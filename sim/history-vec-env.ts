// A VecEnv whose observation carries the observation history (sim/observation-history.ts): row i
// is [inner row i, h_i], with h_i updated from the ballbot observation at the start of the inner
// row exactly as the exported artifact updates its 'history_in' -> 'history_out' state. The inner
// env may already append the tracking memory. One history per env, zeroed whenever that env's
// episode restarts (auto-reset or reset()). Privileged and extra observations pass through.
import type { VecEnv, VecStep } from './env.js';
import { box, type BoxSpace } from './spaces.js';
import { VecEnvWrapper } from './vec-env-wrapper.js';
import { observationHistoryModel, updateObservationHistory, type ObservationHistoryModel, type ObservationHistoryOptions } from './observation-history.js';
import { OBS_SIZE } from './observation.js';

export class HistoryVecEnv extends VecEnvWrapper {
  readonly model: ObservationHistoryModel;
  /** Current history per env, [numEnvs * model.size]. */
  readonly history: Float32Array;
  private readonly innerWidth: number;
  private readonly width: number;
  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly finalHistory: Float32Array;
  /** Per-env views of `history`, made once (the step loop runs every control step). */
  private readonly rows: Float32Array[];

  constructor(inner: VecEnv, options: ObservationHistoryOptions) {
    const model = observationHistoryModel(options);
    super(inner, historyObservationSpace(inner.observationSpace, model));
    this.model = model;
    this.innerWidth = inner.observationSpace.shape[0];
    this.width = this.innerWidth + model.size;
    this.history = new Float32Array(this.numEnvs * model.size);
    this.finalHistory = new Float32Array(model.size);
    this.rows = Array.from({ length: this.numEnvs }, (_, i) => this.history.subarray(i * model.size, (i + 1) * model.size));
    this.obs = new Float32Array(this.numEnvs * this.width);
    this.finalObs = new Float32Array(this.numEnvs * this.width);
  }

  async reset(seed?: number): Promise<Float32Array> {
    const obs = await this.inner.reset(seed);
    this.history.fill(0);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, obs, this.rows[i], this.obs);
    return this.obs;
  }

  async step(actions: Float32Array): Promise<VecStep> {
    const r = await this.inner.step(actions);
    for (let i = 0; i < this.numEnvs; i++) {
      const history = this.rows[i];
      if (r.terminated[i] || r.truncated[i]) {
        // The last observation of the old episode with its history (for bootstrapping), then a fresh history.
        this.finalHistory.set(history);
        this.advance(i, r.finalObs, this.finalHistory, this.finalObs);
        history.fill(0);
      }
      this.advance(i, r.obs, history, this.obs);
    }
    return { ...r, obs: this.obs, finalObs: this.finalObs };
  }

  /** Update env i's history from its row of `inner` and write [inner row, history] into row i of `out`. */
  private advance(i: number, inner: Float32Array, history: Float32Array, out: Float32Array): void {
    const row = inner.subarray(i * this.innerWidth, (i + 1) * this.innerWidth);
    updateObservationHistory(this.model, history, row);
    out.set(row, i * this.width);
    out.set(history, i * this.width + this.innerWidth);
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
