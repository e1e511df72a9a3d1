// Sim2sim: the same controller, robot config and observation path (sim/observation.ts) in two
// physics engines, Rapier (sim/plant.ts, the training engine) and MuJoCo (sim/mujoco/), on the
// same seeds and initial conditions: a tilt from rest, then a push. A policy that only works
// because of one engine's quirks shows up as a difference here, before it meets hardware.
import type { RobotConfig } from './config/robot.js';
import { nominalParams } from './episode-params.js';
import { quatFromAxisAngle } from './math3.js';
import { MujocoBallbot } from './mujoco/mujoco-plant.js';
import { ACTION_SIZE, actionToTorque, buildObservation, OBS_SIZE, type SensorState } from './observation.js';
import { createReplayPlant, DEFAULT_TILT_LIMIT_DEG } from './plant.js';
import { Rng } from './rng.js';

/** What sim2sim needs of a controller (a deploy Policy fits). */
export interface Sim2simController {
  readonly maxTorqueNm: number;
  reset(): void;
  act(obs: Float32Array, out: Float32Array): void;
}

export interface EpisodeSpec {
  seed: number;
  initTiltDeg: number;
  tiltAxisRad: number;
  pushAtS: number;
  push: [number, number];
}

/** Initial tilt 1-4 deg about a random axis, then a 0.2-0.5 m/s push in a random direction at 2 s. */
export function episodeSpec(seed: number): EpisodeSpec {
  const rng = new Rng(seed);
  const initTiltDeg = rng.uniform(1, 4), tiltAxisRad = rng.uniform(0, 2 * Math.PI);
  const mag = rng.uniform(0.2, 0.5), dir = rng.uniform(0, 2 * Math.PI);
  return { seed, initTiltDeg, tiltAxisRad, pushAtS: 2, push: [mag * Math.cos(dir), mag * Math.sin(dir)] };
}

interface Engine {
  place(bodyQ: ArrayLike<number>, seed: number): void;
  applyCommand(torqueNm: ArrayLike<number>): void;
  stepControl(): void;
  sensors(): SensorState;
  tiltRad(): number;
  push(dvx: number, dvy: number): void;
  close(): void;
}

async function rapierEngine(robot: RobotConfig): Promise<Engine> {
  const plant = await createReplayPlant(robot);
  const zero = [0, 0, 0];
  return {
    place: (q, seed) => { plant.reset({ seed }); plant.setParams(nominalParams(robot)); plant.placeInMotion(q, zero, zero, () => zero); },
    applyCommand: (t) => plant.applyCommand(t),
    stepControl: () => plant.stepControl(),
    sensors: () => plant.sensors(),
    tiltRad: () => plant.truth().tiltRad,
    push: (x, y) => plant.push(x, y),
    close: () => plant.close(),
  };
}

async function mujocoEngine(robot: RobotConfig): Promise<Engine> {
  const rng = new Rng(0);
  const mj = await MujocoBallbot.create(robot, nominalParams(robot), rng);
  return {
    place: (q, seed) => { rng.seed(seed); mj.place(q); },
    applyCommand: (t) => mj.applyCommand(t),
    stepControl: () => mj.stepControl(),
    sensors: () => mj.sensors(),
    tiltRad: () => mj.tiltRad(),
    push: (x, y) => mj.push(x, y),
    close: () => mj.close(),
  };
}

export interface EpisodeResult {
  seed: number;
  fell: boolean;
  maxTiltDeg: number;
  /** Largest tilt in the second after the push, deg. */
  maxTiltAfterPushDeg: number;
  rmsTiltDeg: number;
}

function runEpisode(engine: Engine, controller: Sim2simController, robot: RobotConfig, spec: EpisodeSpec, seconds: number): EpisodeResult {
  const DEG = 180 / Math.PI;
  const q = quatFromAxisAngle(Math.cos(spec.tiltAxisRad), Math.sin(spec.tiltAxisRad), 0, spec.initTiltDeg / DEG, new Float64Array(4));
  engine.place(q, spec.seed);
  controller.reset();
  const obs = new Float32Array(OBS_SIZE), action = new Float32Array(ACTION_SIZE), prev = new Float32Array(ACTION_SIZE);
  const torque = new Float64Array(ACTION_SIZE), command = [0, 0, 0];
  const steps = Math.round(seconds * robot.control.rateHz), pushStep = Math.round(spec.pushAtS * robot.control.rateHz);
  let maxTilt = 0, afterPush = 0, sumSq = 0, fell = false;
  for (let k = 0; k < steps; k++) {
    if (k === pushStep) engine.push(spec.push[0], spec.push[1]);
    buildObservation(engine.sensors(), prev, command, obs);
    controller.act(obs, action);
    for (let i = 0; i < ACTION_SIZE; i++) action[i] = Math.max(-1, Math.min(1, action[i] || 0));
    prev.set(action);
    actionToTorque(action, controller.maxTorqueNm, torque);
    engine.applyCommand(torque);
    engine.stepControl();
    const tilt = engine.tiltRad() * DEG;
    maxTilt = Math.max(maxTilt, tilt);
    if (k >= pushStep && k < pushStep + robot.control.rateHz) afterPush = Math.max(afterPush, tilt);
    sumSq += tilt * tilt;
    if (tilt > DEFAULT_TILT_LIMIT_DEG) { fell = true; break; }
  }
  return { seed: spec.seed, fell, maxTiltDeg: maxTilt, maxTiltAfterPushDeg: afterPush, rmsTiltDeg: Math.sqrt(sumSq / steps) };
}

export interface EngineSummary {
  successRate: number;
  meanMaxTiltDeg: number;
  worstMaxTiltDeg: number;
  meanMaxTiltAfterPushDeg: number;
  meanRmsTiltDeg: number;
  episodes: EpisodeResult[];
}

export interface Sim2simResult {
  episodes: number;
  seconds: number;
  rapier: EngineSummary;
  mujoco: EngineSummary;
  /** Mean over episodes of |max tilt in MuJoCo - max tilt in Rapier|, deg. */
  meanAbsMaxTiltDifferenceDeg: number;
  /** Episodes where one engine fell and the other did not. */
  disagreements: number;
}

function summarize(results: EpisodeResult[]): EngineSummary {
  const mean = (f: (r: EpisodeResult) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
  return {
    successRate: mean((r) => (r.fell ? 0 : 1)), meanMaxTiltDeg: mean((r) => r.maxTiltDeg),
    worstMaxTiltDeg: Math.max(...results.map((r) => r.maxTiltDeg)), meanMaxTiltAfterPushDeg: mean((r) => r.maxTiltAfterPushDeg),
    meanRmsTiltDeg: mean((r) => r.rmsTiltDeg), episodes: results,
  };
}

export async function runSim2sim(controller: Sim2simController, robot: RobotConfig, o: { episodes: number; seconds: number; seed: number; onEpisode?: (done: number) => void }): Promise<Sim2simResult> {
  const engines = { rapier: await rapierEngine(robot), mujoco: await mujocoEngine(robot) };
  const out = { rapier: [] as EpisodeResult[], mujoco: [] as EpisodeResult[] };
  try {
    for (let e = 0; e < o.episodes; e++) {
      const spec = episodeSpec(o.seed + e);
      out.rapier.push(runEpisode(engines.rapier, controller, robot, spec, o.seconds));
      out.mujoco.push(runEpisode(engines.mujoco, controller, robot, spec, o.seconds));
      o.onEpisode?.(e + 1);
    }
  } finally {
    engines.rapier.close();
    engines.mujoco.close();
  }
  const diffs = out.rapier.map((r, i) => Math.abs(out.mujoco[i].maxTiltDeg - r.maxTiltDeg));
  return {
    episodes: o.episodes, seconds: o.seconds, rapier: summarize(out.rapier), mujoco: summarize(out.mujoco),
    meanAbsMaxTiltDifferenceDeg: diffs.reduce((a, b) => a + b, 0) / diffs.length,
    disagreements: out.rapier.filter((r, i) => r.fell !== out.mujoco[i].fell).length,
  };
}
