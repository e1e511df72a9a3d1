// The one description of the perception inputs as a policy sees them: names of every value
// (the artifact's `ballbot.inputs` layout), shapes, units and rates, derived from the robot's
// sensor config. The exporter writes it and every caller that can feed an input declares it
// with the same function, so the two sides cannot drift.
import type { RobotConfig } from '../config/robot.js';
import type { TaskConfig } from '../config/task.js';
import type { ArtifactInput } from '../policy-artifact.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from './perception-batch.js';

export const PERCEPTION_INPUTS = [DEPTH_INPUT, HEIGHT_SCAN_INPUT] as const;

interface InputGeometry {
  rows: number;
  cols: number;
  rateHz: number;
  cellName: (row: number, col: number) => string;
}

function geometry(robot: RobotConfig, name: string): InputGeometry {
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

/** One name per value of input `name`, row-major as the sim writes it (sim/perception/*.ts). */
export function perceptionLayout(robot: RobotConfig, name: string): string[] {
  const g = geometry(robot, name);
  const out: string[] = [];
  for (let r = 0; r < g.rows; r++) for (let c = 0; c < g.cols; c++) out.push(g.cellName(r, c));
  return out;
}

/** The artifact metadata of input `name`: layout, shape with the batch first, units and rate. */
export function perceptionArtifactInput(robot: RobotConfig, name: string): ArtifactInput {
  const g = geometry(robot, name);
  return { name, layout: perceptionLayout(robot, name), shape: [1, g.rows, g.cols], units: 'm', rateHz: g.rateHz };
}

/** The perception inputs a task computes for this robot, name -> layout (for CallerCapabilities.inputs). */
export function taskPerceptionInputs(robot: RobotConfig, task: TaskConfig): Record<string, string[]> {
  const want = task.perception;
  const names = [...(want?.depth ? [DEPTH_INPUT] : []), ...(want?.heightScan ? [HEIGHT_SCAN_INPUT] : [])];
  return Object.fromEntries(names.map((n) => [n, perceptionLayout(robot, n)]));
}
