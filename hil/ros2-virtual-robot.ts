// `ballbot virtual-robot --ros2`: the simulated ballbot on the ROS 2 topics a ros2_control
// robot would use. It publishes Imu and JointState (stamped on the ROS clock), applies the
// efforts it receives on the command topic, cuts torque while deploy's lock state says
// engaged, and zeroes torque when commands stop (like a firmware watchdog), so the whole
// ROS 2 path can be exercised without hardware. A robot config with perception sensors also
// publishes what they see (rendered by the sim's sensors) on the config's perception topics:
// the depth image as 32FC1 and the height scan as a row-major Float32MultiArray.
import { loadRobotConfig, type RobotConfig } from '../sim/config/robot.js';
import { createPlant, type Plant } from '../sim/plant.js';
import { commandIndexOfWheel, loadRos2Config, type Ros2Config } from '../deploy/links/ros2/config.js';
import {
  MSG, createDepthImageMessage, createHeightMapMessage, createImuMessage, createJointStateMessage, fillDepthImage, fillImuMessage, fillJointStateMessage,
  readEffortCommand, type BoolMsg, type Float64MultiArrayMsg,
} from '../deploy/links/ros2/messages.js';
import { DEPTH_INPUT, HEIGHT_SCAN_INPUT } from '../sim/perception/perception-batch.js';
import type { TaskPerception } from '../sim/perception/config.js';
import { describeQos, toRclQos } from '../deploy/links/ros2/qos.js';
import { acquireRcl, loadRclnodejs, releaseRcl, type RclModule, type RosNode, type RosPublisher } from '../deploy/links/ros2/rcl-api.js';

const DEG = 180 / Math.PI;

export interface Ros2VirtualRobotOptions {
  /** ROS 2 config shared with deploy (default configs/deploy/ros2.yaml). */
  configFile?: string;
  config?: Ros2Config;
  robot?: RobotConfig;
  robotFile?: string;
  seed?: number;
  initTiltDeg?: number;
  randomize?: boolean;
  /** Zero torque when no command arrived for this long (ms); the firmware watchdog. */
  commandTimeoutMs?: number;
  nodeName?: string;
  /** false: no timer; the caller calls tick() (lock-step tests). */
  realtime?: boolean;
  /** Tests inject the rclnodejs double and a plant (a plant rendering perception publishes it). */
  rcl?: RclModule;
  plant?: Plant;
  log?: (line: string) => void;
}

export interface Ros2VirtualRobotReport {
  ticks: number;
  missedTicks: number;
  simTimeS: number;
  commandsReceived: number;
  commandsRefused: number;
  /** Ticks on which torque was zeroed because commands stopped arriving. */
  watchdogTicks: number;
  maxTiltDeg: number;
  /** Largest tilt before the first e-stop (the whole run when there was none), deg. */
  maxTiltDegBeforeEstop: number;
  /** Sim time at which the robot first fell (tilt over the limit), or null. */
  fellAtS: number | null;
  /** Sim time at which deploy's lock state first went to engaged after being released, or null. */
  estopAtS: number | null;
  /** Largest |effort| applied after estopAtS (0 when the e-stop zeroed the command). */
  maxAbsTorqueAfterEstop: number;
  /** Largest |effort| received while armed. */
  maxAbsTorque: number;
}

export class Ros2VirtualRobot {
  readonly report: Ros2VirtualRobotReport = {
    ticks: 0, missedTicks: 0, simTimeS: 0, commandsReceived: 0, commandsRefused: 0, watchdogTicks: 0,
    maxTiltDeg: 0, maxTiltDegBeforeEstop: 0, fellAtS: null, estopAtS: null, maxAbsTorqueAfterEstop: 0, maxAbsTorque: 0,
  };
  private readonly command = new Float64Array(3);
  private readonly applied = new Float64Array(3);
  private readonly zero = new Float64Array(3);
  private readonly imuMsg;
  private readonly jointMsg;
  private readonly commandIndex: Int32Array;
  private lastCommandMs = Number.NEGATIVE_INFINITY;
  private estopEngaged = false;
  private everReleased = false;
  private rosOffsetMs = 0;
  private lastOffsetSampleMs = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private nextDeadlineMs = 0;
  private lastCommandError = '';
  private closed = false;
  /** Perception publishers, when the robot carries sensors the config has topics for. */
  private depthOut: { pub: RosPublisher; msg: ReturnType<typeof createDepthImageMessage>; lastS: number } | null = null;
  private mapOut: { pub: RosPublisher; msg: ReturnType<typeof createHeightMapMessage>; lastS: number } | null = null;

  private constructor(
    private readonly rcl: RclModule,
    private readonly node: RosNode,
    private readonly plant: Plant,
    private readonly cfg: Ros2Config,
    private readonly imuPub: RosPublisher,
    private readonly jointPub: RosPublisher,
    private readonly commandTimeoutMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.imuMsg = createImuMessage('base_link');
    this.jointMsg = createJointStateMessage(cfg.wheelJoints);
    this.commandIndex = commandIndexOfWheel(cfg);
  }

  get controlDt(): number {
    return this.plant.controlDt;
  }

  static async start(options: Ros2VirtualRobotOptions = {}): Promise<Ros2VirtualRobot> {
    const cfg = options.config ?? loadRos2Config(options.configFile);
    const robot = options.robot ?? (options.robotFile ? loadRobotConfig(options.robotFile) : undefined);
    const rcl = options.rcl ?? (await loadRclnodejs());
    const log = options.log ?? ((line: string) => process.stderr.write(`virtual-robot(ros2): ${line}\n`));
    const sensors = publishedSensors(robot, cfg);
    const plant = options.plant ?? (await createPlant({ robot, seed: options.seed ?? 1, initTiltDeg: options.initTiltDeg ?? 0, randomize: options.randomize ?? false, perception: sensors }));
    await acquireRcl(rcl);
    let node: RosNode | null = null;
    try {
      node = new rcl.Node(options.nodeName ?? 'ballbot_virtual_robot', cfg.node.namespace);
      const n = node;
      const imuPub = n.createPublisher(MSG.imu, cfg.state.imu.topic, { qos: toRclQos(rcl, cfg.state.imu.qos) });
      const jointPub = n.createPublisher(MSG.jointState, cfg.state.jointStates.topic, { qos: toRclQos(rcl, cfg.state.jointStates.qos) });
      const vr = new Ros2VirtualRobot(rcl, n, plant, cfg, imuPub, jointPub, options.commandTimeoutMs ?? 100, log);
      const p = plant.robot.perception, topics = cfg.perception;
      if (sensors?.depth && p?.depthCamera && topics?.depth) {
        vr.depthOut = { pub: n.createPublisher(MSG.image, topics.depth.topic, { qos: toRclQos(rcl, topics.depth.qos) }), msg: createDepthImageMessage(p.depthCamera.width, p.depthCamera.height, 'camera_depth_optical_frame'), lastS: NaN };
      }
      if (sensors?.heightScan && p?.heightScan && topics?.heightScan) {
        vr.mapOut = { pub: n.createPublisher(MSG.float32MultiArray, topics.heightScan.topic, { qos: toRclQos(rcl, topics.heightScan.qos) }), msg: createHeightMapMessage(p.heightScan.countY, p.heightScan.countX), lastS: NaN };
      }
      // Subscribe with the publishers' QoS so the two sides always match.
      n.createSubscription(MSG.float64MultiArray, cfg.commands.topic, { qos: toRclQos(rcl, cfg.commands.qos) }, (msg: Float64MultiArrayMsg) => vr.onCommand(msg));
      n.createSubscription(MSG.bool, cfg.estop.output.topic, { qos: toRclQos(rcl, cfg.estop.output.qos) }, (msg: BoolMsg) => vr.onLockState(msg.data === true));
      n.spin();
      log(`publishing ${cfg.state.imu.topic} and ${cfg.state.jointStates.topic} [${describeQos(cfg.state.imu.qos)}] at ${Math.round(1 / plant.controlDt)} Hz; efforts from ${cfg.commands.topic} [${describeQos(cfg.commands.qos)}]; lock state from ${cfg.estop.output.topic}`);
      if (options.realtime !== false) vr.startClock();
      return vr;
    } catch (err) {
      node?.destroy();
      releaseRcl(rcl);
      plant.close();
      throw err;
    }
  }

  /** One control period: apply the command (or zero), step the physics, publish the sensors. */
  tick(): void {
    const hostNow = performance.now();
    const r = this.report;
    const commandFresh = hostNow - this.lastCommandMs <= this.commandTimeoutMs;
    const torque = this.estopEngaged || !commandFresh ? this.zero : this.command;
    if (!commandFresh && !this.estopEngaged && r.commandsReceived > 0) r.watchdogTicks++;
    this.applied.set(torque);
    this.plant.applyCommand(this.applied);
    this.plant.stepControl();
    r.ticks++;
    const truth = this.plant.truth();
    r.simTimeS = truth.timeS;
    const tiltDeg = truth.tiltRad * DEG;
    if (tiltDeg > r.maxTiltDeg) r.maxTiltDeg = tiltDeg;
    if (r.estopAtS === null && tiltDeg > r.maxTiltDegBeforeEstop) r.maxTiltDegBeforeEstop = tiltDeg;
    if (truth.fallen && r.fellAtS === null) {
      r.fellAtS = truth.timeS;
      this.log(`fell at t=${truth.timeS.toFixed(2)} s (tilt ${tiltDeg.toFixed(1)} deg)`);
    }
    const peak = Math.max(Math.abs(torque[0]), Math.abs(torque[1]), Math.abs(torque[2]));
    if (r.estopAtS !== null && peak > r.maxAbsTorqueAfterEstop) r.maxAbsTorqueAfterEstop = peak;
    if (r.estopAtS === null && peak > r.maxAbsTorque) r.maxAbsTorque = peak;
    const sensors = this.plant.sensors();
    const stampMs = this.rosNowMs(hostNow);
    this.imuPub.publish(fillImuMessage(sensors, stampMs, this.imuMsg));
    this.jointPub.publish(fillJointStateMessage(sensors, truth.wheelTorque, this.cfg.wheelSigns, stampMs, this.plant.controlDt, this.jointMsg));
    this.publishPerception(stampMs);
  }

  /** A new frame of each sensor, stamped with its capture time (it is as old as its latency). */
  private publishPerception(nowStampMs: number): void {
    const nowS = this.report.ticks * this.plant.controlDt;
    const d = this.depthOut, depth = d ? this.plant.perceptionFrame?.(DEPTH_INPUT) : null;
    if (d && depth && depth.capturedAtS !== d.lastS) {
      d.lastS = depth.capturedAtS;
      d.pub.publish(fillDepthImage(depth.data, nowStampMs - (nowS - depth.capturedAtS) * 1000, d.msg));
    }
    const m = this.mapOut, map = m ? this.plant.perceptionFrame?.(HEIGHT_SCAN_INPUT) : null;
    if (m && map && map.capturedAtS !== m.lastS) {
      m.lastS = map.capturedAtS;
      m.msg.data.set(map.data);
      m.pub.publish(m.msg);
    }
  }

  async close(): Promise<Ros2VirtualRobotReport> {
    if (this.closed) return this.report;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.node.destroy();
    releaseRcl(this.rcl);
    this.plant.close();
    return this.report;
  }

  private onCommand(msg: Float64MultiArrayMsg): void {
    const error = readEffortCommand(msg, this.commandIndex, this.cfg.wheelSigns, this.command);
    if (error) {
      this.report.commandsRefused++;
      if (error !== this.lastCommandError) this.log(`ignored command: ${error}`);
      this.lastCommandError = error;
      return;
    }
    this.report.commandsReceived++;
    this.lastCommandMs = performance.now();
  }

  private onLockState(engaged: boolean): void {
    if (engaged && !this.estopEngaged && this.everReleased && this.report.estopAtS === null) {
      this.report.estopAtS = this.report.simTimeS;
      this.log(`lock engaged at t=${this.report.simTimeS.toFixed(2)} s: torque cut`);
    }
    if (!engaged) this.everReleased = true;
    this.estopEngaged = engaged;
  }

  /** ROS time for header stamps: node.now() once a second, the monotonic clock in between. */
  private rosNowMs(hostNow: number): number {
    if (hostNow - this.lastOffsetSampleMs >= 1000) {
      this.rosOffsetMs = Number(this.node.now().nanoseconds) / 1e6 - performance.now();
      this.lastOffsetSampleMs = hostNow;
    }
    return hostNow + this.rosOffsetMs;
  }

  /** Real time on absolute deadlines; a late tick is skipped and counted, never run twice. */
  private startClock(): void {
    const periodMs = this.plant.controlDt * 1000;
    this.nextDeadlineMs = performance.now() + periodMs;
    const loop = () => {
      if (this.closed) return;
      this.tick();
      let now = performance.now();
      this.nextDeadlineMs += periodMs;
      while (this.nextDeadlineMs < now) {
        this.nextDeadlineMs += periodMs;
        this.report.missedTicks++;
      }
      now = performance.now();
      this.timer = setTimeout(loop, Math.max(0, this.nextDeadlineMs - now));
    };
    this.timer = setTimeout(loop, periodMs);
  }
}

/** The sensors of `robot` the ROS 2 config has perception topics for (undefined: none, nothing is rendered). */
function publishedSensors(robot: RobotConfig | undefined, cfg: Ros2Config): TaskPerception | undefined {
  const depth = !!(robot?.perception?.depthCamera && cfg.perception?.depth), heightScan = !!(robot?.perception?.heightScan && cfg.perception?.heightScan);
  return depth || heightScan ? { depth, heightScan } : undefined;
}

/** Run until `seconds` have passed or SIGINT/SIGTERM; returns the report. */
export async function runRos2VirtualRobot(options: Ros2VirtualRobotOptions & { seconds?: number } = {}): Promise<Ros2VirtualRobotReport> {
  const vr = await Ros2VirtualRobot.start(options);
  const log = options.log ?? ((line: string) => process.stderr.write(`virtual-robot(ros2): ${line}\n`));
  const seconds = options.seconds ?? Number.POSITIVE_INFINITY;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      clearTimeout(timer);
      clearInterval(status);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    const timer = Number.isFinite(seconds) ? setTimeout(done, seconds * 1000) : undefined;
    const status = setInterval(() => {
      const r = vr.report;
      log(`t=${r.simTimeS.toFixed(1)} s, max tilt ${r.maxTiltDeg.toFixed(2)} deg, commands ${r.commandsReceived} (${r.commandsRefused} refused), missed ticks ${r.missedTicks}${r.estopAtS !== null ? ', e-stopped' : ''}`);
    }, 1000);
  });
  return vr.close();
}
