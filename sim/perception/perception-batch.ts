// Perception for a batch of envs: the depth image and the height scan a task asks for,
// each rendered at its own rate, corrupted (noise, dropout), and delayed by its latency
// in control ticks. Made only when the task asks for perception, so a blind batch does no
// extra work. Every buffer is allocated here, once.
import type { RandomizationConfig } from '../config/randomization.js';
import type { RobotConfig } from '../config/robot.js';
import type { TaskConfig } from '../config/task.js';
import { Rng } from '../rng.js';
import type { RobotSim } from '../robot-sim.js';
import { tensorSize, type TensorSpace } from '../spaces.js';
import { PerceptionRandomizationSchema, type PerceptionConfig, type TaskPerception } from './config.js';
import { DelayLine } from './delay-line.js';
import { DepthCamera } from './depth-camera.js';
import { HeightScan } from './height-scan.js';
import { SensorEpisodes } from './sensor-errors.js';
import { TerrainRays } from './terrain-rays.js';

/** Names of the extra observations (also the policy's input names). */
export const DEPTH_INPUT = 'depth';
export const HEIGHT_SCAN_INPUT = 'height_scan';

/** What the batch needs of a sensor model (DepthCamera, HeightScan). */
export interface SensorRenderer {
  readonly space: TensorSpace;
  /** Noise std growth per unit of the reading (depth noise grows with range). */
  readonly noisePerUnit: number;
  /** Env i's clean frame, NaN where there is no reading. */
  render(i: number, sim: RobotSim, rays: TerrainRays, out: Float32Array): void;
  /** Draw env i's pose errors for a new episode. */
  sampleEpisode(i: number, rng: Rng): void;
}

interface Sensor {
  readonly name: string;
  readonly model: SensorRenderer;
  readonly size: number;
  readonly errors: SensorEpisodes;
  readonly line: DelayLine;
  /** The control tick each delayed frame was rendered at, delayed with it (one value per frame). */
  readonly renderTicks: DelayLine;
  /** Batch output [n * size] and the last frame of ended episodes. */
  readonly out: Float32Array;
  readonly finalOut: Float32Array;
}

export class PerceptionBatch {
  readonly rays = new TerrainRays();
  readonly sensors: Sensor[] = [];
  private readonly rngs: Rng[];
  private readonly ticks: Int32Array;

  private constructor(readonly n: number, private readonly controlDt: number) {
    this.rngs = Array.from({ length: n }, () => new Rng(0));
    this.ticks = new Int32Array(n);
  }

  /** The perception a task asks for, or null for a blind task. */
  static forTask(robot: RobotConfig, task: TaskConfig, randomization: RandomizationConfig | null, n: number, controlDt: number): PerceptionBatch | null {
    return PerceptionBatch.forSensors(robot, task.perception, randomization, n, controlDt, `task '${task.name}'`);
  }

  /** The sensors `want` names (a task's, or a simulated robot's in deploy), or null when none. `who` asks, for messages. */
  static forSensors(robot: RobotConfig, want: TaskPerception | undefined, randomization: RandomizationConfig | null, n: number, controlDt: number, who: string): PerceptionBatch | null {
    if (!want || (!want.depth && !want.heightScan)) return null;
    const missing = (key: string) =>
      new Error(`${who} sets perception.${key === 'depthCamera' ? 'depth' : 'heightScan'}: true, but robot config '${robot.name}' has no perception.${key} section`);
    const random = randomization ? (randomization.perception ?? PerceptionRandomizationSchema.parse({})) : null;
    const batch = new PerceptionBatch(n, controlDt);
    const checkRate = (key: string, rateHz: number) => {
      // At most one reading per control tick: a faster sensor would silently drop frames.
      if (rateHz * controlDt > 1 + 1e-9) throw new Error(`robot config '${robot.name}': perception.${key}.rateHz ${rateHz} exceeds control.rateHz ${1 / controlDt}`);
    };
    const required = <K extends 'depthCamera' | 'heightScan'>(key: K): NonNullable<PerceptionConfig[K]> => {
      const c = robot.perception?.[key];
      if (!c) throw missing(key);
      checkRate(key, c.rateHz);
      return c as NonNullable<PerceptionConfig[K]>;
    };
    if (want.depth) {
      const c = required('depthCamera');
      batch.add(DEPTH_INPUT, new DepthCamera(c, n, random), new SensorEpisodes(n, c, random));
    }
    if (want.heightScan) {
      const c = required('heightScan');
      batch.add(HEIGHT_SCAN_INPUT, new HeightScan(c, n, random), new SensorEpisodes(n, c, random));
    }
    return batch;
  }

  private add(name: string, model: SensorRenderer, errors: SensorEpisodes): void {
    const size = tensorSize(model.space);
    this.sensors.push({
      name, model, size, errors,
      line: new DelayLine(this.n, size, errors.maxLatency),
      renderTicks: new DelayLine(this.n, 1, errors.maxLatency),
      out: new Float32Array(this.n * size),
      finalOut: new Float32Array(this.n * size),
    });
  }

  /** Spaces of the extra observations, by name. */
  spaces(): Record<string, TensorSpace> {
    return Object.fromEntries(this.sensors.map((s) => [s.name, s.model.space]));
  }

  output(name: string, final = false): Float32Array {
    const s = this.sensors.find((x) => x.name === name);
    if (!s) throw new Error(`no perception input '${name}': this env has ${this.sensors.map((x) => x.name).join(', ') || 'none'}`);
    return final ? s.finalOut : s.out;
  }

  /**
   * A new episode for env i (after its pose is reset): draw errors, render the first frame.
   * The perception stream is seeded from the env's stream without drawing from it, so
   * turning perception on never changes an episode's physics or proprioception.
   */
  beginEpisode(i: number, sim: RobotSim, envRng: Rng): void {
    const { s } = envRng.getState();
    const rng = this.rngs[i];
    rng.seed((s[0] ^ Math.imul(s[1], 0x9e3779b1) ^ s[2]) >>> 0);
    this.ticks[i] = 0;
    for (const s of this.sensors) {
      s.errors.sample(i, rng);
      s.model.sampleEpisode(i, rng);
      const frame = s.line.advance(i);
      s.model.render(i, sim, this.rays, frame);
      s.errors.corrupt(i, frame, rng, s.model.noisePerUnit);
      s.line.prime(i);
      s.renderTicks.advance(i)[0] = 0;
      s.renderTicks.prime(i);
      this.publish(s, i);
    }
  }

  /** One control tick of env i: a new frame where the sensor's rate says so, then the delayed output. */
  step(i: number, sim: RobotSim): void {
    const t = ++this.ticks[i];
    for (const s of this.sensors) {
      const period = s.model.space.rateHz * this.controlDt;
      const due = Math.floor(t * period + 1e-9) !== Math.floor((t - 1) * period + 1e-9);
      if (due) {
        const frame = s.line.advance(i);
        s.model.render(i, sim, this.rays, frame);
        s.errors.corrupt(i, frame, this.rngs[i], s.model.noisePerUnit);
        s.renderTicks.advance(i)[0] = t;
      } else {
        s.line.hold(i);
        s.renderTicks.hold(i);
      }
      this.publish(s, i);
    }
  }

  /**
   * The control tick (since env i's episode began) at which the frame `output(name)` now holds
   * for env i was rendered: the frame's capture time, which deploy stamps frames with.
   */
  frameTick(name: string, i: number): number {
    const s = this.sensors.find((x) => x.name === name);
    if (!s) throw new Error(`no perception input '${name}': this env has ${this.sensors.map((x) => x.name).join(', ') || 'none'}`);
    return s.renderTicks.read(i, s.errors.latency[i])[0];
  }

  /** Keep env i's current outputs as the last frame of its ending episode. */
  saveFinal(i: number): void {
    for (const s of this.sensors) s.finalOut.set(s.out.subarray(i * s.size, (i + 1) * s.size), i * s.size);
  }

  private publish(s: Sensor, i: number): void {
    s.out.set(s.line.read(i, s.errors.latency[i]), i * s.size);
  }
}
