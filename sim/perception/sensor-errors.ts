// What every perception sensor shares: per-episode error draws (noise scale, dropout,
// latency) and the corruption of a clean frame. Renderers mark a missing reading as NaN;
// corrupt() turns it into MISSING_READING, after noise, so a true 0 is never mistaken.
import type { Rng } from '../rng.js';
import { MISSING_READING, type PerceptionRandomization } from './config.js';

export interface SensorNominal {
  noiseStd: number;
  dropout: number;
  latencyTicks: number;
}

/** Per-env error state of one sensor for the current episode. */
export class SensorEpisodes {
  readonly noiseScale: Float64Array;
  readonly dropout: Float64Array;
  readonly latency: Int32Array;

  constructor(numEnvs: number, private readonly nominal: SensorNominal, private readonly random: PerceptionRandomization | null) {
    this.noiseScale = new Float64Array(numEnvs).fill(1);
    this.dropout = new Float64Array(numEnvs).fill(nominal.dropout);
    this.latency = new Int32Array(numEnvs).fill(nominal.latencyTicks);
  }

  /** Longest latency any episode can draw, ticks. */
  get maxLatency(): number {
    return this.nominal.latencyTicks + (this.random?.extraLatencyTicks[1] ?? 0);
  }

  sample(i: number, rng: Rng): void {
    const r = this.random;
    if (!r) return;
    this.noiseScale[i] = rng.uniform(r.noiseScale[0], r.noiseScale[1]);
    this.dropout[i] = Math.min(1, this.nominal.dropout * rng.uniform(r.dropoutScale[0], r.dropoutScale[1]));
    const [lo, hi] = r.extraLatencyTicks;
    this.latency[i] = this.nominal.latencyTicks + lo + rng.int(hi - lo + 1);
  }

  /** Gaussian noise of std (noiseStd + perUnit * |v|) x scale, then dropout; NaN -> MISSING_READING. */
  corrupt(i: number, frame: Float32Array, rng: Rng, perUnit = 0): void {
    const scale = this.noiseScale[i], base = this.nominal.noiseStd, dropout = this.dropout[i];
    for (let k = 0; k < frame.length; k++) {
      const v = frame[k];
      if (v !== v || (dropout > 0 && rng.next() < dropout)) {
        frame[k] = MISSING_READING;
        continue;
      }
      const std = (base + perUnit * Math.abs(v)) * scale;
      frame[k] = std > 0 ? v + std * rng.normal() : v;
    }
  }
}

/** Uniform in [-a, a]. */
export function symmetric(rng: Rng, a: number): number {
  return a > 0 ? rng.uniform(-a, a) : 0;
}
