// Build the RobotLink named on the command line. The serial and ROS 2 links are imported only
// when asked for, so a missing optional part (rclnodejs, a serial port) affects only the link
// that needs it; rclnodejs itself loads through deploy/links/ros2/rcl-api.ts.
import type { RobotConfig } from '../../sim/config/robot.js';
import type { TaskPerception } from '../../sim/perception/config.js';
import type { DeployConfig } from '../config.js';
import type { RobotLink } from '../robot-link.js';
import type { Ros2LinkHooks } from './ros2/ros2-link.js';
import { SimLink } from './sim-link.js';

export type LinkKind = 'sim' | 'serial' | 'ros2';

export interface LinkRequest {
  kind: LinkKind;
  /** Serial: the device (or the virtual robot's pty). */
  port?: string;
  /** Serial: the UART rate; absent = the link's own default. */
  baud?: number;
  /** ROS 2: the link's config file (default configs/deploy/ros2.yaml). */
  ros2ConfigFile?: string;
  /**
   * The robot the sim link simulates, when it differs from the robot the controller was made
   * for (a perturbed plant for system identification). Only for `sim`.
   */
  plantRobot?: RobotConfig;
  /** Sim only: the perception inputs the simulated robot renders (deploy asks for the policy's). */
  perception?: TaskPerception;
}

/** What the runtime hands every link: its log, and the operator hooks a ROS 2 link calls. */
export interface LinkHooks extends Pick<Ros2LinkHooks, 'onArmRequest' | 'onEstop'> {
  log?: (line: string) => void;
}

export async function createLink(req: LinkRequest, cfg: DeployConfig, robot: RobotConfig, hooks: LinkHooks = {}): Promise<RobotLink> {
  if (req.plantRobot && req.kind !== 'sim') throw new Error(`--robot describes a simulated plant: only for --link sim, not --link ${req.kind}`);
  switch (req.kind) {
    case 'sim':
      return new SimLink({ ...cfg.sim, robot: req.plantRobot ?? robot, perception: req.perception });
    case 'serial': {
      if (!req.port) throw new Error('--link serial needs --port /dev/ttyX (or the virtual robot\'s pty)');
      const { createSerialLink } = await import('./serial-link.js');
      return createSerialLink({ path: req.port, rateHz: cfg.rateHz, log: hooks.log, ...(req.baud !== undefined ? { baudRate: req.baud } : {}) });
    }
    case 'ros2': {
      const { createRos2Link } = await import('./ros2/index.js');
      return await createRos2Link({ robot, rateHz: cfg.rateHz, configFile: req.ros2ConfigFile, onArmRequest: hooks.onArmRequest, onEstop: hooks.onEstop, log: hooks.log });
    }
  }
}
