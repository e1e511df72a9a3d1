// The layout (one name per value, in graph order) of each perception input, as the policy
// artifact's 'ballbot.inputs' records it. One function for the exporter and for every caller
// that declares it can feed an input, so the artifact check compares like with like.
import type { RobotConfig } from '../config/robot.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from './perception-batch.js';

/** Perception input names, in the order callers list them. */
export const PERCEPTION_INPUTS = [DEPTH_INPUT, HEIGHT_SCAN_INPUT] as const;
export type PerceptionInputName = (typeof PERCEPTION_INPUTS)[number];

export function isPerceptionInput(name: string): name is PerceptionInputName {
  return (PERCEPTION_INPUTS as readonly string[]).includes(name);
}

/**
 * Value names of `name` for `robot`'s sensor, row-major: depth `depth_r{row}_c{col}` (row 0 at
 * the top), height scan `height_y{row}_x{col}` (row 0 on the right, column 0 behind). Throws,
 * naming the robot key, when the robot carries no such sensor.
 */
export function perceptionLayout(robot: Pick<RobotConfig, 'name' | 'perception'>, name: string): string[] {
  const grid = (rows: number, cols: number, cell: (r: number, c: number) => string) => {
    const out: string[] = [];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(cell(r, c));
    return out;
  };
  if (name === DEPTH_INPUT) {
    const cam = robot.perception?.depthCamera;
    if (!cam) throw new Error(`robot config '${robot.name}' has no perception.depthCamera section, so it has no '${name}' input`);
    return grid(cam.height, cam.width, (r, c) => `depth_r${r}_c${c}`);
  }
  if (name === HEIGHT_SCAN_INPUT) {
    const scan = robot.perception?.heightScan;
    if (!scan) throw new Error(`robot config '${robot.name}' has no perception.heightScan section, so it has no '${name}' input`);
    return grid(scan.countY, scan.countX, (r, c) => `height_y${r}_x${c}`);
  }
  throw new Error(`'${name}' is not a perception input (known: ${PERCEPTION_INPUTS.join(', ')})`);
}

/** Shape of a perception input on `robot`, without the batch dimension: [rows, columns]. */
export function perceptionShape(robot: Pick<RobotConfig, 'name' | 'perception'>, name: PerceptionInputName): [number, number] {
  const p = robot.perception;
  if (name === DEPTH_INPUT && p?.depthCamera) return [p.depthCamera.height, p.depthCamera.width];
  if (name === HEIGHT_SCAN_INPUT && p?.heightScan) return [p.heightScan.countY, p.heightScan.countX];
  throw new Error(`robot config '${robot.name}' has no sensor for input '${name}'`);
}

/** The perception inputs `robot` carries a sensor for. */
export function robotPerceptionInputs(robot: Pick<RobotConfig, 'perception'>): PerceptionInputName[] {
  const p = robot.perception;
  return PERCEPTION_INPUTS.filter((n) => (n === DEPTH_INPUT ? !!p?.depthCamera : !!p?.heightScan));
}

/** Sensor rate of a perception input on `robot`, Hz. */
export function perceptionRateHz(robot: Pick<RobotConfig, 'name' | 'perception'>, name: PerceptionInputName): number {
  const c = name === DEPTH_INPUT ? robot.perception?.depthCamera : robot.perception?.heightScan;
  if (!c) throw new Error(`robot config '${robot.name}' has no sensor for input '${name}'`);
  return c.rateHz;
}
