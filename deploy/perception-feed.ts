// Which perception inputs a deploy run can feed, decided before the policy is loaded so the
// one artifact check can refuse what nothing would deliver: the sim link renders every sensor
// of the robot config; the ROS 2 link (or a perception-only ROS 2 node, perception.source ros2)
// feeds the inputs its config has topics for; the serial link carries no images.
import type { RobotConfig } from '../sim/config/robot.js';
import { OBSERVATION_LAYOUT } from '../sim/observation.js';
import { perceptionLayout, perceptionShape, robotPerceptionInputs } from '../sim/perception/layout.js';
import type { DeployConfig } from './config.js';
import type { LinkRequest } from './links/link-factory.js';
import { loadRos2Config, ros2PerceptionInputs } from './links/ros2/config.js';
import { perceptionOf } from './perception.js';
import type { RobotLink } from './robot-link.js';

export const SERIAL_CARRIES_NO_IMAGES =
  'the serial link carries no images (its protocol is proprioception only, firmware-bridge/PROTOCOL.md): ' +
  'configure a perception source, perception.source: ros2 in the deploy config with the topics in the ROS 2 config\'s perception section (docs/deploy.md)';

export interface PerceptionFeed {
  /** Inputs the run can feed, by name, with their layouts for the artifact check. */
  inputs: Record<string, readonly string[]>;
  /** Why some perception input cannot be fed, when that is a property of the link (serial) or of the simulated plant. */
  why: string | null;
}

export function perceptionFeed(robot: RobotConfig, cfg: DeployConfig, link: RobotLink | LinkRequest): PerceptionFeed {
  const carried = robotPerceptionInputs(robot);
  let names: string[];
  let why: string | null = null;
  if (cfg.perception.source === 'ros2') names = ros2PerceptionInputs(loadRos2Config(cfg.perceptionRos2File));
  else if ('connect' in link) names = [...(perceptionOf(link)?.inputs ?? [])];
  else if (link.kind === 'sim') {
    // The sim link renders the plant's sensors (--robot FILE, else the deploy robot): only an
    // input the plant renders in the robot config's shape can be fed as the artifact lays it out.
    const plant = link.plantRobot ?? robot;
    names = robotPerceptionInputs(plant).filter((n) => carried.includes(n));
    const differ = names.filter((n) => perceptionShape(plant, n).join() !== perceptionShape(robot, n).join());
    if (differ.length) {
      why = differ.map((n) => `the simulated plant '${plant.name}' renders '${n}' as [${perceptionShape(plant, n)}], robot config '${robot.name}' lays it out as [${perceptionShape(robot, n)}]`).join('; ');
      names = names.filter((n) => !differ.includes(n));
    }
  }
  else if (link.kind === 'ros2') names = ros2PerceptionInputs(loadRos2Config(link.ros2ConfigFile));
  else { names = []; why = SERIAL_CARRIES_NO_IMAGES; }
  // Only inputs of a sensor the robot config carries have a layout (and a shape) to check against.
  const fed = names.filter((n) => carried.includes(n as (typeof carried)[number]));
  return { inputs: { obs: OBSERVATION_LAYOUT, ...Object.fromEntries(fed.map((n) => [n, perceptionLayout(robot, n)])) }, why };
}
