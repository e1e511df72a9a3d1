// The one description of the perception inputs as a policy sees them: names of every value
// (the artifact's `ballbot.inputs` layout), shapes, units and rates, derived from the robot's
// sensor config. The exporter writes it and every caller that can feed an input (eval, sim,
// deploy, the sim link, ROS 2) declares it with the same functions, so the two sides cannot drift.
import type { RobotConfig } from '../config/robot.js';
import type { TaskConfig } from '../config/task.js';
import type { ArtifactInput } from '../policy-artifact.js';
import type { TaskPerception } from './config.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from './perception-batch.js';

/** Perception input names, in the order callers list them. */
export const PERCEPTION_INPUTS = [DEPTH_INPUT, HEIGHT_SCAN_INPUT] as const;
export type PerceptionInputName = (typeof PERCEPTION_INPUTS)[number];

type SensorRobot = Pick<RobotConfig, 'name' | 'perception'>;

export function isPerceptionInput(name: string): name is PerceptionInputName {
  return (PERCEPTION_INPUTS as readonly string[]).includes(name);
}

interface InputGeometry {
  rows: number;
  cols: number;
  rateHz: number;
  cellName: (row: number, col: number) => string;
}

/** Rows, columns, rate and value names of input `name`; throws, naming the robot key, when the robot lacks the sensor. */
function geometry(robot: SensorRobot, name: string): InputGeometry {
  const p = robot.perception;
  if (name === DEPTH_INPUT) {
    const c = p?.depthCamera;
    if (!c) throw new Error(`robot config '${robot.name}' has no perception.depthCamera section, so it has no '${name}' input`);
    return { rows: c.height, cols: c.width, rateHz: c.rateHz, cellName: (r, col) => `depth_r${r}_c${col}` };
  }
  if (name === HEIGHT_SCAN_INPUT) {
    const c = p?.heightScan;
    if (!c) throw new Error(`robot config '${robot.name}' has no perception.heightScan section, so it has no '${name}' input`);
    return { rows: c.countY, cols: c.countX, rateHz: c.rateHz, cellName: (y, x) => `height_y${y}_x${x}` };
  }
  throw new Error(`'${name}' is not a perception input (known: ${PERCEPTION_INPUTS.join(', ')})`);
}

/**
 * One name per value of input `name`, row-major as the sim writes it (sim/perception/*.ts):
 * depth `depth_r{row}_c{col}` (row 0 at the top), height scan `height_y{row}_x{col}` (row 0 on
 * the right, column 0 behind).
 */
export function perceptionLayout(robot: SensorRobot, name: string): string[] {
  const g = geometry(robot, name);
  const out: string[] = [];
  for (let r = 0; r < g.rows; r++) for (let c = 0; c < g.cols; c++) out.push(g.cellName(r, c));
  return out;
}

/** Shape of a perception input on `robot`, without the batch dimension: [rows, columns]. */
export function perceptionShape(robot: SensorRobot, name: string): [number, number] {
  const g = geometry(robot, name);
  return [g.rows, g.cols];
}

/** Sensor rate of a perception input on `robot`, Hz. */
export function perceptionRateHz(robot: SensorRobot, name: string): number {
  return geometry(robot, name).rateHz;
}

/** The perception inputs `robot` carries a sensor for. */
export function robotPerceptionInputs(robot: Pick<RobotConfig, 'perception'>): PerceptionInputName[] {
  const p = robot.perception;
  return PERCEPTION_INPUTS.filter((n) => (n === DEPTH_INPUT ? !!p?.depthCamera : !!p?.heightScan));
}

/** The artifact metadata of input `name`: layout, shape with the batch first ([1, rows, cols]), units and rate. */
export function perceptionArtifactInput(robot: SensorRobot, name: string): ArtifactInput {
  const g = geometry(robot, name);
  return { name, layout: perceptionLayout(robot, name), shape: [1, g.rows, g.cols], units: 'm', rateHz: g.rateHz };
}

/** The input names of the sensors `sensors` switches on (a task's or a simulated robot's `perception`), in PERCEPTION_INPUTS order. */
export function sensorInputs(sensors: TaskPerception | undefined): PerceptionInputName[] {
  return PERCEPTION_INPUTS.filter((n) => (n === DEPTH_INPUT ? sensors?.depth : sensors?.heightScan));
}

/** The perception inputs a task computes for this robot, name -> layout (for CallerCapabilities.inputs). */
export function taskPerceptionInputs(robot: SensorRobot, task: TaskConfig): Record<string, string[]> {
  return Object.fromEntries(sensorInputs(task.perception).map((n) => [n, perceptionLayout(robot, n)]));
}
