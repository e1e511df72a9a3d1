// Perception frames over ROS 2: a depth image (sensor_msgs/Image, 32FC1 m or 16UC1 mm) and a
// height map (std_msgs/Float32MultiArray), converted into the policy's input layouts by
// messages.ts. Subscribes on a node it is given: the ROS 2 link's own, or a perception-only
// node beside another link (perception-node.ts). Callbacks convert into preallocated frames.
import type { RobotConfig } from '../../../sim/config/robot.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from '../../../sim/perception/perception-batch.js';
import { PERCEPTION_INPUTS, perceptionShape, robotPerceptionInputs } from '../../../sim/perception/layout.js';
import type { PerceptionFrame, PerceptionSource } from '../../perception.js';
import type { HeaderStampConverter } from './clock.js';
import { ros2PerceptionInputs, type Ros2Config } from './config.js';
import { MSG, readDepthImage, readHeightMap, stampToMs, type DepthFormat, type Float32MultiArrayMsg, type ImageMsg } from './messages.js';
import { toRclQos } from './qos.js';
import type { RclModule, RosNode, RosSubscription } from './rcl-api.js';

interface InputState {
  frame: PerceptionFrame;
  /** Converted into here, then swapped with the frame: a refused message leaves the frame whole. */
  scratch: Float32Array;
  received: number;
  refused: number;
  error: string;
}

export class Ros2Perception implements PerceptionSource {
  readonly name = 'ros2';
  readonly inputs: readonly string[];
  private readonly state = new Map<string, InputState>();
  private readonly depthFormat: DepthFormat | null;
  private readonly scanShape: [number, number] | null;

  constructor(private readonly config: Ros2Config, robot: RobotConfig, private readonly stamps: HeaderStampConverter,
    private readonly now: () => number, private readonly log: (line: string) => void) {
    const carried = robotPerceptionInputs(robot) as string[];
    this.inputs = ros2PerceptionInputs(config).filter((n) => carried.includes(n));
    for (const input of this.inputs) {
      const [rows, cols] = perceptionShape(robot, input as (typeof PERCEPTION_INPUTS)[number]);
      this.state.set(input, { frame: { stampMs: NaN, seq: 0, data: new Float32Array(rows * cols) }, scratch: new Float32Array(rows * cols), received: 0, refused: 0, error: '' });
    }
    const cam = robot.perception?.depthCamera;
    this.depthFormat = cam ? { width: cam.width, height: cam.height, minRange: cam.minRange, maxRange: cam.maxRange } : null;
    this.scanShape = robot.perception?.heightScan ? perceptionShape(robot, HEIGHT_SCAN_INPUT) : null;
  }

  /** Subscribe on `node`; returns the subscriptions with their config keys, for QoS checks. */
  subscribe(node: RosNode, rcl: RclModule): { sub: RosSubscription; topic: string; what: string }[] {
    const p = this.config.perception;
    const out: { sub: RosSubscription; topic: string; what: string }[] = [];
    if (p?.depth && this.state.has(DEPTH_INPUT)) {
      const t = p.depth;
      out.push({ what: 'perception.depth', topic: t.topic, sub: node.createSubscription(MSG.image, t.topic, { qos: toRclQos(rcl, t.qos) }, (msg: ImageMsg) => this.onDepth(msg)) });
    }
    if (p?.heightScan && this.state.has(HEIGHT_SCAN_INPUT)) {
      const t = p.heightScan;
      out.push({ what: 'perception.heightScan', topic: t.topic, sub: node.createSubscription(MSG.float32MultiArray, t.topic, { qos: toRclQos(rcl, t.qos) }, (msg: Float32MultiArrayMsg) => this.onHeightMap(msg)) });
    }
    return out;
  }

  latestFrame(input: string): PerceptionFrame | null {
    const s = this.state.get(input);
    return s && s.received > 0 ? s.frame : null;
  }

  counters(): Record<string, { received: number; refused: number }> {
    return Object.fromEntries([...this.state].map(([name, s]) => [name, { received: s.received, refused: s.refused }]));
  }

  /** Problems to report in the link's health and diagnostics. */
  problems(): string[] {
    return [...this.state].filter(([, s]) => s.error).map(([name, s]) => `${name}: ${s.error}`);
  }

  private onDepth(msg: ImageMsg): void {
    const s = this.state.get(DEPTH_INPUT)!;
    const arrival = this.now();
    let error = readDepthImage(msg, this.depthFormat!, s.scratch);
    let stampMs = NaN;
    if (error === null) {
      stampMs = this.stamps.toHostMs(stampToMs(msg.header.stamp), arrival);
      if (Number.isNaN(stampMs)) error = this.stamps.lastError;
    }
    this.accept(DEPTH_INPUT, s, error, stampMs);
  }

  /** Float32MultiArray has no header: the map is stamped when it arrives. */
  private onHeightMap(msg: Float32MultiArrayMsg): void {
    const s = this.state.get(HEIGHT_SCAN_INPUT)!;
    const [rows, cols] = this.scanShape!;
    this.accept(HEIGHT_SCAN_INPUT, s, readHeightMap(msg, rows, cols, s.scratch), this.now());
  }

  private accept(input: string, s: InputState, error: string | null, stampMs: number): void {
    if (error !== null) {
      s.refused++;
      if (error !== s.error) this.log(`refused ${input} frame: ${error}`);
      s.error = error;
      return;
    }
    const data = s.frame.data;
    s.frame.data = s.scratch;
    s.scratch = data;
    s.frame.stampMs = stampMs;
    s.frame.seq++;
    s.received++;
    s.error = '';
  }
}
