// N ballbot episodes stepped together in one Rapier World: observations, rewards,
// terminations, commands, pushes, randomization and auto-reset. The single Env and the
// vectorized envs (in-process and worker-thread) are thin shells around this.
import type { RandomizationConfig } from './config/randomization.js';
import type { RobotConfig } from './config/robot.js';
import type { TaskConfig } from './config/task.js';
import { envSeed, startEpisode } from './episode-start.js';
import { yawOf } from './math3.js';
import { ACTION_SIZE, actionToTorque, buildObservation, clipAction, OBS_SIZE } from './observation.js';
import { newRewardState, stepReward, trackingError2 } from './reward.js';
import { PerceptionBatch } from './perception/perception-batch.js';
import { Rng } from './rng.js';
import { BallbotWorld } from './world.js';

/** Per-episode statistics reported when an episode ends (one row of EPISODE_FIELDS). */
export const EPISODE_FIELDS = [
  'return', 'length', 'terminated', 'pushes', 'pushesRecovered', 'trackingErrorMps', 'meanActionChange', 'maxTiltDeg',
] as const;
export const EPISODE_STRIDE = EPISODE_FIELDS.length;

export const PRIVILEGED_LAYOUT = [
  'ball_vx', 'ball_vy', 'body_wx', 'body_wy', 'body_wz', 'pos_x', 'pos_y', 'tilt_rad',
  'body_mass_scale', 'com_x', 'com_y', 'com_height_scale', 'friction',
  'motor_strength_0', 'motor_strength_1', 'motor_strength_2', 'latency_ms', 'ball_radius_scale',
] as const;
export const PRIV_SIZE = PRIVILEGED_LAYOUT.length;

/** Where each ground-truth quantity sits in the privileged vector (PRIVILEGED_LAYOUT order). */
export const PRIV_INDEX = {
  ballVx: 0, ballVy: 1, bodyWx: 2, bodyWy: 3, bodyWz: 4, posX: 5, posY: 6, tiltRad: 7,
  bodyMassScale: 8, comX: 9, comY: 10, comHeightScale: 11, friction: 12, motorStrength: 13, latencyMs: 16, ballRadiusScale: 17,
} as const;

/** A push counts as recovered if the robot is still up this long after it. */
const PUSH_RECOVERY_S = 3;

export interface BatchOptions {
  robot: RobotConfig;
  task: TaskConfig;
  randomization: RandomizationConfig | null;
  numEnvs: number;
  /** Global index of this batch's first env (so env i's RNG is the same however envs are split). */
  firstEnv?: number;
  seed: number;
}

export class BallbotBatch {
  readonly n: number;
  readonly obs: Float32Array;
  readonly privileged: Float32Array;
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly finalObs: Float32Array;
  readonly finalPrivileged: Float32Array;
  /** Rows of EPISODE_FIELDS for envs whose episode ended this step. */
  readonly episodeStats: Float64Array;
  readonly controlDt: number;
  curriculumLevel = 1;
  /** Depth image and height scan, when the task asks for them (null = blind). */
  readonly perception: PerceptionBatch | null;

  private readonly rngs: Rng[];
  private readonly steps: Int32Array;
  private readonly maxSteps: number;
  private readonly prevAction: Float32Array;
  private readonly command: Float32Array; // [n*3] vx, vy, yaw rate (heading frame)
  private readonly nextCommandAt: Float64Array;
  private readonly nextPushAt: Float64Array;
  private readonly lastPushAt: Float64Array;
  private readonly epReturn: Float64Array;
  private readonly epPushes: Int32Array;
  private readonly epPushesRecovered: Int32Array;
  private readonly epTrackErr: Float64Array;
  private readonly epActionChange: Float64Array;
  private readonly epMaxTilt: Float64Array;
  private readonly actionDelta2: Float64Array; // |a_t - a_{t-1}|^2 of this step
  private readonly torque = new Float64Array(3);
  private readonly lastAction = new Float32Array(ACTION_SIZE);
  private readonly pos = new Float64Array(3);
  private readonly vel = new Float64Array(3);
  private readonly tiltLimit: number;
  private readonly rewardState = newRewardState();

  private constructor(readonly world: BallbotWorld, readonly options: BatchOptions) {
    const n = options.numEnvs;
    this.n = n;
    this.controlDt = world.controlDt;
    this.obs = new Float32Array(n * OBS_SIZE);
    this.privileged = new Float32Array(n * PRIV_SIZE);
    this.rewards = new Float32Array(n);
    this.terminated = new Uint8Array(n);
    this.truncated = new Uint8Array(n);
    this.finalObs = new Float32Array(n * OBS_SIZE);
    this.finalPrivileged = new Float32Array(n * PRIV_SIZE);
    this.episodeStats = new Float64Array(n * EPISODE_STRIDE);
    this.rngs = Array.from({ length: n }, () => new Rng(0));
    this.steps = new Int32Array(n);
    this.maxSteps = Math.round(options.task.episodeSeconds / world.controlDt);
    this.prevAction = new Float32Array(n * ACTION_SIZE);
    this.command = new Float32Array(n * 3);
    this.nextCommandAt = new Float64Array(n);
    this.nextPushAt = new Float64Array(n);
    this.lastPushAt = new Float64Array(n);
    this.epReturn = new Float64Array(n);
    this.epPushes = new Int32Array(n);
    this.epPushesRecovered = new Int32Array(n);
    this.epTrackErr = new Float64Array(n);
    this.epActionChange = new Float64Array(n);
    this.epMaxTilt = new Float64Array(n);
    this.actionDelta2 = new Float64Array(n);
    this.tiltLimit = (options.task.tiltLimitDeg * Math.PI) / 180;
    this.perception = PerceptionBatch.forTask(options.robot, options.task, options.randomization, n, world.controlDt);
  }

  static async create(options: BatchOptions): Promise<BallbotBatch> {
    const world = await BallbotWorld.create(options.robot, options.numEnvs, options.firstEnv ?? 0);
    const batch = new BallbotBatch(world, options);
    batch.resetAll(options.seed);
    return batch;
  }

  /** Reset every env; env i is seeded from (seed, global index) so splits do not matter. */
  resetAll(seed: number): Float32Array {
    const first = this.options.firstEnv ?? 0;
    for (let i = 0; i < this.n; i++) {
      this.rngs[i].seed(envSeed(seed, first + i));
      this.resetEnv(i);
    }
    return this.obs;
  }

  private resetEnv(i: number): void {
    const { robot, task, randomization } = this.options;
    const rng = this.rngs[i];
    const sim = this.world.robots[i];
    const p = startEpisode(sim, rng, { robot, randomization, level: this.curriculumLevel, terrain: task.terrain, terrainDifficulty: task.terrainDifficulty, initTiltDeg: task.initTiltDeg, randomPose: true });
    this.steps[i] = 0;
    this.prevAction.fill(0, i * ACTION_SIZE, (i + 1) * ACTION_SIZE);
    this.command.fill(0, i * 3, i * 3 + 3);
    this.nextCommandAt[i] = 0;
    if (task.commands) this.sampleCommand(i);
    this.nextPushAt[i] = p.pushIntervalS ? rng.uniform(p.pushIntervalS[0], p.pushIntervalS[1]) : Infinity;
    this.lastPushAt[i] = -Infinity;
    this.epReturn[i] = 0;
    this.epPushes[i] = 0;
    this.epPushesRecovered[i] = 0;
    this.epTrackErr[i] = 0;
    this.epActionChange[i] = 0;
    this.epMaxTilt[i] = 0;
    this.observe(i, this.controlDt);
    this.perception?.beginEpisode(i, sim, rng);
  }

  private sampleCommand(i: number): void {
    const c = this.options.task.commands!;
    const rng = this.rngs[i];
    const zero = rng.next() < c.zeroProbability;
    this.command[3 * i] = zero ? 0 : rng.uniform(c.vx[0], c.vx[1]);
    this.command[3 * i + 1] = zero ? 0 : rng.uniform(c.vy[0], c.vy[1]);
    this.command[3 * i + 2] = zero ? 0 : rng.uniform(c.yawRate[0], c.yawRate[1]);
    this.nextCommandAt[i] = this.world.robots[i].timeS + rng.uniform(c.resampleS[0], c.resampleS[1]);
  }

  private observe(i: number, elapsed: number): void {
    const sim = this.world.robots[i];
    const sensed = sim.sensors.read(this.options.robot, sim.params, this.rngs[i], elapsed, this.world.physicsDt);
    buildObservation(
      sensed,
      this.prevAction.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE),
      this.command.subarray(3 * i, 3 * i + 3),
      this.obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE),
    );
    this.writePrivileged(i);
  }

  private writePrivileged(i: number): void {
    const sim = this.world.robots[i];
    const p = sim.params;
    const robot = this.options.robot;
    const out = this.privileged.subarray(i * PRIV_SIZE, (i + 1) * PRIV_SIZE);
    sim.ballVelocity(this.vel);
    sim.localPosition(this.pos);
    const yaw = yawOf(sim.bodyRotation());
    const c = Math.cos(yaw), s = Math.sin(yaw);
    const P = PRIV_INDEX;
    out[P.ballVx] = c * this.vel[0] + s * this.vel[1];
    out[P.ballVy] = -s * this.vel[0] + c * this.vel[1];
    const w = sim.bodyAngvelWorld();
    out[P.bodyWx] = w[0]; out[P.bodyWy] = w[1]; out[P.bodyWz] = w[2];
    out[P.posX] = this.pos[0]; out[P.posY] = this.pos[1];
    out[P.tiltRad] = sim.tilt();
    out[P.bodyMassScale] = p.bodyMass / robot.body.mass;
    out[P.comX] = p.comOffset[0] * 10; out[P.comY] = p.comOffset[1] * 10;
    out[P.comHeightScale] = p.comOffset[2] / robot.body.comHeight;
    out[P.friction] = p.friction;
    for (let k = 0; k < 3; k++) out[P.motorStrength + k] = p.motorMaxTorque[k] / robot.motor.maxTorque;
    out[P.latencyMs] = p.actionLatency * 1000;
    out[P.ballRadiusScale] = p.ballRadius / robot.ball.radius;
  }

  /** Step every env with actions [n*3] in [-1, 1] (clipped here); auto-resets ended episodes. */
  step(actions: Float32Array): void {
    const { robot, task } = this.options;
    const dt = this.controlDt;
    const maxT = robot.motor.maxTorque;
    for (let i = 0; i < this.n; i++) {
      const sim = this.world.robots[i];
      const prev = this.prevAction.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE);
      this.lastAction.set(prev);
      clipAction(actions.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE), prev);
      let change = 0, change2 = 0;
      for (let k = 0; k < ACTION_SIZE; k++) {
        const d = prev[k] - this.lastAction[k];
        change += Math.abs(d);
        change2 += d * d;
      }
      actionToTorque(prev, maxT, this.torque);
      this.epActionChange[i] += change / ACTION_SIZE;
      this.actionDelta2[i] = change2;
      sim.setCommand(this.torque, this.options.randomization ? this.rngs[i] : null);
      if (sim.timeS >= this.nextPushAt[i]) this.applyPush(i);
      if (task.commands && sim.timeS >= this.nextCommandAt[i]) this.sampleCommand(i);
    }
    this.world.stepControl();
    for (let i = 0; i < this.n; i++) this.finishStep(i, dt);
  }

  private applyPush(i: number): void {
    const sim = this.world.robots[i];
    const p = sim.params;
    const rng = this.rngs[i];
    const mag = rng.uniform(p.pushVelocityMps[0], p.pushVelocityMps[1]);
    const dir = rng.uniform(0, 2 * Math.PI);
    sim.push(mag * Math.cos(dir), mag * Math.sin(dir));
    this.epPushes[i]++;
    this.lastPushAt[i] = sim.timeS;
    this.nextPushAt[i] = sim.timeS + rng.uniform(p.pushIntervalS![0], p.pushIntervalS![1]);
  }

  private finishStep(i: number, dt: number): void {
    const { task } = this.options;
    const sim = this.world.robots[i];
    this.steps[i]++;
    this.observe(i, dt);
    this.perception?.step(i, sim);
    const priv = this.privileged.subarray(i * PRIV_SIZE, (i + 1) * PRIV_SIZE);
    const P = PRIV_INDEX, rs = this.rewardState;
    rs.tiltRad = priv[P.tiltRad];
    rs.ballVx = priv[P.ballVx]; rs.ballVy = priv[P.ballVy];
    rs.bodyWx = priv[P.bodyWx]; rs.bodyWy = priv[P.bodyWy]; rs.bodyWz = priv[P.bodyWz];
    rs.posX = priv[P.posX]; rs.posY = priv[P.posY];
    rs.cmdVx = this.command[3 * i]; rs.cmdVy = this.command[3 * i + 1]; rs.cmdYawRate = this.command[3 * i + 2];
    let a2 = 0;
    for (let k = 0; k < ACTION_SIZE; k++) a2 += this.prevAction[i * ACTION_SIZE + k] ** 2;
    rs.actionMagnitude2 = a2;
    rs.actionChange2 = this.actionDelta2[i];
    const tilt = rs.tiltRad;
    const fell = tilt > this.tiltLimit;
    const r = stepReward(task.reward, rs, dt, fell);
    this.rewards[i] = r;
    this.epReturn[i] += r;
    if (task.commands) this.epTrackErr[i] += Math.sqrt(trackingError2(rs));
    if (tilt > this.epMaxTilt[i]) this.epMaxTilt[i] = tilt;
    if (this.epPushes[i] > this.epPushesRecovered[i] && sim.timeS - this.lastPushAt[i] >= PUSH_RECOVERY_S && !fell) {
      this.epPushesRecovered[i] = this.epPushes[i];
    }
    const patchEdge = sim.terrain && Math.max(Math.abs(rs.posX), Math.abs(rs.posY)) > sim.terrain.size / 2 - 1;
    const truncated = !fell && (this.steps[i] >= this.maxSteps || !!patchEdge);
    this.terminated[i] = fell ? 1 : 0;
    this.truncated[i] = truncated ? 1 : 0;
    if (fell || truncated) {
      // A push near the end that the robot survived counts as recovered.
      if (!fell) this.epPushesRecovered[i] = this.epPushes[i];
      const row = i * EPISODE_STRIDE, s = this.episodeStats, len = this.steps[i];
      s[row] = this.epReturn[i];
      s[row + 1] = len;
      s[row + 2] = fell ? 1 : 0;
      s[row + 3] = this.epPushes[i];
      s[row + 4] = this.epPushesRecovered[i];
      s[row + 5] = task.commands ? this.epTrackErr[i] / len : NaN;
      s[row + 6] = this.epActionChange[i] / len;
      s[row + 7] = (this.epMaxTilt[i] * 180) / Math.PI;
      this.finalObs.set(this.obs.subarray(i * OBS_SIZE, (i + 1) * OBS_SIZE), i * OBS_SIZE);
      this.finalPrivileged.set(priv, i * PRIV_SIZE);
      this.perception?.saveFinal(i);
      this.resetEnv(i);
    }
  }

  close(): void {
    this.world.close();
  }
}
