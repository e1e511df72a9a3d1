// The ROS 2 RobotLink: state from sensor_msgs Imu + JointState, wheel efforts to a
// ros2_control forward command controller, a latching e-stop lock on std_msgs Bool, status on
// /diagnostics, arm/disarm as std_srvs Trigger services. Runs on the main JS thread, where
// rclnodejs delivers its callbacks; the control loop's timing lives on the runtime's worker.
import type { LinkHealth, RobotLink, TimedSensorState } from '../../robot-link.js';
import { commandIndexOfWheel, type Ros2Config } from './config.js';
import { HeaderStampConverter } from './clock.js';
import { EstopLock } from './estop-lock.js';
import {
  DIAG_LEVEL, MSG, createEffortCommand, msToStamp, readImu, readWheelVelocities, stampToMs, writeEffortCommand,
  type BoolMsg, type DiagnosticArrayMsg, type ImuMsg, type JointStateMsg, type TriggerResponseMsg,
} from './messages.js';
import { describeQos, toRclQos } from './qos.js';
import { Ros2Perception } from './perception.js';
import type { RobotConfig } from '../../../sim/config/robot.js';
import type { PerceptionSource } from '../../perception.js';
import { acquireRcl, releaseRcl, type RclModule, type RosNode, type RosPublisher, type RosSubscription } from './rcl-api.js';

export interface ArmDecision {
  ok: boolean;
  message: string;
}

export interface Ros2LinkHooks {
  /**
   * An operator called the arm Trigger service and the link's own checks passed (e-stop
   * input released, state arriving). Re-arm the runtime's own safety latch and return ok,
   * or refuse with a reason; the link releases its lock only on ok. No hook: always refused.
   */
  onArmRequest?: () => ArmDecision | Promise<ArmDecision>;
  /** The lock engaged from the ROS side (e-stop message, silent input, disarm service, bad command). */
  onEstop?: (reason: string) => void;
  /** A new complete state arrived (same object as latestState()); push it to the control worker. */
  onState?: (state: TimedSensorState) => void;
  /** Progress and warnings (default: stderr). */
  log?: (line: string) => void;
}

export interface Ros2LinkDeps {
  rcl: RclModule;
  /** Host monotonic clock, ms (performance.now() base). */
  now?: () => number;
}

/** What the ROS 2 link adds to RobotLink, for the runtime and for tests. */
export interface Ros2LinkExtras {
  readonly config: Ros2Config;
  /** True while the e-stop lock is engaged (commands go out as zeros). */
  isLocked(): boolean;
  lockReason(): string;
  /** The command last published, in the controller's joint order (N m). */
  lastPublishedCommand(): Float64Array;
  /** Depth and height-map frames on the config's perception topics (null: none for this robot). */
  readonly perception: PerceptionSource | null;
  /** Main-thread time spent in ROS callbacks: the latest, the worst and the mean, ms. */
  callbackTiming(): { lastMs: number; maxMs: number; meanMs: number; count: number };
}

export type Ros2RobotLink = RobotLink & Ros2LinkExtras;

interface StreamStats {
  received: number;
  refused: number;
  lastStampRosMs: number;
  lastArrivalMs: number;
  stampHostMs: number;
  error: string;
}

const newStream = (): StreamStats => ({ received: 0, refused: 0, lastStampRosMs: -Infinity, lastArrivalMs: Number.NaN, stampHostMs: Number.NaN, error: '' });

export class Ros2Link implements Ros2RobotLink {
  readonly name = 'ros2';
  private readonly rcl: RclModule;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly lock: EstopLock;
  private readonly stamps: HeaderStampConverter;
  private readonly commandIndex: Int32Array;
  private readonly jointIndexCache = new Int32Array([-1, -1, -1]);
  private readonly command = createEffortCommand(3);
  private readonly boolMsg: BoolMsg = { data: true };
  private readonly state: TimedSensorState = {
    orientation: new Float64Array([0, 0, 0, 1]),
    gyro: new Float64Array(3),
    wheelVelocity: new Float64Array(3),
    stampMs: Number.NaN,
  };
  private readonly imu = newStream();
  private readonly joints = newStream();
  private node: RosNode | null = null;
  private rclAcquired = false;
  private commandPub: RosPublisher | null = null;
  private estopPub: RosPublisher | null = null;
  private diagPub: RosPublisher | null = null;
  private subs: { sub: RosSubscription; topic: string; what: string }[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastDiagMs = -Infinity;
  private lastOffsetMs = -Infinity;
  private qosProblems: string[] = [];
  private qosSeenOnce: string[] = [];
  private armRefusal = '';
  private gaps = 0;
  private commandsSent = 0;
  private nonFiniteCommands = 0;
  private lastSeq = -1;
  private cbLastMs = 0;
  private cbMaxMs = 0;
  private cbCount = 0;
  private cbTotalMs = 0;
  /** Depth and height-map frames on the config's perception topics, for the robot's sensors (null: none configured). */
  readonly perception: Ros2Perception | null;

  constructor(readonly config: Ros2Config, deps: Ros2LinkDeps, private readonly hooks: Ros2LinkHooks = {}, robot?: RobotConfig) {
    this.rcl = deps.rcl;
    this.now = deps.now ?? (() => performance.now());
    this.log = hooks.log ?? ((line) => process.stderr.write(`[ros2-link] ${line}\n`));
    this.lock = new EstopLock({ inputTimeoutMs: config.estop.inputTimeoutMs });
    this.stamps = new HeaderStampConverter(config.clock);
    this.commandIndex = commandIndexOfWheel(config);
    const perception = robot ? new Ros2Perception(config, robot, this.stamps, this.now, this.log) : null;
    this.perception = perception && perception.inputs.length ? perception : null;
  }

  async connect(): Promise<void> {
    if (this.node) return;
    const cfg = this.config;
    await acquireRcl(this.rcl);
    this.rclAcquired = true;
    try {
      const node = new this.rcl.Node(cfg.node.name, cfg.node.namespace);
      this.node = node;
      const qos = (spec: Ros2Config['commands']['qos']) => ({ qos: toRclQos(this.rcl, spec) });
      this.commandPub = node.createPublisher(MSG.float64MultiArray, cfg.commands.topic, qos(cfg.commands.qos));
      this.estopPub = node.createPublisher(MSG.bool, cfg.estop.output.topic, qos(cfg.estop.output.qos));
      this.diagPub = node.createPublisher(MSG.diagnosticArray, cfg.diagnostics.topic, qos(cfg.diagnostics.qos));
      this.subs = [
        { what: 'state.imu', topic: cfg.state.imu.topic, sub: node.createSubscription(MSG.imu, cfg.state.imu.topic, qos(cfg.state.imu.qos), (msg: ImuMsg) => this.timed(() => this.onImu(msg))) },
        { what: 'state.jointStates', topic: cfg.state.jointStates.topic, sub: node.createSubscription(MSG.jointState, cfg.state.jointStates.topic, qos(cfg.state.jointStates.qos), (msg: JointStateMsg) => this.timed(() => this.onJointState(msg))) },
        { what: 'estop.input', topic: cfg.estop.input.topic, sub: node.createSubscription(MSG.bool, cfg.estop.input.topic, qos(cfg.estop.input.qos), (msg: BoolMsg) => this.timed(() => this.onEstopInput(msg))) },
        ...(this.perception?.subscribe(node, this.rcl) ?? []),
      ];
      node.createService(MSG.trigger, cfg.services.arm, (_request: unknown, response: { send(r: TriggerResponseMsg): void }) => {
        void this.handleArmService().then((r) => response.send(r));
      });
      node.createService(MSG.trigger, cfg.services.disarm, (_request: unknown, response: { send(r: TriggerResponseMsg): void }) => {
        this.tripFromRos('disarm service called');
        response.send({ success: true, message: 'lock engaged; call the arm service to re-arm' });
      });
      this.sampleClockOffset();
      node.spin();
      // Announce the (engaged) lock and command zero before anything else can happen.
      this.publishEstopState();
      this.publishZero();
      this.timer = setInterval(() => this.housekeeping(), this.housekeepingPeriodMs());
      this.log(`node ${cfg.node.namespace || ''}/${cfg.node.name}: state ${cfg.state.imu.topic} + ${cfg.state.jointStates.topic} [${describeQos(cfg.state.imu.qos)}], commands ${cfg.commands.topic} [${describeQos(cfg.commands.qos)}], e-stop ${cfg.estop.input.topic} -> ${cfg.estop.output.topic} [${describeQos(cfg.estop.input.qos)}]`);
      await this.waitForState(cfg.connectTimeoutMs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  latestState(): TimedSensorState | null {
    return this.imu.received > 0 && this.joints.received > 0 ? this.state : null;
  }

  sendCommand(torques: Float64Array, seq: number): void {
    this.lastSeq = seq;
    if (this.lock.checkInputTimeout(this.now())) this.notifyTrip();
    if (this.lock.locked) {
      this.command.data.fill(0);
    } else if (!writeEffortCommand(torques, this.commandIndex, this.config.wheelSigns, this.config.commands.maxEffort, this.command.data)) {
      this.nonFiniteCommands++;
      this.tripFromRos('non-finite torque command');
      return; // the trip already published zero
    }
    this.publishCommand();
  }

  sendEstop(reason: string): void {
    if (this.lock.trip(reason)) this.log(`e-stop: ${reason}`);
    this.publishZero();
    this.publishEstopState();
    this.publishDiagnostics();
  }

  sendArm(): void {
    const refused = this.lock.rearm(this.now());
    this.armRefusal = refused ?? '';
    if (refused) {
      this.log(`re-arm refused: ${refused}`);
    } else {
      this.log('armed');
      this.publishEstopState();
      this.publishDiagnostics();
    }
  }

  health(): LinkHealth {
    const now = this.now();
    const silenceMs = now - Math.min(this.imu.lastArrivalMs, this.joints.lastArrivalMs);
    const problems = this.problems();
    return {
      // Only a command mismatch is fatal (the controller never hears us); others are warnings.
      ok: this.node !== null && this.latestState() !== null && !this.qosProblems.some((p) => p.startsWith('commands:')),
      framesOk: this.imu.received + this.joints.received,
      framesBad: this.imu.refused + this.joints.refused,
      gaps: this.gaps,
      rttMs: Number.NaN, // topics have no round trip; the header delay is in `detail`
      silenceMs: Number.isNaN(silenceMs) ? Number.POSITIVE_INFINITY : silenceMs,
      detail: [...problems, `header delay ${this.stamps.lastDelayMs.toFixed(2)} ms`, `callbacks max ${this.cbMaxMs.toFixed(3)} ms`].join('; '),
    };
  }

  isLocked(): boolean {
    return this.lock.locked;
  }

  lockReason(): string {
    return this.lock.reason;
  }

  lastPublishedCommand(): Float64Array {
    return this.command.data;
  }

  callbackTiming(): { lastMs: number; maxMs: number; meanMs: number; count: number } {
    return { lastMs: this.cbLastMs, maxMs: this.cbMaxMs, meanMs: this.cbCount ? this.cbTotalMs / this.cbCount : 0, count: this.cbCount };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.node) {
      this.lock.trip('link closed');
      try {
        this.publishZero();
        this.publishEstopState();
      } catch {
        // closing anyway; the robot side's own watchdog covers a lost last message
      }
      this.node.destroy();
      this.node = null;
      this.commandPub = this.estopPub = this.diagPub = null;
      this.subs = [];
    }
    if (this.rclAcquired) {
      this.rclAcquired = false;
      releaseRcl(this.rcl);
    }
  }

  // ---- callbacks ----------------------------------------------------------------------

  private timed(fn: () => void): void {
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    this.cbLastMs = dt;
    if (dt > this.cbMaxMs) this.cbMaxMs = dt;
    this.cbCount++;
    this.cbTotalMs += dt;
  }

  private onImu(msg: ImuMsg): void {
    const arrival = this.now();
    const error = readImu(msg, this.state);
    if (this.accept(this.imu, msg.header.stamp, arrival, error)) this.stateUpdated();
  }

  private onJointState(msg: JointStateMsg): void {
    const arrival = this.now();
    const error = readWheelVelocities(msg, this.config.wheelJoints, this.config.wheelSigns, this.jointIndexCache, this.state.wheelVelocity);
    if (this.accept(this.joints, msg.header.stamp, arrival, error)) this.stateUpdated();
  }

  /** Book-keeping shared by both state streams; false when the message was refused. */
  private accept(stream: StreamStats, stamp: { sec: number; nanosec: number }, arrival: number, error: string | null): boolean {
    if (error === null) {
      const rosMs = stampToMs(stamp);
      const hostMs = this.stamps.toHostMs(rosMs, arrival);
      if (Number.isNaN(hostMs)) error = this.stamps.lastError;
      else {
        if (rosMs <= stream.lastStampRosMs && this.config.clock.stampSource === 'header') this.gaps++;
        stream.lastStampRosMs = rosMs;
        stream.stampHostMs = hostMs;
      }
    }
    if (error !== null) {
      // A refused message leaves the previous state in place: it ages, and the watchdog acts.
      stream.refused++;
      if (error !== stream.error) this.log(`refused message: ${error}`);
      stream.error = error;
      return false;
    }
    stream.error = '';
    stream.received++;
    stream.lastArrivalMs = arrival;
    return true;
  }

  private stateUpdated(): void {
    // The state is as old as its older half.
    this.state.stampMs = Math.min(this.imu.stampHostMs, this.joints.stampHostMs);
    if (this.imu.received > 0 && this.joints.received > 0) this.hooks.onState?.(this.state);
  }

  private onEstopInput(msg: BoolMsg): void {
    if (this.lock.input(msg.data === true, this.now())) this.notifyTrip();
    else if (msg.data === true) this.publishZero(); // already locked: still make sure
  }

  private async handleArmService(): Promise<TriggerResponseMsg> {
    const blocker = this.lock.rearmBlocker(this.now()) ?? (this.latestState() === null ? 'no robot state received yet' : null);
    if (blocker) return { success: false, message: `arm refused: ${blocker}` };
    if (!this.hooks.onArmRequest) return { success: false, message: 'arm refused: no deploy runtime is attached to this link' };
    let decision: ArmDecision;
    try {
      decision = await this.hooks.onArmRequest();
    } catch (err) {
      decision = { ok: false, message: `runtime error: ${(err as Error).message}` };
    }
    if (!decision.ok) return { success: false, message: `arm refused by the runtime: ${decision.message}` };
    this.sendArm();
    return this.lock.locked
      ? { success: false, message: `arm refused: ${this.armRefusal}` }
      : { success: true, message: decision.message || 'armed' };
  }

  private tripFromRos(reason: string): void {
    if (this.lock.trip(reason)) this.notifyTrip();
    else this.publishZero();
  }

  private notifyTrip(): void {
    const reason = this.lock.reason;
    this.log(`e-stop lock engaged: ${reason}`);
    this.publishZero();
    this.publishEstopState();
    this.publishDiagnostics();
    this.hooks.onEstop?.(reason);
  }

  // ---- publishing -----------------------------------------------------------------------

  private publishCommand(): void {
    if (!this.commandPub) return;
    this.commandPub.publish(this.command);
    this.commandsSent++;
  }

  private publishZero(): void {
    this.command.data.fill(0);
    this.publishCommand();
  }

  private publishEstopState(): void {
    if (!this.estopPub) return;
    this.boolMsg.data = this.lock.locked;
    this.estopPub.publish(this.boolMsg);
  }

  private publishDiagnostics(): void {
    if (!this.diagPub) return;
    const now = this.now();
    this.lastDiagMs = now;
    const problems = this.problems();
    const level = this.lock.locked || problems.length ? (this.latestState() === null || this.qosProblems.some((p) => p.startsWith('commands:')) ? DIAG_LEVEL.error : DIAG_LEVEL.warn) : DIAG_LEVEL.ok;
    const age = this.latestState() ? (now - this.state.stampMs).toFixed(1) : 'none';
    const msg: DiagnosticArrayMsg = {
      header: { stamp: msToStamp(Number.isNaN(this.stamps.offsetMs) ? 0 : now + this.stamps.offsetMs, { sec: 0, nanosec: 0 }), frame_id: '' },
      status: [{
        level,
        name: `ballbot: ros2 link (${this.config.node.name})`,
        message: this.lock.locked ? `LOCKED: ${this.lock.reason}` : problems.length ? problems.join('; ') : 'armed',
        hardware_id: this.config.diagnostics.hardwareId,
        values: [
          { key: 'locked', value: String(this.lock.locked) },
          { key: 'lock_reason', value: this.lock.reason },
          { key: 'lock_trips', value: String(this.lock.trips) },
          { key: 'state_age_ms', value: age },
          { key: 'imu_received', value: String(this.imu.received) },
          { key: 'imu_refused', value: String(this.imu.refused) },
          { key: 'joint_states_received', value: String(this.joints.received) },
          { key: 'joint_states_refused', value: String(this.joints.refused) },
          { key: 'header_delay_ms', value: this.stamps.lastDelayMs.toFixed(2) },
          { key: 'clock_offset_ms', value: this.stamps.offsetMs.toFixed(3) },
          { key: 'commands_sent', value: String(this.commandsSent) },
          { key: 'last_seq', value: String(this.lastSeq) },
          { key: 'callback_max_ms', value: this.cbMaxMs.toFixed(3) },
          ...Object.entries(this.perception?.counters() ?? {}).flatMap(([input, c]) => [
            { key: `${input}_received`, value: String(c.received) }, { key: `${input}_refused`, value: String(c.refused) },
          ]),
        ],
      }],
    };
    this.diagPub.publish(msg);
  }

  // ---- housekeeping ---------------------------------------------------------------------

  private housekeepingPeriodMs(): number {
    const t = this.config.estop.inputTimeoutMs;
    return Math.max(5, Math.min(50, t > 0 ? t / 4 : 50));
  }

  private housekeeping(): void {
    const now = this.now();
    if (this.lock.checkInputTimeout(now)) this.notifyTrip();
    if (now - this.lastOffsetMs >= this.config.clock.offsetSampleMs) this.sampleClockOffset();
    if (now - this.lastDiagMs >= 1000 / this.config.diagnostics.rateHz) {
      this.checkQosMatches();
      this.publishEstopState(); // a heartbeat of the lock state for robot-side timeouts
      this.publishDiagnostics();
    }
  }

  private sampleClockOffset(): void {
    if (!this.node) return;
    const rosMs = Number(this.node.now().nanoseconds) / 1e6;
    const hostMs = this.now();
    this.stamps.sampleOffset(rosMs, hostMs);
    this.lastOffsetMs = hostMs;
  }

  /**
   * Endpoints with incompatible QoS never match and DDS says nothing: compare how many
   * endpoints the graph has on each topic with how many actually matched ours.
   */
  private checkQosMatches(): void {
    const node = this.node;
    if (!node) return;
    const problems: string[] = [];
    const pubs: [RosPublisher | null, string, string, Ros2Config['commands']['qos']][] = [
      [this.commandPub, this.config.commands.topic, 'commands', this.config.commands.qos],
      [this.estopPub, this.config.estop.output.topic, 'estop.output', this.config.estop.output.qos],
    ];
    for (const [pub, topic, what, spec] of pubs) {
      if (!pub) continue;
      const inGraph = node.countSubscribers(topic), matched = pub.subscriptionCount();
      if (inGraph > matched) problems.push(`${what}: ${inGraph - matched} of ${inGraph} subscriber(s) on ${topic} cannot receive our ${describeQos(spec)} messages (QoS incompatible${spec.reliability === 'best_effort' ? `; a reliable subscriber such as forward_command_controller needs ${what}.qos.reliability: reliable` : ''})`);
    }
    for (const { sub, topic, what } of this.subs) {
      const inGraph = node.countPublishers(topic), matched = sub.publisherCount();
      if (inGraph > matched) problems.push(`${what}: ${inGraph - matched} of ${inGraph} publisher(s) on ${topic} do not match our subscription QoS`);
    }
    // Discovery and matching are not atomic: report a mismatch only once it has been seen on
    // two checks in a row, so a subscriber that is still being matched does not trip the robot.
    const confirmed = problems.filter((p) => this.qosSeenOnce.includes(p));
    this.qosSeenOnce = problems;
    for (const p of confirmed) if (!this.qosProblems.includes(p)) this.log(p);
    this.qosProblems = confirmed;
  }


  private problems(): string[] {
    const out: string[] = [];
    if (this.lock.locked) out.push(`locked: ${this.lock.reason}`);
    if (this.imu.error) out.push(`imu: ${this.imu.error}`);
    if (this.joints.error) out.push(`joint_states: ${this.joints.error}`);
    if (this.imu.received === 0) out.push(`no Imu yet on ${this.config.state.imu.topic}`);
    if (this.joints.received === 0) out.push(`no JointState yet on ${this.config.state.jointStates.topic}`);
    if (this.nonFiniteCommands) out.push(`${this.nonFiniteCommands} non-finite command(s) zeroed`);
    if (this.perception) out.push(...this.perception.problems());
    out.push(...this.qosProblems);
    return out;
  }

  private waitForState(timeoutMs: number): Promise<void> {
    if (this.latestState()) return Promise.resolve();
    // Wall-clock deadline (not the injected clock): connect must end even if time is frozen.
    return new Promise((resolve, reject) => {
      const poll = setInterval(() => {
        if (!this.latestState()) return;
        clearInterval(poll);
        clearTimeout(deadline);
        resolve();
      }, 5);
      const deadline = setTimeout(() => {
        clearInterval(poll);
        this.checkQosMatches();
        const node = this.node;
        const counts = node ? ` (publishers: ${this.config.state.imu.topic} ${node.countPublishers(this.config.state.imu.topic)}, ${this.config.state.jointStates.topic} ${node.countPublishers(this.config.state.jointStates.topic)})` : '';
        reject(new Error(`ROS 2 link: no robot state within ${timeoutMs} ms${counts}: ${this.problems().filter((p) => !p.startsWith('locked')).join('; ')}. Is the robot's ros2_control (imu_sensor_broadcaster, joint_state_broadcaster) running, with the topic names in the config?`));
      }, timeoutMs);
    });
  }
}
