// Multiple shooting for system identification: each replay window's start state comes from
// noisy sensors, and the unstable plant amplifies that noise open loop; fitting the robot's
// parameters alone then favours whatever diverges least (a lighter body), not the true robot.
// So each window's start state is fitted as well. The windows are independent, so the start
// states are eliminated in closed form for any parameter set (variable projection): with S_w the
// sensitivity of window w's residuals to its start-state correction d (measured by finite
// differences, all windows at once), d = -(S_w^T S_w + P)^-1 S_w^T r_w, the residuals become
// r_w + S_w d, and the prior P (the sensors' noise) adds d / sigma as residuals of its own.
import type { RobotConfig } from './config/robot.js';
import { inverse } from './dense-matrix.js';
import { omniwheelJacobian } from './kinematics.js';
import { START_STATE_SIZE, type ReplayTrace } from './replay.js';

/** Finite-difference steps of the start-state coordinates (tilt rad, angular velocities rad/s). */
const STEP = [1e-3, 1e-3, 5e-3, 5e-3, 5e-3, 5e-3, 5e-3, 5e-3];

/**
 * The prior's standard deviation per start-state coordinate: what the sensors' noise leaves
 * in a recorded start (tilt from the gravity vector, body rate from the gyro, ball spin from
 * gyro and encoders), times PRIOR_WIDTH so the recording, not the prior, decides.
 */
const PRIOR_WIDTH = 3;
export function startStatePrior(robot: RobotConfig): number[] {
  const imu = robot.sensors.imu, gear = Math.abs(omniwheelJacobian(robot)[0]) || 1;
  const ball = imu.gyroNoise + robot.sensors.encoder.velocityNoise / gear;
  return [imu.gravityNoise, imu.gravityNoise, imu.gyroNoise, imu.gyroNoise, imu.gyroNoise, ball, ball, ball].map((s) => PRIOR_WIDTH * s);
}

interface WindowBlock {
  from: number; // first residual index
  to: number; // one past the last
  /** (S^T S + P)^-1, START_STATE_SIZE^2. */
  solve: number[][];
}

export class StartStateElimination {
  private constructor(
    /** Columns of S over the whole residual vector. */
    private readonly S: Float64Array[],
    private readonly blocks: WindowBlock[],
    private readonly priorSigma: number[],
  ) {}

  /** Extra residuals apply() writes: START_STATE_SIZE per window. */
  get priorLength(): number {
    return this.blocks.length * START_STATE_SIZE;
  }

  /**
   * Measure S at one parameter set. `residualsWith(offsets)` replays with every window's start
   * corrected by `offsets` (START_STATE_SIZE per window) and returns the normalised residuals;
   * `trace` gives the windows (the same for every correction: they follow the recording).
   */
  static measure(trace: ReplayTrace, signalsPerSample: number, residualsWith: (offsets: Float64Array) => Float64Array, priorSigma: number[]): StartStateElimination {
    const W = trace.windows;
    const base = residualsWith(new Float64Array(W * START_STATE_SIZE));
    const S = STEP.map((h, c) => {
      const offsets = new Float64Array(W * START_STATE_SIZE);
      for (let w = 0; w < W; w++) offsets[w * START_STATE_SIZE + c] = h;
      const r = residualsWith(offsets);
      return Float64Array.from(r, (v, k) => (v - base[k]) / h);
    });
    const blocks: WindowBlock[] = [];
    for (let i = 0; i < trace.samples; ) {
      const w = trace.window[i];
      let j = i;
      while (j < trace.samples && trace.window[j] === w) j++;
      const from = i * signalsPerSample, to = j * signalsPerSample;
      const A = Array.from({ length: START_STATE_SIZE }, (_, a) => Array.from({ length: START_STATE_SIZE }, (_, b) => {
        let acc = a === b ? 1 / priorSigma[a] ** 2 : 0;
        for (let k = from; k < to; k++) acc += S[a][k] * S[b][k];
        return acc;
      }));
      blocks.push({ from, to, solve: inverse(A) });
      i = j;
    }
    return new StartStateElimination(S, blocks, priorSigma);
  }

  /** Fit every window's start in place: r += S d; prior gets d / sigma. */
  apply(r: Float64Array, prior: Float64Array): void {
    const b = new Float64Array(START_STATE_SIZE), d = new Float64Array(START_STATE_SIZE);
    this.blocks.forEach((blk, w) => {
      for (let a = 0; a < START_STATE_SIZE; a++) {
        let acc = 0;
        for (let k = blk.from; k < blk.to; k++) acc += this.S[a][k] * r[k];
        b[a] = acc;
      }
      for (let a = 0; a < START_STATE_SIZE; a++) {
        let acc = 0;
        for (let c = 0; c < START_STATE_SIZE; c++) acc -= blk.solve[a][c] * b[c];
        d[a] = acc;
        prior[w * START_STATE_SIZE + a] = acc / this.priorSigma[a];
      }
      for (let k = blk.from; k < blk.to; k++) {
        let acc = 0;
        for (let a = 0; a < START_STATE_SIZE; a++) acc += this.S[a][k] * d[a];
        r[k] += acc;
      }
    });
  }
}
