// Build the RobotLink named on the command line. The serial and ROS 2 links live in other
// modules and are imported only when asked for, so a missing optional part (rclnodejs, a
// serial port) only affects the link that needs it.
import type { RobotConfig } from '../../sim/config/robot.js';
import type { DeployConfig } from '../config.js';
import type { RobotLink } from '../robot-link.js';
import { SimLink } from './sim-link.js';

export type LinkKind = 'sim' | 'serial' | 'ros2';

export interface LinkRequest {
  kind: LinkKind;
  port?: string;
  baud?: number;
  /**
   * The robot the sim link simulates, when it differs from the robot the controller was made
   * for (a perturbed plant for system identification). Only for `sim`.
   */
  plantRobot?: RobotConfig;
  /** Extra options passed through to the serial or ROS 2 link. */
  extra?: Record<string, unknown>;
}

type Factory = (options: Record<string, unknown>) => RobotLink | Promise<RobotLink>;

async function importFactory(modulePath: string, exportName: string, what: string): Promise<Factory> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const file = modulePath.split('/').slice(-2).join('/'); // e.g. firmware-bridge/serial-link.js
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(file)) {
      throw new Error(`--link ${what}: this build has no ${what} link (${modulePath} is missing)`);
    }
    throw new Error(`--link ${what}: could not load ${modulePath}: ${e.message}`);
  }
  const factory = mod[exportName];
  if (typeof factory !== 'function') throw new Error(`--link ${what}: ${modulePath} does not export ${exportName}()`);
  return factory as Factory;
}

export async function createLink(req: LinkRequest, cfg: DeployConfig, robot: RobotConfig): Promise<RobotLink> {
  if (req.plantRobot && req.kind !== 'sim') throw new Error(`--robot describes a simulated plant: only for --link sim, not --link ${req.kind}`);
  switch (req.kind) {
    case 'sim':
      return new SimLink({ ...cfg.sim, robot: req.plantRobot ?? robot });
    case 'serial': {
      if (!req.port) throw new Error('--link serial needs --port /dev/ttyX (or the virtual robot\'s pty)');
      // A variable specifier: the module is another helper's and may not exist in this build.
      const specifier = './serial-link.js';
      const create = await importFactory(specifier, 'createSerialLink', 'serial');
      const options: Record<string, unknown> = { path: req.port, port: req.port, robot, rateHz: cfg.rateHz, ...req.extra };
      if (req.baud !== undefined) options.baudRate = req.baud; // absent = the link's own default
      return await create(options);
    }
    case 'ros2': {
      const specifier = './ros2/index.js';
      const create = await importFactory(specifier, 'createRos2Link', 'ros2');
      return await create({ robot, rateHz: cfg.rateHz, ...req.extra });
    }
  }
}
