// Perception frames of a simulated robot: the plant renders them with the robot config's
// sensors (sim/perception, the training env's code: noise, dropout, latency in control ticks,
// pose error when randomized), and this source stamps each frame with its capture time.
import type { Plant } from '../../sim/plant-api.js';
import type { TaskPerception } from '../../sim/perception/config.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from '../../sim/perception/perception-batch.js';
import type { PerceptionFrame, PerceptionSource } from '../perception.js';

/** The sensors a simulated robot renders for a policy that needs `inputs` (none: undefined, nothing is rendered). */
export function sensorsFor(inputs: readonly string[]): TaskPerception | undefined {
  const depth = inputs.includes(DEPTH_INPUT), heightScan = inputs.includes(HEIGHT_SCAN_INPUT);
  return depth || heightScan ? { depth, heightScan } : undefined;
}

/** Frames read straight from an in-thread plant (the lockstep sim link). */
export class PlantPerceptionSource implements PerceptionSource {
  readonly name = 'sim plant';
  private readonly frames = new Map<string, PerceptionFrame>();

  /** `episodeStartMs()`: the link's clock at the plant's last reset (capture times count from it). */
  constructor(readonly inputs: readonly string[], private readonly plant: () => Plant | null, private readonly episodeStartMs: () => number) {
    for (const input of inputs) this.frames.set(input, { stampMs: NaN, seq: -1, data: new Float32Array(0) });
  }

  latestFrame(input: string): PerceptionFrame | null {
    const out = this.frames.get(input);
    const reading = out ? this.plant()?.perceptionFrame?.(input) : null;
    if (!out || !reading) return null;
    out.stampMs = this.episodeStartMs() + reading.capturedAtS * 1000;
    out.seq = out.stampMs;
    out.data = reading.data;
    return out;
  }
}
