// System identification: fit robot parameters so that replaying the recordings (sim/replay.ts,
// the env's own plant) matches what the robot's sensors reported. The gap is a sum of squared
// normalised residuals, so the fit is Levenberg-Marquardt (ml-levenberg-marquardt, mljs), and
// each estimate's uncertainty comes from the Jacobian of the residuals at the optimum
// (covariance = s^2 (J^T J)^-1, s^2 = residual sum of squares / (n - p)). Each replay window's
// start state is fitted as well (multiple shooting, sim/start-state-fit.ts).
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import type { RobotConfig } from './config/robot.js';
import { inverse, zeros } from './dense-matrix.js';
import { REPLAY_SIGNALS, Replayer, recordedScales, replayGap, residuals, type ReplayGap, type ReplayTrace } from './replay.js';
import { StartStateElimination, startStatePrior } from './start-state-fit.js';
import type { ReplayRecording } from './replay-recording.js';

/** How one parameter maps onto the robot config; u is the optimiser's coordinate. */
interface ParameterSpec {
  unit: string;
  /** 'log': value = initial * exp(u); 'offset': value = initial + u * step. */
  kind: 'log' | 'offset';
  step: number;
  /** Finite-difference step in u (latency: one physics substep, since the plant quantises it). */
  du: (robot: RobotConfig) => number;
  bounds: [number, number]; // in value units
  get(robot: RobotConfig): number;
  set(robot: RobotConfig, v: number): void;
}

const logSpec = (unit: string, bounds: [number, number], get: (r: RobotConfig) => number, set: (r: RobotConfig, v: number) => void): ParameterSpec =>
  ({ unit, kind: 'log', step: 1, du: () => 0.02, bounds, get, set });

/** The parameters `--params` may name. gyroBias is the IMU's constant offset (3 axes), not a plant parameter. */
export const SYSID_PARAMETERS: Record<string, ParameterSpec> = {
  bodyMass: logSpec('kg', [0.1, 200], (r) => r.body.mass, (r, v) => { r.body.mass = v; }),
  comHeight: logSpec('m', [0.02, 3], (r) => r.body.comHeight, (r, v) => { r.body.comHeight = v; }),
  inertia: logSpec('x', [0.05, 20], () => 1, (r, v) => { r.body.inertia = [r.body.inertia[0] * v, r.body.inertia[1] * v, r.body.inertia[2] * v]; }),
  motorStrength: logSpec('x', [0.1, 2], (r) => r.motor.strength ?? 1, (r, v) => { r.motor.strength = v; }),
  motorTimeConstant: logSpec('s', [0.0005, 0.2], (r) => Math.max(r.motor.timeConstant, 0.0005), (r, v) => { r.motor.timeConstant = v; }),
  rollingDamping: logSpec('N m s/rad', [1e-4, 10], (r) => Math.max(r.ball.rollingDamping, 1e-4), (r, v) => { r.ball.rollingDamping = v; }),
  spinDamping: logSpec('N m s/rad', [1e-4, 10], (r) => Math.max(r.ball.spinDamping, 1e-4), (r, v) => { r.ball.spinDamping = v; }),
  latency: {
    unit: 's', kind: 'offset', step: 0.001, du: (r) => r.control.physicsDt / 0.001, bounds: [0, 0.05],
    get: (r) => r.motor.latency, set: (r, v) => { r.motor.latency = v; },
  },
};
const GYRO_BIAS = 'gyroBias';
/** Substeps either side of LM's latency estimate that the final comparison tries. */
const LATENCY_PROFILE_SUBSTEPS = 2;
const GYRO_STEP = 0.001; // rad/s per u
export const SYSID_PARAMETER_NAMES = [...Object.keys(SYSID_PARAMETERS), GYRO_BIAS];
/** The parameters recovered reliably from an excited recording (docs/sysid.md); others on request. */
export const DEFAULT_SYSID_PARAMS = ['motorStrength', 'latency'];

export interface SysidOptions {
  params?: string[];
  windowS?: number;
  maxIterations?: number;
  /**
   * 'fit' (default): fit each window's start state as well (multiple shooting, two rounds);
   * 'recorded': start every window from the recorded state as `ballbot replay` does.
   */
  startStates?: 'fit' | 'recorded';
  /** Called after each gap evaluation (progress). */
  onEvaluation?: (count: number, gap: number) => void;
}

export interface Estimate {
  name: string;
  unit: string;
  initial: number;
  value: number;
  /** One standard deviation from the Jacobian at the optimum. */
  std: number;
}

export interface SysidResult {
  robot: RobotConfig;
  estimates: Estimate[];
  gyroBias: [number, number, number];
  before: ReplayGap[];
  after: ReplayGap[];
  evaluations: number;
  iterations: number;
}

/** One coordinate per scalar: every named parameter, gyroBias as three. */
function coordinates(names: string[]): { name: string; axis?: number }[] {
  const out: { name: string; axis?: number }[] = [];
  for (const n of names) {
    if (n === GYRO_BIAS) for (let a = 0; a < 3; a++) out.push({ name: n, axis: a });
    else if (SYSID_PARAMETERS[n]) out.push({ name: n });
    else throw new Error(`--params: unknown parameter '${n}' (known: ${SYSID_PARAMETER_NAMES.join(', ')})`);
  }
  return out;
}

export async function identify(recordings: ReplayRecording[], initial: RobotConfig, options: SysidOptions = {}): Promise<SysidResult> {
  const coords = coordinates(options.params ?? DEFAULT_SYSID_PARAMS);
  const replayer = await Replayer.create(initial);
  try {
    const windowS = options.windowS ?? 0.2;
    const decode = (u: ArrayLike<number>) => {
      const robot = structuredClone(initial);
      const bias: [number, number, number] = [0, 0, 0];
      coords.forEach((c, i) => {
        if (c.axis !== undefined) { bias[c.axis] = u[i] * GYRO_STEP; return; }
        const spec = SYSID_PARAMETERS[c.name];
        const v0 = spec.get(initial);
        const v = spec.kind === 'log' ? v0 * Math.exp(u[i]) : v0 + u[i] * spec.step;
        spec.set(robot, Math.min(spec.bounds[1], Math.max(spec.bounds[0], v)));
      });
      return { robot, bias };
    };
    const traces = (u: ArrayLike<number>): ReplayTrace[] => {
      const { robot, bias } = decode(u);
      return recordings.map((rec) => replayer.run(rec, robot, { windowS, gyroBias: bias }));
    };
    const u0 = new Array<number>(coords.length).fill(0);
    const base = traces(u0);
    const scales = base.map(recordedScales); // fixed by the recordings, not by the parameters
    const NSIG = REPLAY_SIGNALS.length;
    // Multiple shooting: each window's start state is fitted too (sim/start-state-fit.ts).
    const prior = startStatePrior(initial);
    let eliminations: StartStateElimination[] | null = null;
    const measureEliminations = (u: ArrayLike<number>) => {
      const { robot, bias } = decode(u);
      return recordings.map((rec, k) => StartStateElimination.measure(base[k], NSIG,
        (startOffsets) => residuals(replayer.run(rec, robot, { windowS, gyroBias: bias, startOffsets }), scales[k]), prior));
    };
    const dataLength = base.map((t) => t.recorded.length);
    let evaluations = 0;
    const residualVector = (u: ArrayLike<number>): Float64Array => {
      const priorLength = eliminations?.reduce((n, e) => n + e.priorLength, 0) ?? 0;
      const out = new Float64Array(dataLength.reduce((a, b) => a + b, 0) + priorLength);
      let at = 0, priorAt = out.length - priorLength;
      traces(u).forEach((t, k) => {
        if (t.recorded.length !== dataLength[k]) throw new Error('replay compared a different number of samples');
        const r = residuals(t, scales[k], out.subarray(at, at + dataLength[k]));
        at += dataLength[k];
        const e = eliminations?.[k];
        if (e) { e.apply(r, out.subarray(priorAt, priorAt + e.priorLength)); priorAt += e.priorLength; }
      });
      evaluations++;
      let ss = 0;
      for (let i = 0; i < out.length; i++) ss += out[i] * out[i];
      options.onEvaluation?.(evaluations, ss / out.length);
      return out;
    };
    const du = coords.map((c) => (c.axis !== undefined ? 1 : SYSID_PARAMETERS[c.name].du(initial)));
    const bounds = coords.map((c) => {
      if (c.axis !== undefined) return [-200, 200];
      const spec = SYSID_PARAMETERS[c.name], v0 = spec.get(initial);
      return spec.kind === 'log' ? [Math.log(spec.bounds[0] / v0), Math.log(spec.bounds[1] / v0)] : [(spec.bounds[0] - v0) / spec.step, (spec.bounds[1] - v0) / spec.step];
    });
    // The plant quantises latency to physics substeps, so the gap is a staircase in it and LM's
    // estimate can stop a step or two off: compare the substeps around it, the rest held.
    const nearestBestLatency = (fitted: number[]): number[] => {
      const i = coords.findIndex((c) => c.name === 'latency');
      if (i < 0) return fitted;
      const spec = SYSID_PARAMETERS.latency, v0 = spec.get(initial), dt = initial.control.physicsDt;
      const centre = Math.round((v0 + fitted[i] * spec.step) / dt);
      let best = fitted, bestSs = Infinity;
      for (let k = centre - LATENCY_PROFILE_SUBSTEPS; k <= centre + LATENCY_PROFILE_SUBSTEPS; k++) {
        const v = k * dt;
        if (v < spec.bounds[0] || v > spec.bounds[1]) continue;
        const candidate = fitted.slice();
        candidate[i] = (v - v0) / spec.step;
        const ss = residualVector(candidate).reduce((a, r) => a + r * r, 0);
        if (ss < bestSs) { bestSs = ss; best = candidate; }
      }
      return best;
    };
    // The sensitivities to the start states depend on the parameters: measured at the start,
    // then again at the first round's estimate for a second round.
    const rounds = options.startStates === 'recorded' ? 1 : 2;
    let u = u0, iterations = 0;
    for (let round = 0; round < rounds; round++) {
      if (options.startStates !== 'recorded') eliminations = measureEliminations(u);
      const total = residualVector(u).length;
      // ml-levenberg-marquardt fits y(x) = f(params)(x); here x indexes residuals and y = 0.
      let cacheKey = '', cache: Float64Array = new Float64Array(0);
      const model = (p: number[]) => {
        const key = p.join(',');
        if (key !== cacheKey) { cache = residualVector(p); cacheKey = key; }
        const r = cache;
        return (x: number) => r[x];
      };
      const fit = levenbergMarquardt({ x: Float64Array.from({ length: total }, (_, i) => i), y: new Float64Array(total) }, model, {
        initialValues: u, gradientDifference: du, centralDifference: false, damping: 1e-2,
        minValues: bounds.map((b) => b[0]), maxValues: bounds.map((b) => b[1]),
        maxIterations: options.maxIterations ?? 15, errorTolerance: 1e-6,
      });
      u = fit.parameterValues;
      iterations += fit.iterations;
    }
    u = nearestBestLatency(u);
    const std = uncertainty(residualVector, u, du);
    const { robot, bias } = decode(u);
    const estimates: Estimate[] = coords.filter((c) => c.axis === undefined).map((c) => {
      const i = coords.indexOf(c);
      const spec = SYSID_PARAMETERS[c.name];
      const value = spec.get(robot);
      const sd = spec.kind === 'log' ? value * std[i] : std[i] * spec.step;
      return { name: c.name, unit: spec.unit, initial: spec.get(initial), value: c.name === 'inertia' ? robot.body.inertia[0] / initial.body.inertia[0] : value, std: sd };
    });
    coords.forEach((c, i) => {
      if (c.axis !== undefined) estimates.push({ name: `gyroBias.${'xyz'[c.axis]}`, unit: 'rad/s', initial: 0, value: bias[c.axis], std: std[i] * GYRO_STEP });
    });
    const dtMs = (r: ReplayRecording) => 1000 / r.rateHz;
    const before = base.map((t, k) => replayGap(t, dtMs(recordings[k]), scales[k]));
    const after = traces(u).map((t, k) => replayGap(t, dtMs(recordings[k]), scales[k]));
    return { robot, estimates, gyroBias: bias, before, after, evaluations, iterations };
  } finally {
    replayer.close();
  }
}

/** One standard deviation per coordinate: central-difference Jacobian, s^2 (J^T J)^-1. */
function uncertainty(residualVector: (u: ArrayLike<number>) => Float64Array, u: number[], du: number[]): number[] {
  const p = u.length;
  const r0 = residualVector(u);
  const n = r0.length;
  const J: Float64Array[] = [];
  for (let i = 0; i < p; i++) {
    const up = u.slice(), dn = u.slice();
    up[i] += du[i]; dn[i] -= du[i];
    const a = residualVector(up), b = residualVector(dn);
    J.push(Float64Array.from(a, (v, k) => (v - b[k]) / (2 * du[i])));
  }
  let ss = 0;
  for (let k = 0; k < n; k++) ss += r0[k] * r0[k];
  const s2 = ss / Math.max(1, n - p);
  const JtJ = zeros(p, p);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += J[i][k] * J[j][k];
    JtJ[i][j] = JtJ[j][i] = acc;
  }
  const cov = inverse(JtJ);
  return Array.from({ length: p }, (_, i) => Math.sqrt(Math.max(0, s2 * cov[i][i])));
}
