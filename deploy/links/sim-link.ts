// `--link sim`: the RobotLink to a simulated ballbot running in real time in a worker
// thread (sim-link-worker.ts), with configurable state latency, command latency, dropouts
// and extra gyro noise, plus fault injection for tests and demos. Reading state and sending
// commands only touch shared memory: no allocation, no event-loop turn.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { RobotConfig } from '../../sim/config/robot.js';
import type { TaskPerception } from '../../sim/perception/config.js';
import type { LinkHealth, RobotLink, TimedSensorState } from '../robot-link.js';
import { C, I, S, type SimLinkMessage, type SimLinkWorkerData } from './sim-link-protocol.js';
import type { PerceptionSource } from '../perception.js';
import { perceptionShape, sensorInputs } from '../../sim/perception/layout.js';
import { createSharedFrames, SharedFramesSource, type SharedFramesLayout } from './shared-frames.js';

export interface SimLinkOptions {
  robot: RobotConfig;
  seed?: number;
  randomize?: boolean;
  initTiltDeg?: number;
  stateLatencyMs?: number;
  commandLatencyMs?: number;
  dropoutProb?: number;
  gyroNoise?: number;
  injectTiltDeg?: number;
  /** Perception inputs the simulated robot renders with its robot config's sensors (sensorsFor in plant-perception.ts). */
  perception?: TaskPerception;
}

/** Ground truth of the simulated robot, for telemetry and the `fell` verdict. */
export interface SimTruthSample {
  stampMs: number;
  timeS: number;
  tiltRad: number;
  ballPosition: Float64Array;
  ballVelocity: Float64Array;
  bodyOrientation: Float64Array;
  ballOrientation: Float64Array;
  wheelTorque: Float64Array;
}

export type SimFault = 'stale' | 'nan' | 'tilt' | 'linkdown';

/** What a simulated robot offers beyond RobotLink: fault injection, pushes, ground truth. */
export interface SimControls {
  inject(fault: SimFault): void;
  push(dvx: number, dvy: number): void;
  truth(): SimTruthSample;
  readonly everFell: boolean;
}

/** The sim controls of a link (the sim link, or a decorator over it), or null for real robots. */
export function simControlsOf(link: object): SimControls | null {
  const l = link as Partial<SimControls>;
  return typeof l.inject === 'function' && typeof l.push === 'function' && typeof l.truth === 'function' ? (link as SimControls) : null;
}

export class SimLink implements RobotLink, SimControls {
  readonly name = 'sim';
  private readonly ints = new Int32Array(new SharedArrayBuffer(I.COUNT * 4));
  private readonly stateBuf = new Float64Array(new SharedArrayBuffer(S.COUNT * 8));
  private readonly cmdBuf = new Float64Array(new SharedArrayBuffer(C.COUNT * 8));
  private worker: Worker | null = null;
  private port: MessagePort | null = null;
  private workerError: Error | null = null;
  private readonly out: TimedSensorState = {
    orientation: new Float64Array(4), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3), stampMs: 0, faultFlags: 0,
  };
  private readonly truthOut: SimTruthSample = {
    stampMs: 0, timeS: 0, tiltRad: 0, ballPosition: new Float64Array(3), ballVelocity: new Float64Array(3),
    bodyOrientation: new Float64Array(4), ballOrientation: new Float64Array(4), wheelTorque: new Float64Array(3),
  };
  private readonly scratch = new Float64Array(12);
  private readonly truthScratch = new Float64Array(S.COUNT);
  private haveState = false;
  private lastSeenPublished = 0;
  private lastHeardMs = NaN;
  private readonly healthOut: LinkHealth = { ok: false, framesOk: 0, framesBad: 0, gaps: 0, rttMs: NaN, silenceMs: Infinity };

  /** Depth and height-scan frames the simulated robot renders, when options.perception asks for them. */
  readonly perception: PerceptionSource | null;
  private readonly frames: SharedFramesLayout | null;

  constructor(readonly options: SimLinkOptions) {
    const inputs = sensorInputs(options.perception);
    this.frames = inputs.length ? createSharedFrames(inputs, inputs.map((n) => perceptionShape(options.robot, n).reduce((a, b) => a * b, 1))) : null;
    this.perception = this.frames ? new SharedFramesSource(this.frames) : null;
  }

  async connect(): Promise<void> {
    const o = this.options;
    const channel = new MessageChannel();
    this.port = channel.port1;
    const data: SimLinkWorkerData = {
      port: channel.port2,
      ints: this.ints.buffer as SharedArrayBuffer, state: this.stateBuf.buffer as SharedArrayBuffer, cmd: this.cmdBuf.buffer as SharedArrayBuffer,
      mainTimeOrigin: performance.timeOrigin, robot: o.robot, seed: o.seed ?? 1, randomize: o.randomize ?? false,
      initTiltDeg: o.initTiltDeg ?? 0, stateLatencyMs: o.stateLatencyMs ?? 0, commandLatencyMs: o.commandLatencyMs ?? 0,
      dropoutProb: o.dropoutProb ?? 0, gyroNoise: o.gyroNoise ?? 0, injectTiltDeg: o.injectTiltDeg ?? 40,
      perception: o.perception, frames: this.frames ?? undefined,
    };
    const worker = new Worker(new URL('./sim-link-worker.js', import.meta.url), { workerData: data, transferList: [channel.port2] });
    this.worker = worker;
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', (err) => reject(new Error(`sim link: the simulated robot failed to start: ${err.message}`)));
      worker.once('exit', (code) => reject(new Error(`sim link: the simulated robot exited (code ${code}) before it was ready`)));
    });
    worker.removeAllListeners('exit');
    worker.on('error', (err) => { this.workerError = err; Atomics.store(this.ints, I.LINK_OK, 0); });
    worker.on('exit', () => { Atomics.store(this.ints, I.LINK_OK, 0); });
  }

  latestState(): TimedSensorState | null {
    const st = this.stateBuf, tmp = this.scratch;
    for (let tries = 0; tries < 16; tries++) {
      const s1 = Atomics.load(this.ints, I.STATE_SEQ);
      if (s1 & 1) continue;
      for (let i = 0; i < 12; i++) tmp[i] = st[S.STAMP + i];
      if (Atomics.load(this.ints, I.STATE_SEQ) !== s1) continue;
      if (tmp[0] === 0) return null; // nothing published yet
      const out = this.out;
      out.stampMs = tmp[0];
      for (let i = 0; i < 4; i++) (out.orientation as Float64Array)[i] = tmp[1 + i];
      for (let i = 0; i < 3; i++) {
        (out.gyro as Float64Array)[i] = tmp[5 + i];
        (out.wheelVelocity as Float64Array)[i] = tmp[8 + i];
      }
      out.faultFlags = tmp[11];
      this.haveState = true;
      return out;
    }
    // The robot's thread was preempted mid-write: hand back the last complete state, whose
    // old stamp lets the staleness rule judge it.
    return this.haveState ? this.out : null;
  }

  sendCommand(torques: Float64Array, seq: number): void {
    const s = Atomics.add(this.ints, I.CMD_SEQ, 1) + 1; // odd: writing
    this.cmdBuf[C.TORQUE] = torques[0];
    this.cmdBuf[C.TORQUE + 1] = torques[1];
    this.cmdBuf[C.TORQUE + 2] = torques[2];
    this.cmdBuf[C.SENT_MS] = performance.now();
    this.cmdBuf[C.SEQ] = seq;
    Atomics.store(this.ints, I.CMD_SEQ, s + 1);
  }

  sendEstop(_reason: string): void { this.post({ kind: 'estop' }); }
  sendArm(): void { this.post({ kind: 'arm' }); }

  health(): LinkHealth {
    const h = this.healthOut;
    const published = Atomics.load(this.ints, I.PUBLISHED);
    const t = performance.now();
    if (published !== this.lastSeenPublished) { this.lastSeenPublished = published; this.lastHeardMs = t; }
    h.ok = Atomics.load(this.ints, I.LINK_OK) === 1 && this.workerError === null;
    h.framesOk = published;
    h.gaps = Atomics.load(this.ints, I.DROPPED);
    h.silenceMs = Number.isNaN(this.lastHeardMs) ? Infinity : t - this.lastHeardMs;
    h.detail = this.workerError ? `simulated robot crashed: ${this.workerError.message}` : h.ok ? undefined : 'link down';
    return h;
  }

  /** Ground truth at the latest physics step. */
  truth(): SimTruthSample {
    const st = this.stateBuf, tmp = this.truthScratch;
    for (let tries = 0; tries < 16; tries++) {
      const s1 = Atomics.load(this.ints, I.STATE_SEQ);
      if (s1 & 1) continue;
      for (let i = S.T_TIME; i < S.COUNT; i++) tmp[i] = st[i];
      if (Atomics.load(this.ints, I.STATE_SEQ) !== s1) continue;
      const o = this.truthOut;
      o.stampMs = tmp[S.T_STAMP]; o.timeS = tmp[S.T_TIME]; o.tiltRad = tmp[S.T_TILT];
      for (let i = 0; i < 3; i++) {
        o.ballPosition[i] = tmp[S.T_BALL_POS + i]; o.ballVelocity[i] = tmp[S.T_BALL_VEL + i]; o.wheelTorque[i] = tmp[S.T_WHEEL_TORQUE + i];
      }
      for (let i = 0; i < 4; i++) { o.bodyOrientation[i] = tmp[S.T_BODY_Q + i]; o.ballOrientation[i] = tmp[S.T_BALL_Q + i]; }
      break;
    }
    return this.truthOut; // unchanged (previous sample) if the writer kept us out
  }

  /** True once the simulated body tipped past the plant's fall limit. */
  get everFell(): boolean { return Atomics.load(this.ints, I.EVER_FALLEN) === 1; }
  /** Commands the simulated robot has received. */
  get commandsReceived(): number { return Atomics.load(this.ints, I.COMMANDS); }

  inject(fault: SimFault): void { this.post({ kind: fault }); }
  push(dvx: number, dvy: number): void { this.post({ kind: 'push', dvx, dvy }); }

  private post(m: SimLinkMessage): void {
    if (this.worker) this.port?.postMessage(m);
  }

  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    this.port?.close();
    Atomics.store(this.ints, I.STOP, 1);
    Atomics.notify(this.ints, I.STOP);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { void w.terminate().then(() => resolve()); }, 1000);
      w.once('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
}
