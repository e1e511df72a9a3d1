// A residual policy: the learned network only corrects a hand-designed base controller.
//   action = clip(base(obs) + residualScale * residual(obs), -1, 1)
// The artifact stays one .onnx file (the residual network); its metadata key
// `ballbot.base_controller` names the base, the scale and the robot the base was designed for.
// Training (sim/residual-vec-env.ts), eval, sim, deploy, HIL and the viewer all compose the
// action here, so the composition cannot differ between them.
import { DEFAULT_ROBOT_CONFIG } from './config/paths.js';
import { loadRobotConfig, robotIdentity, type RobotConfig } from './config/robot.js';
import type { Controller } from './controller.js';
import { createLqrController } from './lqr.js';
import { ACTION_SIZE, OBS_SIZE } from './observation.js';

export const BASE_CONTROLLER_KEY = 'ballbot.base_controller';

export interface BaseControllerSpec {
  kind: 'lqr';
  /** Residual output 1.0 adds this much torque fraction to the base action. */
  residualScale: number;
  /** robotIdentity().hash of the robot config the base controller is built from. */
  robotHash: string;
}

/** Parse and check the metadata value; errors name `source` and the key. */
export function parseBaseControllerSpec(text: string, source: string): BaseControllerSpec {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${source}: metadata '${BASE_CONTROLLER_KEY}' is not valid JSON`);
  }
  const o = v as Partial<BaseControllerSpec> | null;
  if (!o || typeof o !== 'object') throw new Error(`${source}: metadata '${BASE_CONTROLLER_KEY}' must be a JSON object`);
  if (o.kind !== 'lqr') throw new Error(`${source}: metadata '${BASE_CONTROLLER_KEY}'.kind must be "lqr", got ${JSON.stringify(o.kind)}`);
  if (typeof o.residualScale !== 'number' || !(o.residualScale > 0 && o.residualScale <= 2)) {
    throw new Error(`${source}: metadata '${BASE_CONTROLLER_KEY}'.residualScale must be a number in (0, 2], got ${JSON.stringify(o.residualScale)}`);
  }
  if (typeof o.robotHash !== 'string' || o.robotHash.length === 0) throw new Error(`${source}: metadata '${BASE_CONTROLLER_KEY}'.robotHash must be a non-empty string`);
  return { kind: 'lqr', residualScale: o.residualScale, robotHash: o.robotHash };
}

/** The base controller of `spec` for `robot`; refuses a robot other than the one the artifact names. */
export function createBaseController(spec: BaseControllerSpec, robot: RobotConfig, source: string): Controller {
  const hash = robotIdentity(robot).hash;
  if (hash !== spec.robotHash) {
    throw new Error(`${source}: the residual's base controller was designed for robot hash ${spec.robotHash}, this robot config hashes to ${hash}`);
  }
  return createLqrController(robot);
}

export interface ResidualBase {
  controller: Controller;
  scale: number;
}

/**
 * The base controller an artifact's metadata declares (null for a plain policy), built for
 * `robot` (default: configs/robot/default.yaml) and checked against the artifact's robot hash.
 */
export function residualBaseFor(meta: { baseController?: BaseControllerSpec }, source: string, robot?: RobotConfig): ResidualBase | null {
  if (!meta.baseController) return null;
  const r = robot ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  return { controller: createBaseController(meta.baseController, r, source), scale: meta.baseController.residualScale };
}

/** out = clip(base + scale * residual) over one action vector (length ACTION_SIZE). */
export function composeAction(base: ArrayLike<number>, residual: ArrayLike<number>, scale: number, out: Float32Array): void {
  for (let k = 0; k < ACTION_SIZE; k++) {
    const r = residual[k];
    const a = base[k] + scale * (r === r ? r : 0); // a NaN residual adds nothing; the base stays
    out[k] = a > 1 ? 1 : a < -1 ? -1 : a;
  }
}

/** One controller from a base controller and a residual controller: both see the same observation. */
export function composeResidual(base: Controller, residual: Controller, scale: number): Controller {
  const b = new Float32Array(ACTION_SIZE);
  const r = new Float32Array(ACTION_SIZE);
  return {
    reset() {
      base.reset();
      residual.reset();
    },
    act(obs, out) {
      base.act(obs, b);
      residual.act(obs, r);
      composeAction(b, r, scale, out);
    },
  };
}

/**
 * The composition over a batch of envs: one base controller per env (each keeps its own
 * filter and odometry state), reset per env when its episode restarts.
 */
export class ResidualComposer {
  private readonly base: Float32Array;
  private readonly out: Float32Array;

  constructor(private readonly controllers: Controller[], readonly scale: number) {
    this.base = new Float32Array(controllers.length * ACTION_SIZE);
    this.out = new Float32Array(controllers.length * ACTION_SIZE);
    for (const c of controllers) c.reset();
  }

  get numEnvs(): number {
    return this.controllers.length;
  }

  resetEnv(i: number): void {
    this.controllers[i].reset();
  }

  /**
   * The base controllers' actions for the first `n` envs (a controller's action is in [-1, 1]); each reads the first
   * OBS_SIZE values of its row of `obs` (rows `stride` wide: wider observations keep the ballbot
   * observation first). Also the imitation teacher's labels (training/runners/ppo-rollout.ts).
   */
  baseActions(obs: Float32Array, n: number, stride: number = OBS_SIZE): Float32Array {
    for (let i = 0; i < n; i++) {
      const b = this.base.subarray(i * ACTION_SIZE, (i + 1) * ACTION_SIZE);
      this.controllers[i].act(obs.subarray(i * stride, i * stride + OBS_SIZE), b);
    }
    return this.base;
  }

  /** Actions for the first `n` envs: base(obs_i) + scale * residual_i, clipped. */
  compose(obs: Float32Array, residual: Float32Array, n: number): Float32Array {
    const base = this.baseActions(obs, n);
    for (let i = 0; i < n; i++) {
      const a = i * ACTION_SIZE;
      composeAction(base.subarray(a, a + ACTION_SIZE), residual.subarray(a, a + ACTION_SIZE), this.scale, this.out.subarray(a, a + ACTION_SIZE));
    }
    return this.out;
  }
}

/**
 * For batch callers of an artifact (eval): (obs, networkOut, n) -> actions. Identity for a
 * plain policy; for a residual one, base + residual with one base controller per env, created
 * on first use and never reset (each env runs one episode per load, as evaluation does).
 */
export function composeResidualBatch(meta: { baseController?: BaseControllerSpec }, source: string, robot?: RobotConfig): (obs: Float32Array, net: Float32Array, n: number) => Float32Array {
  const spec = meta.baseController;
  if (!spec) return (_obs, net) => net;
  residualBaseFor(meta, source, robot); // refuse a wrong robot at load, not at the first step
  let composer: ResidualComposer | null = null;
  return (obs, net, n) => {
    if (!composer || composer.numEnvs < n) {
      composer = new ResidualComposer(Array.from({ length: n }, () => residualBaseFor(meta, source, robot)!.controller), spec.residualScale);
    }
    return composer.compose(obs, net, n);
  };
}
