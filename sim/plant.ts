// A single simulated ballbot as a Plant (wheel torques in, sensors out): used by the
// deploy sim link, the virtual robot, the viewer and the `sim` command.
import { loadRandomizationConfig } from './config/randomization.js';
import { loadRobotConfig, type RobotConfig } from './config/robot.js';
import { DEFAULT_RANDOMIZATION_CONFIG, DEFAULT_ROBOT_CONFIG } from './config/paths.js';
import type { EpisodeParams } from './episode-params.js';
import { startEpisode } from './episode-start.js';
import type { PerceptionReading, Plant, PlantOptions, PlantTruth } from './plant-api.js';
import { PerceptionBatch } from './perception/perception-batch.js';
import { Rng } from './rng.js';
import { newTruth, type RobotSim } from './robot-sim.js';
import { BallbotWorld } from './world.js';

export type { Plant, PlantOptions, PlantTruth } from './plant-api.js';

/** Tilt at which the robot counts as fallen (OpenBallBot-RL terminates at 20 deg). */
export const DEFAULT_TILT_LIMIT_DEG = 20;

/** A plant that replay and system identification can set to exact parameters and any moving state. */
export interface ReplayPlant extends Plant {
  /** Use exactly these physical parameters from now on. */
  setParams(params: EpisodeParams): void;
  /** Start from a moving state (see RobotSim.placeInMotion). */
  placeInMotion(bodyQ: ArrayLike<number>, bodyAngvelWorld: ArrayLike<number>, ballAngvelWorld: ArrayLike<number>, commandAgo: (seconds: number) => ArrayLike<number>): void;
}

export async function createReplayPlant(robot: RobotConfig): Promise<ReplayPlant> {
  const world = await BallbotWorld.create(robot, 1);
  return new SimPlant(world, robot, {});
}

export async function createPlant(options: PlantOptions = {}): Promise<Plant> {
  const robot = options.robot ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG);
  const world = await BallbotWorld.create(robot, 1);
  return new SimPlant(world, robot, options);
}

class SimPlant implements ReplayPlant {
  readonly controlDt: number;
  private readonly sim: RobotSim;
  private readonly rng: Rng;
  private readonly randomization;
  private readonly truthBuf = newTruth();
  private lastSensorTime = 0;
  /** The robot's perception sensors, when asked for (the same renderers the training env uses). */
  private readonly perception: PerceptionBatch | null;
  private readonly reading: PerceptionReading = { data: new Float32Array(0), capturedAtS: 0 };

  constructor(
    private readonly world: BallbotWorld,
    readonly robot: RobotConfig,
    private readonly options: PlantOptions,
  ) {
    this.sim = world.robots[0];
    this.controlDt = world.controlDt;
    this.rng = new Rng(options.seed ?? 0);
    this.randomization = !options.randomize
      ? null
      : typeof options.randomize === 'object'
        ? options.randomize
        : loadRandomizationConfig(options.randomizationFile ?? DEFAULT_RANDOMIZATION_CONFIG);
    this.perception = PerceptionBatch.forSensors(robot, options.perception, this.randomization, 1, this.controlDt, 'the simulated robot');
    this.reset({ seed: options.seed, initTiltDeg: options.initTiltDeg });
  }

  applyCommand(torquesNm: ArrayLike<number>): void {
    this.sim.setCommand(torquesNm, this.randomization ? this.rng : null);
  }

  stepControl(): void {
    this.world.stepControl();
    this.stepPerception();
  }

  stepPerception(): void {
    this.perception?.step(0, this.sim);
  }

  perceptionFrame(name: string): PerceptionReading | null {
    if (!this.perception) return null;
    this.reading.data = this.perception.output(name);
    this.reading.capturedAtS = this.perception.frameTick(name, 0) * this.controlDt;
    return this.reading;
  }

  sensors() {
    const elapsed = this.sim.timeS - this.lastSensorTime;
    this.lastSensorTime = this.sim.timeS;
    return this.sim.sensors.read(this.robot, this.sim.params, this.rng, elapsed, this.world.physicsDt);
  }

  truth(): PlantTruth {
    return this.sim.fillTruth(this.truthBuf, (DEFAULT_TILT_LIMIT_DEG * Math.PI) / 180);
  }

  push(dvx: number, dvy: number): void {
    this.sim.push(dvx, dvy);
  }

  terrain() {
    return this.sim.terrain;
  }

  reset(options: { seed?: number; initTiltDeg?: number } = {}): void {
    if (options.seed !== undefined) this.rng.seed(options.seed);
    const tiltDeg = options.initTiltDeg ?? this.options.initTiltDeg ?? 0;
    startEpisode(this.sim, this.rng, { robot: this.robot, randomization: this.randomization, level: 1, terrain: this.options.terrain ?? 'flat', initTiltDeg: [tiltDeg, tiltDeg], randomPose: this.options.randomPose ?? false });
    this.perception?.beginEpisode(0, this.sim, this.rng);
    this.lastSensorTime = 0;
  }

  setParams(params: EpisodeParams): void {
    this.sim.setParams(params);
  }

  placeInMotion(bodyQ: ArrayLike<number>, bodyAngvelWorld: ArrayLike<number>, ballAngvelWorld: ArrayLike<number>, commandAgo: (seconds: number) => ArrayLike<number>): void {
    this.sim.placeInMotion(bodyQ, bodyAngvelWorld, ballAngvelWorld, commandAgo);
    this.lastSensorTime = this.sim.timeS;
  }

  close(): void {
    this.world.close();
  }
}
