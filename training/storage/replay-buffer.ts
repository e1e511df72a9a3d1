// Fixed-capacity replay buffer on preallocated typed arrays (ring buffer). Stores
// `terminated` separately from truncation: only a termination stops bootstrapping, and
// for a truncated step `nextObs` is the episode's real final observation.
import type { Rng } from '../../sim/rng.js';

export interface ReplayBatch {
  obs: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  terminated: Float32Array;
}

export class ReplayBuffer {
  readonly obs: Float32Array;
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly nextObs: Float32Array;
  readonly terminated: Uint8Array;
  size = 0;
  private pos = 0;

  constructor(readonly capacity: number, readonly obsSize: number, readonly actSize: number) {
    this.obs = new Float32Array(capacity * obsSize);
    this.actions = new Float32Array(capacity * actSize);
    this.rewards = new Float32Array(capacity);
    this.nextObs = new Float32Array(capacity * obsSize);
    this.terminated = new Uint8Array(capacity);
  }

  add(obs: ArrayLike<number>, action: ArrayLike<number>, reward: number, nextObs: ArrayLike<number>, terminated: boolean): void {
    const i = this.pos;
    for (let j = 0; j < this.obsSize; j++) {
      this.obs[i * this.obsSize + j] = obs[j];
      this.nextObs[i * this.obsSize + j] = nextObs[j];
    }
    for (let j = 0; j < this.actSize; j++) this.actions[i * this.actSize + j] = action[j];
    this.rewards[i] = reward;
    this.terminated[i] = terminated ? 1 : 0;
    this.pos = (this.pos + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Sample `batch.rewards.length` transitions uniformly (with replacement) into `batch`. */
  sample(rng: Rng, batch: ReplayBatch): void {
    const n = batch.rewards.length;
    const d = this.obsSize;
    const a = this.actSize;
    for (let k = 0; k < n; k++) {
      const i = rng.int(this.size);
      batch.obs.set(this.obs.subarray(i * d, i * d + d), k * d);
      batch.nextObs.set(this.nextObs.subarray(i * d, i * d + d), k * d);
      batch.actions.set(this.actions.subarray(i * a, i * a + a), k * a);
      batch.rewards[k] = this.rewards[i];
      batch.terminated[k] = this.terminated[i];
    }
  }

  static makeBatch(n: number, obsSize: number, actSize: number): ReplayBatch {
    return {
      obs: new Float32Array(n * obsSize),
      actions: new Float32Array(n * actSize),
      rewards: new Float32Array(n),
      nextObs: new Float32Array(n * obsSize),
      terminated: new Float32Array(n),
    };
  }

  getState(): { size: number; pos: number } {
    return { size: this.size, pos: this.pos };
  }

  setState(s: { size: number; pos: number }): void {
    this.size = s.size;
    this.pos = s.pos;
  }
}
