// The virtual robot: the simulated ballbot behind a real pseudo-terminal, with the C firmware
// core in the loop. Node runs the plant in real time and exchanges sensor readings and motor
// torques with a gcc-built host_firmware process; that process owns one end of a socat pty
// pair as its UART and runs the same watchdog, e-stop latch and torque limits a board would.
// The other pty end is where deploy (or any serial tool) connects.
//
//   host (deploy + SerialLink) <-> pty B ==socat== pty A <-> host_firmware (C) <-> stdin/stdout <-> plant (Node)
import { spawn, type ChildProcess } from 'node:child_process';
import { atomicWriteFile } from '../common/atomic-write.js';
import type { RandomizationConfig } from '../sim/config/randomization.js';
import type { RobotConfig } from '../sim/config/robot.js';
import type { Plant, PlantTruth } from '../sim/plant-api.js';
import { createPlant } from '../sim/plant.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { buildFirmware } from '../firmware-bridge/firmware-build.js';
import { openPtyPair, type PtyPair } from '../firmware-bridge/pty-pair.js';

const PACKET = 64;

export interface VirtualRobotOptions {
  robot?: RobotConfig;
  seed?: number;
  /** Domain randomization per reset: the default ranges, or these (sim/plant.ts). */
  randomize?: boolean | RandomizationConfig;
  initTiltDeg?: number;
  /** Start tilted about a random axis with a random heading, as the training env does. */
  randomPose?: boolean;
  /**
   * 'realtime' (default): the plant steps on its own clock, as a robot does. 'lockstep': it
   * steps only when step() is called, so a test can drive the whole path deterministically.
   */
  clock?: 'realtime' | 'lockstep';
  /** Firmware command watchdog, ms (default 100). */
  watchdogMs?: number;
  /** Firmware torque limit, N m (default: the robot's motor.maxTorque). */
  maxTorqueNm?: number;
  /**
   * Rate of the firmware's sensor loop and STATE stream, Hz (default 500, the class of Kugle's
   * 400 Hz IMU). The plant steps at this rate; its physics step stays the robot's physicsDt.
   */
  stateRateHz?: number;
  /** Write the host-side pty path to this file (atomically) once ready. */
  linkFile?: string;
  battery_mv?: number;
  log?: (line: string) => void;
}

/** What the C firmware reported in its latest report packet. */
export interface FirmwareReport {
  /** Host time (performance.now()) this report arrived. */
  atMs: number;
  mode: number;
  faultFlags: number;
  torque: Float64Array;
  timeUs: number;
  watchdogTrips: number;
  watchdogTripUs: number;
  watchdogLastFeedUs: number;
  /** Frames the corruption injector altered, and frames the host must lose because of it. */
  txCorrupted: number;
  txLost: number;
  rxFramesOk: number;
  rxBad: number;
  rxGaps: number;
  lastControlSeq: number;
  txFrames: number;
  txDropped: number;
}

/** An empty report (no firmware report received yet). */
export function newFirmwareReport(): FirmwareReport {
  return {
    atMs: NaN, mode: 0, faultFlags: 0, torque: new Float64Array(3), timeUs: 0, watchdogTrips: 0, watchdogTripUs: 0,
    watchdogLastFeedUs: 0, txCorrupted: 0, txLost: 0, rxFramesOk: 0, rxBad: 0, rxGaps: 0, lastControlSeq: 0, txFrames: 0, txDropped: 0,
  };
}

/**
 * The robot with its control (sensor) loop at `rateHz`. The physics step is kept at the
 * configured physicsDt when it divides the new period, else the largest step <= it that does.
 */
export function withSensorRate(robot: RobotConfig, rateHz: number): RobotConfig {
  if (!(rateHz >= 10 && rateHz <= 2000)) throw new Error(`virtual robot: state rate must be within 10..2000 Hz, got ${rateHz}`);
  const period = 1 / rateHz;
  const substeps = Math.max(1, Math.ceil(period / robot.control.physicsDt - 1e-9));
  return { ...robot, control: { ...robot.control, rateHz, physicsDt: period / substeps } };
}

export class VirtualRobot {
  readonly report: FirmwareReport = newFirmwareReport();
  /** Host time of the first report showing zero torque after a nonzero one (for e-stop timing). */
  lastZeroedAtMs = NaN;
  ticks = 0;
  missedTicks = 0;
  /** Called after every plant step (for scenario monitors); keep it cheap. */
  onStep: ((truth: PlantTruth) => void) | null = null;
  /** Called after every firmware report. */
  onReport: (() => void) | null = null;

  /** A ring of packet buffers: the pipe keeps a reference until written, so none is reused early. */
  private readonly outRing = Array.from({ length: 32 }, () => Buffer.alloc(PACKET));
  private readonly outViews = this.outRing.map((b) => new DataView(b.buffer, b.byteOffset, PACKET));
  private outNext = 0;
  private readonly inBuf = Buffer.alloc(PACKET);
  private inHave = 0;
  private timer: NodeJS.Timeout | null = null;
  private nextMs = 0;
  private stopped = false;
  private exited: Promise<void>;

  private constructor(
    readonly plant: Plant,
    private readonly pty: PtyPair,
    private readonly fw: ChildProcess,
    private readonly options: VirtualRobotOptions,
  ) {
    fw.stdout!.on('data', (chunk: Buffer) => this.onFirmwareData(chunk));
    fw.stderr!.setEncoding('utf8');
    fw.stderr!.on('data', (s: string) => options.log?.(s.trimEnd()));
    this.exited = new Promise((resolve) => fw.once('exit', () => resolve()));
    fw.stdin!.on('error', () => {}); // the firmware quit first: nothing to tell it any more
  }

  /** The port a host connects to (like /dev/ttyACM0). */
  get hostPort(): string {
    return this.pty.b;
  }

  get maxTorqueNm(): number {
    return this.options.maxTorqueNm ?? this.plant.robot.motor.maxTorque;
  }

  get controlDt(): number {
    return this.plant.controlDt;
  }

  static async start(options: VirtualRobotOptions = {}): Promise<VirtualRobot> {
    const build = buildFirmware();
    const robot = withSensorRate(options.robot ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG), options.stateRateHz ?? 500);
    const plant = await createPlant({ robot, seed: options.seed ?? 1, randomize: options.randomize ?? false, initTiltDeg: options.initTiltDeg ?? 0, randomPose: options.randomPose });
    let pty: PtyPair;
    try {
      pty = await openPtyPair();
    } catch (err) {
      plant.close();
      throw err;
    }
    const maxTorque = options.maxTorqueNm ?? plant.robot.motor.maxTorque;
    const rate = Math.round(1 / plant.controlDt);
    const fw = spawn(build.hostFirmware, [pty.a, String(options.watchdogMs ?? 100), String(maxTorque), String(rate)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const vr = new VirtualRobot(plant, pty, fw, options);
    await new Promise<void>((resolve, reject) => {
      fw.once('spawn', () => resolve());
      fw.once('error', (err) => reject(new Error(`virtual robot: cannot start the host firmware ${build.hostFirmware}: ${err.message}`)));
    });
    if (options.linkFile) atomicWriteFile(options.linkFile, vr.hostPort + '\n');
    if (options.clock !== 'lockstep') vr.startClock();
    return vr;
  }

  /**
   * Run the plant in real time on absolute deadlines. A late tick is caught up (up to a few
   * steps at once, so simulated time keeps pace with the wall clock); beyond that ticks are
   * skipped and counted.
   */
  private startClock(): void {
    const periodMs = this.plant.controlDt * 1000;
    const maxCatchUp = 4;
    this.nextMs = performance.now() + periodMs;
    const loop = () => {
      if (this.stopped) return;
      let steps = 0;
      while (performance.now() >= this.nextMs && steps < maxCatchUp) {
        this.step();
        this.nextMs += periodMs;
        steps++;
      }
      const now = performance.now();
      if (now >= this.nextMs) {
        const behind = Math.floor((now - this.nextMs) / periodMs) + 1;
        this.missedTicks += behind;
        this.nextMs += behind * periodMs;
      }
      this.timer = setTimeout(loop, Math.max(0, this.nextMs - performance.now() - 0.3));
    };
    this.timer = setTimeout(loop, periodMs);
  }

  /** One control period: the firmware's latest torque into the plant, physics, then the sensors out. */
  step(): void {
    this.plant.applyCommand(this.report.torque);
    this.plant.stepControl();
    this.ticks++;
    this.publishSensors();
    if (this.onStep) this.onStep(this.plant.truth());
  }

  /** Read the sensors now and hand them to the firmware (which sends a STATE frame to the host). */
  publishSensors(): void {
    const s = this.plant.sensors();
    const out = this.outRing[this.outNext];
    const v = this.outViews[this.outNext];
    this.outNext = (this.outNext + 1) % this.outRing.length;
    out.fill(0);
    out[0] = 0x53; // 'S'
    for (let i = 0; i < 4; i++) v.setFloat32(4 + 4 * i, s.orientation[i], true);
    for (let i = 0; i < 3; i++) {
      v.setFloat32(20 + 4 * i, s.gyro[i], true);
      v.setFloat32(32 + 4 * i, s.wheelVelocity[i], true);
    }
    v.setUint16(44, this.options.battery_mv ?? 12000, true);
    this.writeFirmware(out);
  }

  private writeFirmware(packet: Buffer): void {
    if (!this.stopped && this.fw.stdin!.writable) this.fw.stdin!.write(packet);
  }

  private control(kind: string, f32 = 0, u32 = 0): void {
    const p = Buffer.alloc(PACKET); // rare control packets: a fresh buffer each
    p[0] = kind.charCodeAt(0);
    p.writeFloatLE(f32, 4);
    p.writeUInt32LE(u32 >>> 0, 8);
    this.writeFirmware(p);
  }

  private onFirmwareData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(PACKET - this.inHave, chunk.length - at);
      chunk.copy(this.inBuf, this.inHave, at, at + n);
      this.inHave += n;
      at += n;
      if (this.inHave === PACKET) {
        this.inHave = 0;
        if (this.inBuf[0] === 0x54) this.parseReport(this.inBuf);
      }
    }
  }

  private parseReport(b: Buffer): void {
    const r = this.report;
    const wasMoving = r.torque[0] !== 0 || r.torque[1] !== 0 || r.torque[2] !== 0;
    r.atMs = performance.now();
    r.mode = b[1];
    r.faultFlags = b.readUInt16LE(2);
    for (let i = 0; i < 3; i++) r.torque[i] = b.readFloatLE(4 + 4 * i);
    r.timeUs = b.readUInt32LE(16);
    r.watchdogTrips = b.readUInt32LE(20);
    r.watchdogTripUs = b.readUInt32LE(24);
    r.watchdogLastFeedUs = b.readUInt32LE(28);
    r.txCorrupted = b.readUInt32LE(32);
    r.txLost = b.readUInt32LE(36);
    r.rxFramesOk = b.readUInt32LE(40);
    r.rxBad = b.readUInt32LE(44);
    r.rxGaps = b.readUInt32LE(48);
    r.lastControlSeq = b.readUInt32LE(52);
    r.txFrames = b.readUInt32LE(56);
    r.txDropped = b.readUInt32LE(60);
    if (wasMoving && r.torque[0] === 0 && r.torque[1] === 0 && r.torque[2] === 0) this.lastZeroedAtMs = r.atMs;
    this.onReport?.();
  }

  /** Kick the body (m/s), as a hand pushing the robot. */
  push(dvx: number, dvy: number): void {
    this.plant.push(dvx, dvy);
  }

  /** Put the robot upright again (someone picks it up after a fall or an e-stop). */
  resetPlant(initTiltDeg = 0): void {
    this.plant.reset({ initTiltDeg });
  }

  truth(): PlantTruth {
    return this.plant.truth();
  }

  /** Cable pulled: the firmware stops hearing and sending on its UART. */
  cutLink(): void {
    this.control('K');
  }

  restoreLink(): void {
    this.control('U');
  }

  /** Flip each transmitted byte with this probability; a new run (p > 0) resets the injected counters, p = 0 stops and keeps them. */
  setCorruption(probability: number, seed = 1): void {
    this.control('X', probability, seed);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.fw.stdin!.writable) this.fw.stdin!.end(Buffer.from([0x51, ...new Array(PACKET - 1).fill(0)]));
    const killer = setTimeout(() => this.fw.kill('SIGKILL'), 1000);
    await this.exited;
    clearTimeout(killer);
    await this.pty.close();
    this.plant.close();
  }
}
