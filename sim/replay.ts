// Replay: how far is the sim from the robot that made a recording? Short windows, each
// started from a recorded sensor state (attitude, gyro, encoders: nothing a real robot cannot
// measure), driven open loop by the recorded commands through the same plant the env uses
// (sim/plant.ts: robot-sim and motor models), and compared sample by sample with what the
// robot's sensors reported. Open loop only over a window, since a balancing robot diverges.
import { omniwheelJacobian, invert3 } from './kinematics.js';
import { quatFromAxisAngle, quatMultiply, rotate } from './math3.js';
import { buildObservation, OBS_SIZE, type SensorState } from './observation.js';
import type { RobotConfig } from './config/robot.js';
import { nominalParams } from './episode-params.js';
import { createReplayPlant, type ReplayPlant } from './plant.js';
import type { RecordedCommand, RecordedSample, ReplayRecording } from './replay-recording.js';

export const REPLAY_SIGNALS = [
  'tilt_x', 'tilt_y', 'gyro_x', 'gyro_y', 'gyro_z', 'wheel_0', 'wheel_1', 'wheel_2', 'ball_vx', 'ball_vy',
] as const;
export type ReplaySignal = (typeof REPLAY_SIGNALS)[number];
const UNITS: Record<ReplaySignal, string> = {
  tilt_x: 'rad', tilt_y: 'rad', gyro_x: 'rad/s', gyro_y: 'rad/s', gyro_z: 'rad/s',
  wheel_0: 'rad/s', wheel_1: 'rad/s', wheel_2: 'rad/s', ball_vx: 'm/s', ball_vy: 'm/s',
};
const NSIG = REPLAY_SIGNALS.length;

export interface ReplayOptions {
  /** Open-loop window length, s (re-synchronised from the recording after each). */
  windowS?: number;
  /** Gyro bias to remove from the recorded gyro, rad/s (system identification estimates it). */
  gyroBias?: ArrayLike<number>;
  /** Samples tilted beyond this are left out (a fall is not what the model is for), deg. */
  maxTiltDeg?: number;
  /**
   * A correction to each window's start state, START_STATE_SIZE values per window (see
   * START_STATE): system identification fits them (multiple shooting), since an unstable plant
   * amplifies the sensors' noise in a start state open loop.
   */
  startOffsets?: ArrayLike<number>;
}

/** The start-state coordinates a window's correction has: tilt, body and ball angular velocity. */
export const START_STATE = ['tilt_x', 'tilt_y', 'body_wx', 'body_wy', 'body_wz', 'ball_wx', 'ball_wy', 'ball_wz'] as const;
export const START_STATE_SIZE = START_STATE.length;

/** Recorded and replayed signals, NSIG values per compared sample, window by window. */
export interface ReplayTrace {
  recorded: Float64Array;
  replayed: Float64Array;
  /** Window index of each compared sample. */
  window: Int32Array;
  /** Stamp of each compared sample, ms (the recording's clock). */
  stampMs: Float64Array;
  samples: number;
  windows: number;
}

/**
 * Signals that a robot's own sensors give: projected gravity x, y (about the tilt in rad),
 * gyro, wheel speeds and the ball velocity the encoders and IMU imply (rolling without slip).
 */
export class SensorSignals {
  private readonly Jinv: Float64Array;
  private readonly obs = new Float32Array(OBS_SIZE);
  private readonly zero3 = new Float64Array(3);
  private readonly w = new Float64Array(3);

  constructor(private readonly robot: RobotConfig) {
    this.Jinv = invert3(omniwheelJacobian(robot));
  }

  /** Ball angular velocity in the world frame from attitude, gyro and encoders. */
  ballAngvelWorld(s: SensorState, gyroBias: ArrayLike<number>, out: Float64Array): Float64Array {
    const J = this.Jinv, wv = s.wheelVelocity, w = this.w;
    for (let i = 0; i < 3; i++) w[i] = J[3 * i] * wv[0] + J[3 * i + 1] * wv[1] + J[3 * i + 2] * wv[2] + s.gyro[i] - gyroBias[i];
    rotate(s.orientation, w, out);
    return out;
  }

  write(s: SensorState, gyroBias: ArrayLike<number>, out: Float64Array, at: number): void {
    buildObservation(s, this.zero3, this.zero3, this.obs);
    out[at] = this.obs[0];
    out[at + 1] = this.obs[1];
    for (let i = 0; i < 3; i++) out[at + 2 + i] = s.gyro[i] - gyroBias[i];
    for (let i = 0; i < 3; i++) out[at + 5 + i] = s.wheelVelocity[i];
    const wb = this.ballAngvelWorld(s, gyroBias, this.w);
    const r = this.robot.ball.radius;
    const vx = wb[1] * r, vy = -wb[0] * r;
    out[at + 8] = vx;
    out[at + 9] = vy;
  }
}

/** Replays recordings on one plant; reuse it for many parameter sets (system identification). */
export class Replayer {
  private constructor(private readonly plant: ReplayPlant) {}

  static async create(robot: RobotConfig): Promise<Replayer> {
    return new Replayer(await createReplayPlant(robot));
  }

  /**
   * Replay `rec` on `robot`'s physical parameters (those in EpisodeParams: masses, inertias,
   * damping, motor strength, lag and latency). Geometry, rate, the motors' back-EMF and friction
   * and the sensor models are those of the robot the Replayer was created with.
   */
  run(rec: ReplayRecording, robot: RobotConfig, options: ReplayOptions = {}): ReplayTrace {
    const plant = this.plant;
    const params = nominalParams(robot);
    params.sensorNoiseScale = 0; // compare the model, not one draw of its noise
    plant.setParams(params);
    const dtMs = 1000 / rec.rateHz;
    const steps = Math.max(1, Math.round(((options.windowS ?? 0.3) * 1000) / dtMs));
    const bias = options.gyroBias ?? [0, 0, 0];
    const maxTilt = Math.cos(((options.maxTiltDeg ?? 15) * Math.PI) / 180);
    const signals = new SensorSignals(robot);
    const delays = sensorDelaysMs(robot);
    const samples = rec.samples;
    const commandAt = commandLookup(rec.commands);
    // A sample is usable when the loop was armed then and the robot upright.
    const usable = samples.map((s) => commandAt(s.stampMs)?.armed === true && 1 - 2 * (s.orientation[0] ** 2 + s.orientation[1] ** 2) >= maxTilt);
    const indexOfStamp = new Map<number, number>();
    const t0 = samples[0].stampMs;
    samples.forEach((s, i) => indexOfStamp.set(Math.round((s.stampMs - t0) / dtMs), i));

    const cap = samples.length * NSIG;
    const recorded = new Float64Array(cap), replayed = new Float64Array(cap);
    const windowOf = new Int32Array(samples.length), stampOf = new Float64Array(samples.length);
    const bodyW = new Float64Array(3), ballW = new Float64Array(3), biased = new Float64Array(3);
    const offsets = options.startOffsets, tilt = new Float64Array(4), q = new Float64Array(4);
    let n = 0, windows = 0;
    for (let a = 0; a < samples.length; ) {
      if (!usable[a]) { a++; continue; }
      const start = fittedStart(samples, indexOfStamp, Math.round((samples[a].stampMs - t0) / dtMs), a, delays);
      const startSlot = Math.round((start.stampMs - t0) / dtMs);
      for (let i = 0; i < 3; i++) biased[i] = start.gyro[i] - bias[i];
      rotate(start.orientation, biased, bodyW);
      signals.ballAngvelWorld(start, bias, ballW);
      q.set(start.orientation);
      if (offsets) applyStartOffset(offsets, windows * START_STATE_SIZE, q, bodyW, ballW, tilt);
      // The substep ending `ago` s before the start ran in the control step ending floor(ago / dt) ticks before.
      plant.placeInMotion(q, bodyW, ballW, (ago) => (commandAt(start.stampMs - Math.floor((ago * 1000) / dtMs + 1e-9) * dtMs + 1e-6) ?? NO_COMMAND).torqueNm);
      let last = a;
      for (let j = 1; j <= steps; j++) {
        const stamp = start.stampMs + j * dtMs;
        const c = commandAt(stamp + 1e-6);
        if (!c || !c.armed) break;
        plant.applyCommand(c.torqueNm);
        plant.stepControl();
        const simulated = plant.sensors();
        const k = indexOfStamp.get(startSlot + j);
        if (k === undefined) continue; // a dropped sample: nothing to compare this step
        if (!usable[k]) break;
        signals.write(samples[k], bias, recorded, n * NSIG);
        signals.write(simulated, ZERO3, replayed, n * NSIG);
        windowOf[n] = windows;
        stampOf[n] = samples[k].stampMs;
        n++;
        last = k;
      }
      windows++;
      a = Math.max(last, a + 1);
    }
    return { recorded: recorded.subarray(0, n * NSIG), replayed: replayed.subarray(0, n * NSIG), window: windowOf.subarray(0, n), stampMs: stampOf.subarray(0, n), samples: n, windows };
  }

  close(): void {
    this.plant.close();
  }
}

/** Replay one recording on `robot` once (`ballbot replay`, the viewer's overlay): the trace and its gaps. */
export async function replayOnce(rec: ReplayRecording, robot: RobotConfig, options: ReplayOptions = {}): Promise<{ trace: ReplayTrace; gap: ReplayGap }> {
  const replayer = await Replayer.create(robot);
  try {
    const trace = replayer.run(rec, robot, options);
    if (!trace.samples) throw new Error(`recording ${rec.file}: no armed, upright stretch to replay`);
    return { trace, gap: replayGap(trace, 1000 / rec.rateHz) };
  } finally {
    replayer.close();
  }
}

const ZERO3 = new Float64Array(3);
const NO_COMMAND: RecordedCommand = { sentMs: -Infinity, torqueNm: [0, 0, 0], armed: false };

/** Add a window's start-state correction: a tilt about world x and y, then body and ball angular velocities. */
function applyStartOffset(o: ArrayLike<number>, at: number, q: Float64Array, bodyW: Float64Array, ballW: Float64Array, tilt: Float64Array): void {
  const angle = Math.hypot(o[at], o[at + 1]);
  if (angle > 0) {
    quatFromAxisAngle(o[at] / angle, o[at + 1] / angle, 0, angle, tilt);
    quatMultiply(tilt, q, q);
  }
  for (let i = 0; i < 3; i++) { bodyW[i] += o[at + 2 + i]; ballW[i] += o[at + 5 + i]; }
}

/** Samples each side fitted into a window's start state (sensor noise would otherwise grow open loop). */
const START_SMOOTHING = 2;

/** How old each sensor's reading is when stamped: IMU latency; encoders add half a period (a count difference). */
export function sensorDelaysMs(robot: RobotConfig): { imu: number; encoder: number } {
  const q = (s: number) => Math.round(s / robot.control.physicsDt) * robot.control.physicsDt * 1000;
  return { imu: q(robot.sensors.imu.latency), encoder: q(robot.sensors.encoder.latency) + 500 / robot.control.rateHz };
}

/**
 * The state at sample a's stamp: a quadratic through the samples within +-START_SMOOTHING
 * ticks, each placed at the time it describes (stamp minus its sensor's delay), evaluated at
 * the stamp. Averages the noise down and undoes the sensors' delay.
 */
function fittedStart(samples: RecordedSample[], indexOfStamp: Map<number, number>, slot: number, a: number, delays: { imu: number; encoder: number }): RecordedSample {
  const t0 = samples[a].stampMs;
  const near: RecordedSample[] = [];
  for (let d = -START_SMOOTHING; d <= START_SMOOTHING; d++) {
    const k = indexOfStamp.get(slot + d);
    if (k !== undefined) near.push(samples[k]);
  }
  // Quadratic least squares (a straight line would flatten the fast swings an excitation makes).
  const fit = (get: (s: RecordedSample) => number, delay: number) => {
    if (near.length < 3) return get(samples[a]);
    const M = new Float64Array(9), b = new Float64Array(3);
    for (const s of near) {
      const t = (s.stampMs - delay - t0) / 10, v = get(s), basis = [1, t, t * t];
      for (let i = 0; i < 3; i++) { b[i] += basis[i] * v; for (let j = 0; j < 3; j++) M[3 * i + j] += basis[i] * basis[j]; }
    }
    const inv = invert3(M);
    return inv[0] * b[0] + inv[1] * b[1] + inv[2] * b[2]; // the constant term: the value at the stamp
  };
  const orientation = [0, 1, 2, 3].map((i) => fit((s) => s.orientation[i], delays.imu));
  const qn = Math.hypot(...orientation);
  return {
    stampMs: t0,
    orientation: orientation.map((x) => x / qn),
    gyro: [0, 1, 2].map((i) => fit((s) => s.gyro[i], delays.imu)),
    wheelVelocity: [0, 1, 2].map((i) => fit((s) => s.wheelVelocity[i], delays.encoder)),
  };
}

/** The latest command sent at or before a time (commands sorted by sentMs); queries may go in any order. */
function commandLookup(commands: RecordedCommand[]): (tMs: number) => RecordedCommand | null {
  return (tMs) => {
    let lo = 0, hi = commands.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (commands[mid].sentMs <= tMs) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found < 0 ? null : commands[found];
  };
}

/** Recorded and replayed signals as plain series (the viewer's overlay, JSON). */
export interface ReplaySeries {
  /** Seconds from the recording's first sample. */
  t: number[];
  window: number[];
  signals: { name: ReplaySignal; unit: string; recorded: number[]; replayed: number[] }[];
}

export function replaySeries(trace: ReplayTrace, firstStampMs: number): ReplaySeries {
  const column = (values: Float64Array, s: number) => Array.from({ length: trace.samples }, (_, i) => values[i * NSIG + s]);
  return {
    t: Array.from(trace.stampMs, (ms) => (ms - firstStampMs) / 1000),
    window: Array.from(trace.window),
    signals: REPLAY_SIGNALS.map((name, s) => ({ name, unit: UNITS[name], recorded: column(trace.recorded, s), replayed: column(trace.replayed, s) })),
  };
}

export interface SignalGap {
  unit: string;
  rmse: number;
  /** Mean of replayed minus recorded. */
  bias: number;
  /** Lag of the replay behind the recording that best aligns them (cross-correlation), ms. */
  lagMs: number;
  /** Standard deviation of the recorded signal (the scale gaps are normalised by). */
  recordedStd: number;
}

export interface ReplayGap {
  windows: number;
  samples: number;
  signals: Record<ReplaySignal, SignalGap>;
  /** Mean over signals of (rmse / recorded std)^2: 0 = identical, about 2 = unrelated. */
  normalizedGap: number;
}

/** Per-signal standard deviations of the recorded samples. */
export function recordedScales(trace: ReplayTrace): Float64Array {
  const sd = new Float64Array(NSIG);
  for (let s = 0; s < NSIG; s++) {
    let m = 0, m2 = 0;
    for (let i = 0; i < trace.samples; i++) m += trace.recorded[i * NSIG + s];
    m /= Math.max(1, trace.samples);
    for (let i = 0; i < trace.samples; i++) m2 += (trace.recorded[i * NSIG + s] - m) ** 2;
    sd[s] = Math.sqrt(m2 / Math.max(1, trace.samples)) || 1;
  }
  return sd;
}

/** Normalised residuals (replayed - recorded) / scale, the vector system identification minimises. */
export function residuals(trace: ReplayTrace, scales: ArrayLike<number>, out = new Float64Array(trace.samples * NSIG)): Float64Array {
  for (let i = 0; i < trace.samples; i++) {
    for (let s = 0; s < NSIG; s++) out[i * NSIG + s] = (trace.replayed[i * NSIG + s] - trace.recorded[i * NSIG + s]) / scales[s];
  }
  return out;
}

export function replayGap(trace: ReplayTrace, dtMs: number, scales = recordedScales(trace)): ReplayGap {
  const signals = {} as Record<ReplaySignal, SignalGap>;
  let total = 0;
  REPLAY_SIGNALS.forEach((name, s) => {
    let se = 0, bias = 0;
    for (let i = 0; i < trace.samples; i++) {
      const d = trace.replayed[i * NSIG + s] - trace.recorded[i * NSIG + s];
      se += d * d;
      bias += d;
    }
    const count = Math.max(1, trace.samples);
    const rmse = Math.sqrt(se / count);
    total += (rmse / scales[s]) ** 2;
    signals[name] = { unit: UNITS[name], rmse, bias: bias / count, lagMs: bestLag(trace, s) * dtMs, recordedStd: scales[s] };
  });
  return { windows: trace.windows, samples: trace.samples, signals, normalizedGap: total / NSIG };
}

/** Lag (samples, -5..5) maximising the correlation of replayed(t + lag) with recorded(t) within windows (means removed). */
function bestLag(trace: ReplayTrace, s: number): number {
  let mr = 0, mp = 0;
  for (let i = 0; i < trace.samples; i++) { mr += trace.recorded[i * NSIG + s]; mp += trace.replayed[i * NSIG + s]; }
  mr /= Math.max(1, trace.samples); mp /= Math.max(1, trace.samples);
  let best = 0, bestCorr = -Infinity;
  for (let lag = -5; lag <= 5; lag++) {
    let sum = 0, count = 0;
    for (let i = 0; i < trace.samples; i++) {
      const j = i + lag;
      if (j < 0 || j >= trace.samples || trace.window[j] !== trace.window[i]) continue;
      sum += (trace.recorded[i * NSIG + s] - mr) * (trace.replayed[j * NSIG + s] - mp);
      count++;
    }
    const corr = count ? sum / count : -Infinity;
    if (corr > bestCorr) { bestCorr = corr; best = lag; }
  }
  return best;
}
