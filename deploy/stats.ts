// Timing statistics without per-sample allocation: samples go into a fixed ring (the most
// recent 2^18, ~22 min at 200 Hz) and percentiles are computed once at the end.
export class SampleStats {
  private readonly buf: Float64Array;
  private n = 0;
  constructor(capacity = 1 << 18) { this.buf = new Float64Array(capacity); }
  add(v: number): void {
    if (!Number.isFinite(v)) return;
    this.buf[this.n % this.buf.length] = v;
    this.n++;
  }
  get count(): number { return this.n; }
  /** p in [0, 100]; NaN when empty. */
  percentiles(...ps: number[]): number[] {
    const m = Math.min(this.n, this.buf.length);
    if (m === 0) return ps.map(() => NaN);
    const sorted = this.buf.slice(0, m).sort();
    return ps.map((p) => sorted[Math.min(m - 1, Math.max(0, Math.ceil((p / 100) * m) - 1))]);
  }
  max(): number {
    const m = Math.min(this.n, this.buf.length);
    let best = -Infinity;
    for (let i = 0; i < m; i++) if (this.buf[i] > best) best = this.buf[i];
    return m ? best : NaN;
  }
}

/** Round to 0.1 for reports. */
export const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : null);
