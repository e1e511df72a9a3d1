// Frames of one episode in flat arrays for plotting, with the wheel angles integrated from
// the wheel speeds (so the drawn wheels turn) and lookup by time.
import type { DepthImage, EpisodeEvent, EpisodeFrame } from './episode.js';

export class EpisodeStore {
  readonly frames: EpisodeFrame[] = [];
  readonly events: EpisodeEvent[] = [];
  readonly t: number[] = [];
  readonly tiltDeg: number[] = [];
  readonly rawTorque: number[][] = [[], [], []];
  readonly safeTorque: number[][] = [[], [], []];
  readonly wheelVelocity: number[][] = [[], [], []];
  readonly wheelAngle: number[][] = [[], [], []];
  /** The last depth frame at or before each frame (depth arrives at the camera's rate). */
  readonly depthAt: (DepthImage | undefined)[] = [];

  append(frames: EpisodeFrame[]): void {
    for (const f of frames) {
      const n = this.frames.length;
      this.frames.push(f);
      this.t.push(f.t);
      this.depthAt.push(f.depth ?? (n ? this.depthAt[n - 1] : undefined));
      this.tiltDeg.push(f.tiltRad !== undefined ? (f.tiltRad * 180) / Math.PI : NaN);
      for (let i = 0; i < 3; i++) {
        this.rawTorque[i].push(f.rawTorque?.[i] ?? NaN);
        this.safeTorque[i].push(f.safeTorque?.[i] ?? NaN);
        const w = f.wheelVelocity?.[i] ?? 0;
        this.wheelVelocity[i].push(f.wheelVelocity?.[i] ?? NaN);
        const prev = n ? this.wheelAngle[i][n - 1] : 0;
        const dt = n ? Math.max(0, Math.min(f.t - this.t[n - 1], 0.1)) : 0;
        const wPrev = n ? (this.frames[n - 1].wheelVelocity?.[i] ?? 0) : 0;
        this.wheelAngle[i].push(prev + 0.5 * (w + wPrev) * dt);
      }
    }
  }

  /** Drop frames older than t (live history); returns how many were dropped. */
  dropBefore(t: number): number {
    let k = 0;
    while (k < this.t.length && this.t[k] < t) k++;
    if (k === 0) return 0;
    for (const arr of [this.frames, this.t, this.depthAt, this.tiltDeg, ...this.rawTorque, ...this.safeTorque, ...this.wheelVelocity, ...this.wheelAngle] as unknown[][]) arr.splice(0, k);
    while (this.events.length && this.events[0].t < t) this.events.shift();
    return k;
  }

  get length(): number {
    return this.frames.length;
  }

  /** Index of the last frame at or before t (0 if none). */
  indexAt(t: number): number {
    let lo = 0, hi = this.t.length - 1;
    if (hi < 0 || t <= this.t[0]) return 0;
    if (t >= this.t[hi]) return hi;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.t[mid] <= t) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first frame at or after t. */
  firstAtOrAfter(t: number): number {
    const i = this.indexAt(t);
    return this.t[i] < t ? Math.min(i + 1, this.t.length) : i;
  }
}
