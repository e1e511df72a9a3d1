// The virtual robot: the simulated ballbot behind a real pseudo-terminal, with the C firmware
// core in the loop. Node runs the plant in real time and exchanges sensor readings and motor
// torques with the firmware over its plant channel; the firmware owns the protocol UART and
// runs the same watchdog, e-stop latch and torque limits a board would. The pty is where
// deploy (or any serial tool) connects. Targets (hil/firmware-process.ts):
//
//   host: deploy + SerialLink <-> pty B ==socat== pty A <-> host_firmware (gcc) <-> stdin/stdout <-> plant (Node)
//   qemu: deploy + SerialLink <-> QEMU pty = UART0 of the Cortex-M3 firmware, UART1 <-> stdin/stdout <-> plant (Node)
import type { ChildProcess } from 'node:child_process';
import { atomicWriteFile } from '../common/atomic-write.js';
import type { RandomizationConfig } from '../sim/config/randomization.js';
import type { RobotConfig } from '../sim/config/robot.js';
import type { Plant, PlantTruth } from '../sim/plant-api.js';
import { createPlant } from '../sim/plant.js';
import { loadRobotConfig } from '../sim/config/robot.js';
import { DEFAULT_ROBOT_CONFIG } from '../sim/config/paths.js';
import { startFirmwareProcess, type FirmwareProcess, type FirmwareTarget } from './firmware-process.js';
import { encodePlantPacket, newPlantFrame, PLANT_WIRE_MAX, PlantPacketDecoder } from './plant-channel.js';

/** How long the firmware may take to boot and ask for its limits (QEMU on a loaded machine). */
const BOOT_TIMEOUT_MS = 30_000;

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
  /** The board's hardware watchdog, ms (QEMU target; default: the board's own, 20 ms). */
  hwWatchdogMs?: number;
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
  /** Where the firmware runs (default host). */
  target?: FirmwareTarget;
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
  /** Times the firmware booted (asked for its limits); more than 1 means it was reset. */
  boots: number;
  /** Plant-channel packets the firmware dropped as bad, at its last boot. */
  plantBadPackets: number;
  /** Early warnings of the board's hardware watchdog (a control tick came late). */
  hwWatchdogWarnings: number;
  /** Control ticks the firmware ran (its timer, or the host process's poll loop). */
  firmwareTicks: number;
}

/** An empty report (no firmware report received yet). */
export function newFirmwareReport(): FirmwareReport {
  return {
    atMs: NaN, mode: 0, faultFlags: 0, torque: new Float64Array(3), timeUs: 0, watchdogTrips: 0, watchdogTripUs: 0,
    watchdogLastFeedUs: 0, txCorrupted: 0, txLost: 0, rxFramesOk: 0, rxBad: 0, rxGaps: 0, lastControlSeq: 0, txFrames: 0, txDropped: 0,
    boots: 0, plantBadPackets: 0, hwWatchdogWarnings: 0, firmwareTicks: 0,
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

  /** The sensor packet, and a ring of wire buffers: the pipe keeps a reference until written, so none is reused early. */
  private readonly sensorFrame = newPlantFrame();
  private readonly sensorView = new DataView(this.sensorFrame.buffer, this.sensorFrame.byteOffset, this.sensorFrame.length);
  private readonly outRing = Array.from({ length: 32 }, () => Buffer.alloc(PLANT_WIRE_MAX));
  private outNext = 0;
  private readonly decoder = new PlantPacketDecoder((p) => this.onPacket(p));
  private booted: (() => void) | null = null;
  private readonly child: ChildProcess;
  private timer: NodeJS.Timeout | null = null;
  private nextMs = 0;
  private stopped = false;
  private exited: Promise<void>;

  private constructor(
    readonly plant: Plant,
    private readonly fw: FirmwareProcess,
    private readonly options: VirtualRobotOptions,
  ) {
    const child = (this.child = fw.child);
    child.stdout!.on('data', (chunk: Buffer) => this.decoder.feed(chunk));
    child.stdout!.resume(); // a launcher that read a banner first leaves the stream paused
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => options.log?.(s.trimEnd()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdin!.on('error', () => {}); // the firmware quit first: nothing to tell it any more
  }

  /** The port a host connects to (like /dev/ttyACM0). */
  get hostPort(): string {
    return this.fw.hostPort;
  }

  /** What runs the firmware (host process or QEMU board). */
  get firmwareDescription(): string {
    return this.fw.description;
  }

  get maxTorqueNm(): number {
    return this.options.maxTorqueNm ?? this.plant.robot.motor.maxTorque;
  }

  get controlDt(): number {
    return this.plant.controlDt;
  }

  static async start(options: VirtualRobotOptions = {}): Promise<VirtualRobot> {
    const robot = withSensorRate(options.robot ?? loadRobotConfig(DEFAULT_ROBOT_CONFIG), options.stateRateHz ?? 500);
    const plant = await createPlant({ robot, seed: options.seed ?? 1, randomize: options.randomize ?? false, initTiltDeg: options.initTiltDeg ?? 0, randomPose: options.randomPose });
    let fw: FirmwareProcess;
    try {
      fw = await startFirmwareProcess(options.target ?? 'host');
    } catch (err) {
      plant.close();
      throw err;
    }
    const vr = new VirtualRobot(plant, fw, options);
    try {
      await vr.waitForBoot();
    } catch (err) {
      await vr.close();
      throw err;
    }
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
    const v = this.sensorView;
    this.sensorFrame.fill(0);
    this.sensorFrame[0] = 0x53; // 'S'
    for (let i = 0; i < 4; i++) v.setFloat32(4 + 4 * i, s.orientation[i], true);
    for (let i = 0; i < 3; i++) {
      v.setFloat32(20 + 4 * i, s.gyro[i], true);
      v.setFloat32(32 + 4 * i, s.wheelVelocity[i], true);
    }
    v.setUint16(44, this.options.battery_mv ?? 12000, true);
    this.writeFirmware(this.sensorFrame);
  }

  /** Sends one packet (a plant frame) on the plant channel. */
  private writeFirmware(frame: Buffer): void {
    if (this.stopped || !this.child.stdin!.writable) return;
    const out = this.outRing[this.outNext];
    this.outNext = (this.outNext + 1) % this.outRing.length;
    this.child.stdin!.write(out.subarray(0, encodePlantPacket(frame, out)));
  }

  private control(kind: string, f32 = 0, u32 = 0): void {
    const p = newPlantFrame(); // rare control packets: a fresh buffer each
    p[0] = kind.charCodeAt(0);
    p.writeFloatLE(f32, 4);
    p.writeUInt32LE(u32 >>> 0, 8);
    this.writeFirmware(p);
  }

  /** The firmware booted and asks for its limits ('R'): answer with a 'C' packet. */
  private configure(): void {
    const p = newPlantFrame();
    p[0] = 0x43; // 'C'
    p.writeUInt16LE(this.options.watchdogMs ?? 100, 4);
    p.writeFloatLE(this.maxTorqueNm, 8);
    p.writeUInt16LE(Math.round(1 / this.plant.controlDt), 12);
    p.writeUInt16LE(0, 14); // no low-battery threshold
    p.writeUInt16LE(this.options.hwWatchdogMs ?? 0, 16);
    this.writeFirmware(p);
  }

  private onPacket(p: Buffer): void {
    if (p[0] === 0x54) this.parseReport(p); // 'T'
    else if (p[0] === 0x52) { // 'R'
      this.report.boots++;
      this.report.plantBadPackets = p.readUInt32LE(4);
      this.options.log?.(`firmware booted (boot ${this.report.boots}) on ${this.fw.description}`);
      this.configure();
      this.booted?.();
    }
  }

  private waitForBoot(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`virtual robot: the firmware (${this.fw.description}) did not boot within ${BOOT_TIMEOUT_MS / 1000} s`)), BOOT_TIMEOUT_MS);
      const exited = () => { clearTimeout(timer); reject(new Error(`virtual robot: the firmware (${this.fw.description}) exited before it booted (code ${this.child.exitCode})`)); };
      this.child.once('exit', exited);
      this.booted = () => {
        this.booted = null;
        clearTimeout(timer);
        this.child.off('exit', exited);
        resolve();
      };
    });
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
    r.hwWatchdogWarnings = b.readUInt32LE(64);
    r.firmwareTicks = b.readUInt32LE(68);
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

  /** Hang the firmware's core (QEMU board): its hardware watchdog must cut the motors and reset it. */
  hangFirmware(): void {
    this.control('H');
  }

  /** Flip each transmitted byte with this probability; a new run (p > 0) resets the injected counters, p = 0 stops and keeps them. */
  setCorruption(probability: number, seed = 1): void {
    this.control('X', probability, seed);
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const quit = newPlantFrame();
    quit[0] = 0x51; // 'Q': the host process exits; QEMU ends when its stdin closes or on SIGTERM
    if (this.child.stdin!.writable) {
      const out = Buffer.alloc(PLANT_WIRE_MAX);
      this.child.stdin!.end(out.subarray(0, encodePlantPacket(quit, out)));
    }
    const term = setTimeout(() => this.child.kill('SIGTERM'), 300);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(term);
    clearTimeout(killer);
    await this.fw.release();
    this.plant.close();
  }
}
