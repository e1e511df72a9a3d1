// A VecEnv whose observation carries the tracking memory (sim/tracking-memory.ts): row i is
// [obs_i (15), m_i / clip (3)], with m_i updated from obs_i each step exactly as the exported
// artifact updates its 'memory_in' -> 'memory_out' state. One memory per env, zeroed whenever
// that env's episode restarts (auto-reset or reset()). Privileged and extra observations pass through.
import type { RobotConfig } from './config/robot.js';
import type { VecEnv, VecStep } from './env.js';
import { OBS_SIZE } from './observation.js';
import { box, type BoxSpace } from './spaces.js';
import { VecEnvWrapper } from './vec-env-wrapper.js';
import {
  TRACKING_MEMORY_FEATURES, TRACKING_MEMORY_SIZE, trackingMemoryModel, updateTrackingMemory, writeTrackingMemoryFeatures,
  type TrackingMemoryModel, type TrackingMemoryOptions,
} from './tracking-memory.js';

const WIDTH = OBS_SIZE + TRACKING_MEMORY_SIZE;

export class MemoryVecEnv extends VecEnvWrapper {
  readonly model: TrackingMemoryModel;
  /** Current memory per env, [numEnvs * 3], in the units of TRACKING_MEMORY_UNITS. */
  readonly memory: Float32Array;
  private readonly obs: Float32Array;
  private readonly finalObs: Float32Array;
  private readonly finalMemory = new Float32Array(TRACKING_MEMORY_SIZE);
  /** Per-env views of `memory`, made once (the step loop runs every control step). */
  private readonly memoryRows: Float32Array[];

  constructor(inner: VecEnv, robot: RobotConfig, options: TrackingMemoryOptions) {
    super(inner, memoryObservationSpace(inner.observationSpace));
    this.model = trackingMemoryModel(robot, options);
    this.memory = new Float32Array(this.numEnvs * TRACKING_MEMORY_SIZE);
    this.memoryRows = Array.from({ length: this.numEnvs }, (_, i) => this.memory.subarray(i * TRACKING_MEMORY_SIZE, (i + 1) * TRACKING_MEMORY_SIZE));
    this.obs = new Float32Array(this.numEnvs * WIDTH);
    this.finalObs = new Float32Array(this.numEnvs * WIDTH);
  }

  async reset(seed?: number): Promise<Float32Array> {
    const obs = await this.inner.reset(seed);
    this.memory.fill(0);
    for (let i = 0; i < this.numEnvs; i++) this.advance(i, obs, this.memoryRows[i], this.obs);
    return this.obs;
  }

  async step(actions: Float32Array): Promise<VecStep> {
    const r = await this.inner.step(actions);
    for (let i = 0; i < this.numEnvs; i++) {
      const memory = this.memoryRows[i];
      if (r.terminated[i] || r.truncated[i]) {
        // The last observation of the old episode with its memory (for bootstrapping), then a fresh memory.
        this.finalMemory.set(memory);
        this.advance(i, r.finalObs, this.finalMemory, this.finalObs);
        memory.fill(0);
      }
      this.advance(i, r.obs, memory, this.obs);
    }
    return { ...r, obs: this.obs, finalObs: this.finalObs };
  }

  /** Update env i's memory from its row of `inner` and write [obs, memory / clip] into row i of `out`. */
  private advance(i: number, inner: Float32Array, memory: Float32Array, out: Float32Array): void {
    const obs = inner.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE);
    updateTrackingMemory(this.model, memory, obs);
    out.set(obs, i * WIDTH);
    writeTrackingMemoryFeatures(this.model, memory, out.subarray(i * WIDTH + OBS_SIZE, (i + 1) * WIDTH));
  }
}

/** The ballbot observation space with the three memory features after it, each in [-1, 1]. */
function memoryObservationSpace(space: BoxSpace): BoxSpace {
  if (space.shape[0] !== OBS_SIZE) throw new Error(`env.memory needs the ballbot observation (${OBS_SIZE} values), the env has ${space.shape[0]}`);
  return box(
    WIDTH,
    [...space.low, ...new Array(TRACKING_MEMORY_SIZE).fill(-1)],
    [...space.high, ...new Array(TRACKING_MEMORY_SIZE).fill(1)],
    space.names ? [...space.names, ...TRACKING_MEMORY_FEATURES] : undefined,
  );
}
