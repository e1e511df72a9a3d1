// Perception frames between the real-time sim link's worker (the simulated robot, which renders
// them from its plant) and the main thread (the control loop), through shared memory: one
// seqlock per input over its capture stamp and values. The writer makes the sequence odd,
// writes, makes it even; the reader retries while it is odd or changed, so a frame is never
// read half-written.
import type { PerceptionFrame, PerceptionSource } from '../perception.js';

export interface SharedFramesLayout {
  inputs: string[];
  sizes: number[];
  seq: SharedArrayBuffer; // Int32 per input
  stamps: SharedArrayBuffer; // Float64 per input
  data: SharedArrayBuffer[]; // Float32 [size] per input
}

export function createSharedFrames(inputs: readonly string[], sizes: readonly number[]): SharedFramesLayout {
  return {
    inputs: [...inputs], sizes: [...sizes],
    seq: new SharedArrayBuffer(4 * inputs.length),
    stamps: new SharedArrayBuffer(8 * inputs.length),
    data: sizes.map((n) => new SharedArrayBuffer(4 * n)),
  };
}

/** The worker's side: publish a frame when it is new. */
export class SharedFramesWriter {
  private readonly seq: Int32Array;
  private readonly stamps: Float64Array;
  private readonly data: Float32Array[];
  constructor(readonly layout: SharedFramesLayout) {
    this.seq = new Int32Array(layout.seq);
    this.stamps = new Float64Array(layout.stamps);
    this.data = layout.data.map((b) => new Float32Array(b));
  }
  /** Publish input k's frame captured at `stampMs`; a frame with the stamp already published is skipped. */
  publish(k: number, stampMs: number, values: Float32Array): void {
    if (this.stamps[k] === stampMs && Atomics.load(this.seq, k) !== 0) return;
    const s = Atomics.add(this.seq, k, 1) + 1; // odd: writing
    this.stamps[k] = stampMs;
    this.data[k].set(values);
    Atomics.store(this.seq, k, s + 1);
  }
}

/** The main thread's side: the newest complete frame of each input, copied out when it changed. */
export class SharedFramesSource implements PerceptionSource {
  readonly name = 'sim (worker)';
  readonly inputs: readonly string[];
  private readonly seq: Int32Array;
  private readonly stamps: Float64Array;
  private readonly shared: Float32Array[];
  private readonly frames: PerceptionFrame[];
  private readonly scratch: Float32Array[];
  constructor(layout: SharedFramesLayout) {
    this.inputs = layout.inputs;
    this.seq = new Int32Array(layout.seq);
    this.stamps = new Float64Array(layout.stamps);
    this.shared = layout.data.map((b) => new Float32Array(b));
    this.frames = layout.sizes.map((n) => ({ stampMs: NaN, seq: 0, data: new Float32Array(n) }));
    this.scratch = layout.sizes.map((n) => new Float32Array(n));
  }

  latestFrame(input: string): PerceptionFrame | null {
    const k = this.inputs.indexOf(input);
    if (k < 0) return null;
    const out = this.frames[k];
    for (let tries = 0; tries < 16; tries++) {
      const s1 = Atomics.load(this.seq, k);
      if (s1 === 0) return null; // nothing published yet
      if (s1 === out.seq) return out; // unchanged
      if (s1 & 1) continue;
      const stamp = this.stamps[k];
      this.scratch[k].set(this.shared[k]);
      if (Atomics.load(this.seq, k) !== s1) continue;
      const data = out.data;
      out.data = this.scratch[k];
      this.scratch[k] = data;
      out.stampMs = stamp;
      out.seq = s1;
      return out;
    }
    // The robot's thread kept writing: the last complete frame, whose stamp ages.
    return Number.isNaN(out.stampMs) ? null : out;
  }
}
