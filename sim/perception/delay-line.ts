// Per-env ring of sensor frames, one slot per control tick: a frame read with latency L is
// the one the sensor held L ticks earlier. All slot views are made once, up front.
export class DelayLine {
  private readonly ring: Float32Array;
  private readonly views: Float32Array[][];
  private readonly head: Int32Array;

  constructor(readonly numEnvs: number, readonly frameSize: number, readonly maxLatency: number) {
    const slots = maxLatency + 1;
    this.ring = new Float32Array(numEnvs * slots * frameSize);
    this.head = new Int32Array(numEnvs);
    this.views = Array.from({ length: numEnvs }, (_, i) =>
      Array.from({ length: slots }, (_, k) => this.ring.subarray((i * slots + k) * frameSize, (i * slots + k + 1) * frameSize)),
    );
  }

  /** Advance env i by one tick and return the slot to fill with this tick's frame. */
  advance(i: number): Float32Array {
    const slots = this.maxLatency + 1;
    this.head[i] = (this.head[i] + 1) % slots;
    return this.views[i][this.head[i]];
  }

  /** Advance env i by one tick keeping the previous frame (the sensor has no new frame yet). */
  hold(i: number): void {
    const previous = this.views[i][this.head[i]];
    this.advance(i).set(previous);
  }

  /** After a reset: every slot holds the current frame, so early reads see the first frame. */
  prime(i: number): void {
    const current = this.views[i][this.head[i]];
    for (const slot of this.views[i]) if (slot !== current) slot.set(current);
  }

  /** The frame of `latency` ticks ago. */
  read(i: number, latency: number): Float32Array {
    const slots = this.maxLatency + 1;
    if (latency > this.maxLatency) throw new Error(`DelayLine: latency ${latency} ticks exceeds the ${this.maxLatency} it holds`);
    return this.views[i][(this.head[i] - latency + slots) % slots];
  }
}
