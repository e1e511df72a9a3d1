// A VecEnv whose observation carries the tracking memory (sim/tracking-memory.ts): row i is
// [obs_i (15), m_i / clip (3)], with m_i updated from obs_i each step exactly as the exported
// artifact updates its 'memory_in' -> 'memory_out' state. One memory per env, zeroed whenever
// that env's episode restarts (auto-reset or reset()). Privileged and extra observations pass through.
import type { RobotConfig } from './config/robot.js';
import type { VecEnv } from './env.js';
import { OBS_SIZE } from './observation.js';
import { box, type BoxSpace } from './spaces.js';
import { ObservationStateVecEnv } from './vec-env-wrapper.js';
import {
  TRACKING_MEMORY_FEATURES, TRACKING_MEMORY_SIZE, trackingMemoryModel, updateTrackingMemory, writeTrackingMemoryFeatures,
  type TrackingMemoryModel, type TrackingMemoryOptions,
} from './tracking-memory.js';

export class MemoryVecEnv extends ObservationStateVecEnv {
  readonly model: TrackingMemoryModel;

  constructor(inner: VecEnv, robot: RobotConfig, options: TrackingMemoryOptions) {
    super(inner, memoryObservationSpace(inner.observationSpace), TRACKING_MEMORY_SIZE);
    this.model = trackingMemoryModel(robot, options);
  }

  /** Current memory per env, [numEnvs * 3], in the units of TRACKING_MEMORY_UNITS. */
  get memory(): Float32Array {
    return this.state;
  }

  protected update(memory: Float32Array, obs: Float32Array): void {
    updateTrackingMemory(this.model, memory, obs);
  }

  protected features(memory: Float32Array, out: Float32Array): void {
    writeTrackingMemoryFeatures(this.model, memory, out);
  }
}

/** The ballbot observation space with the three memory features after it, each in [-1, 1]. */
function memoryObservationSpace(space: BoxSpace): BoxSpace {
  if (space.shape[0] !== OBS_SIZE) throw new Error(`env.memory needs the ballbot observation (${OBS_SIZE} values), the env has ${space.shape[0]}`);
  return box(
    OBS_SIZE + TRACKING_MEMORY_SIZE,
    [...space.low, ...new Array(TRACKING_MEMORY_SIZE).fill(-1)],
    [...space.high, ...new Array(TRACKING_MEMORY_SIZE).fill(1)],
    space.names ? [...space.names, ...TRACKING_MEMORY_FEATURES] : undefined,
  );
}
