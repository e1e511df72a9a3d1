// A perception-only ROS 2 node (deploy config perception.source: ros2): subscribes to the
// ROS 2 config's perception topics beside a link that carries no images (serial), with its
// own header-stamp clock offset. No state, no commands, no e-stop: those stay on the link.
import type { RobotConfig } from '../../../sim/config/robot.js';
import type { PerceptionSource } from '../../perception.js';
import { HeaderStampConverter } from './clock.js';
import { loadRos2Config, type Ros2Config } from './config.js';
import { Ros2Perception } from './perception.js';
import { acquireRcl, loadRclnodejs, releaseRcl, type RclModule, type RosNode } from './rcl-api.js';

export interface Ros2PerceptionNodeOptions {
  /** ROS 2 config file with the perception section (default configs/deploy/ros2.yaml). */
  configFile?: string;
  config?: Ros2Config;
  robot: RobotConfig;
  /** rclnodejs-shaped module; default: the real rclnodejs. Tests inject the double. */
  rcl?: RclModule;
  now?: () => number;
  log?: (line: string) => void;
}

export class Ros2PerceptionNode {
  readonly source: Ros2Perception;
  private readonly stamps: HeaderStampConverter;
  private readonly now: () => number;
  private node: RosNode | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly config: Ros2Config, private readonly rcl: RclModule, robot: RobotConfig, now?: () => number, private readonly log: (line: string) => void = () => {}) {
    this.now = now ?? (() => performance.now());
    this.stamps = new HeaderStampConverter(config.clock);
    this.source = new Ros2Perception(config, robot, this.stamps, this.now, (line) => this.log(`[ros2-perception] ${line}`));
    if (!this.source.inputs.length) throw new Error('perception.source ros2: the ROS 2 config has no perception topic for a sensor of this robot (perception.depth / perception.heightScan)');
  }

  async connect(): Promise<void> {
    if (this.node) return;
    await acquireRcl(this.rcl);
    const cfg = this.config;
    const node = new this.rcl.Node(`${cfg.node.name}${cfg.perception?.nodeSuffix ?? '_perception'}`, cfg.node.namespace);
    this.node = node;
    const subs = this.source.subscribe(node, this.rcl);
    this.sampleOffset();
    this.timer = setInterval(() => this.sampleOffset(), cfg.clock.offsetSampleMs);
    node.spin();
    this.log(`perception node: ${subs.map((s) => `${s.what} ${s.topic}`).join(', ')}`);
  }

  private sampleOffset(): void {
    if (this.node) this.stamps.sampleOffset(Number(this.node.now().nanoseconds) / 1e6, this.now());
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.node) return;
    this.node.destroy();
    this.node = null;
    releaseRcl(this.rcl);
  }
}

export async function createRos2PerceptionNode(o: Ros2PerceptionNodeOptions): Promise<Ros2PerceptionNode & { source: PerceptionSource }> {
  const config = o.config ?? loadRos2Config(o.configFile);
  return new Ros2PerceptionNode(config, o.rcl ?? (await loadRclnodejs()), o.robot, o.now, o.log);
}
