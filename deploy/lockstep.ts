// Lockstep runs: the same control loop, safety layer and policy as a real-time run, but the
// caller drives the ticks on a simulated clock, and the simulated robot (the same Plant the
// real-time sim link runs in its worker) steps in this thread exactly up to each tick's time.
// Nothing depends on how fast or busy the machine is, so tests of balance and of each safety
// rule are deterministic. Real-time runs stay for bench and HIL.
import { createPlant } from '../sim/plant.js';
import type { Plant } from '../sim/plant-api.js';
import type { RobotConfig } from '../sim/config/robot.js';
import { Rng } from '../sim/rng.js';
import type { SimClock } from './clock.js';
import type { LinkHealth, RobotLink, TimedSensorState } from './robot-link.js';
import type { SimControls, SimFault, SimLinkOptions, SimTruthSample } from './links/sim-link.js';
import type { PerceptionSource } from './perception.js';
import { PlantPerceptionSource } from './links/plant-perception.js';
import { sensorInputs } from '../sim/perception/layout.js';

/** State samples kept for the delivery latency (at most this many control steps late). */
const PENDING = 64;
const SLOT = 11; // stamp, q4, gyro3, wheel3

/** A link whose robot moves only when told: advance() brings it up to the clock's time. */
export interface SteppedLink extends RobotLink {
  advance(): void;
}

export function isSteppedLink(link: RobotLink): link is SteppedLink {
  return typeof (link as Partial<SteppedLink>).advance === 'function';
}

export class LockstepSimLink implements SteppedLink, SimControls {
  readonly name = 'sim (lockstep)';
  private plant: Plant | null = null;
  private simMs = 0;
  private readonly dtMs: number;
  private readonly pending = new Float64Array(PENDING * SLOT);
  private head = 0;
  private tail = 0;
  /** The command the motors apply now, and those still in flight (command latency). */
  private readonly command = new Float64Array(3);
  private readonly inFlight = new Float64Array(PENDING * 4); // sentMs, t0, t1, t2
  private cHead = 0;
  private cTail = 0;
  private readonly zero = new Float64Array(3);
  private estopped = false;
  /** Held upright at the start pose (as an operator holds a ballbot) until the first arm. */
  private held = true;
  private fell = false;
  private published = 0;
  private dropped = 0;
  private lastPublishMs = NaN;
  private readonly rng: Rng;
  private readonly out: TimedSensorState = { orientation: new Float64Array(4), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3), stampMs: 0, faultFlags: 0 };
  private haveState = false;
  private readonly healthOut: LinkHealth = { ok: true, framesOk: 0, framesBad: 0, gaps: 0, rttMs: 0, silenceMs: Infinity };
  private readonly truthOut: SimTruthSample = {
    stampMs: 0, timeS: 0, tiltRad: 0, ballPosition: new Float64Array(3), ballVelocity: new Float64Array(3),
    bodyOrientation: new Float64Array(4), ballOrientation: new Float64Array(4), wheelTorque: new Float64Array(3),
  };

  /** Depth and height-scan frames rendered from the plant, when options.perception asks for them. */
  readonly perception: PerceptionSource | null;
  private episodeStartMs = 0;

  constructor(readonly options: SimLinkOptions, private readonly clock: SimClock) {
    this.dtMs = 1000 / options.robot.control.rateHz;
    this.rng = new Rng((options.seed ?? 1) ^ 0x51a1);
    const inputs = sensorInputs(options.perception);
    this.perception = inputs.length ? new PlantPerceptionSource(inputs, () => this.plant, () => this.episodeStartMs) : null;
  }

  async connect(): Promise<void> {
    const o = this.options;
    this.plant = await createPlant({ robot: o.robot as RobotConfig, seed: o.seed ?? 1, randomize: o.randomize ?? false, initTiltDeg: o.initTiltDeg ?? 0, perception: o.perception });
    this.simMs = this.clock.now();
    this.episodeStartMs = this.simMs;
    this.sample();
  }

  /** Step the physics up to the clock's time (whole control steps), holding the latest command. */
  advance(): void {
    const plant = this.plant;
    if (!plant) throw new Error('lockstep sim link: connect() first');
    const now = this.clock.now();
    while (this.simMs + this.dtMs <= now + 1e-9) {
      this.takeDueCommand();
      plant.applyCommand(this.estopped ? this.zero : this.command);
      if (!this.held) plant.stepControl();
      else plant.stepPerception?.(); // held still, the robot's sensors still see
      this.simMs += this.dtMs;
      if (plant.truth().fallen) this.fell = true;
      this.sample();
    }
  }

  private sample(): void {
    if (this.rng.next() < (this.options.dropoutProb ?? 0)) { this.dropped++; return; }
    const s = this.plant!.sensors();
    const o = (this.tail % PENDING) * SLOT, p = this.pending;
    p[o] = this.simMs;
    for (let i = 0; i < 4; i++) p[o + 1 + i] = s.orientation[i];
    for (let i = 0; i < 3; i++) { p[o + 5 + i] = s.gyro[i]; p[o + 8 + i] = s.wheelVelocity[i]; }
    this.tail++;
    if (this.tail - this.head > PENDING) this.head = this.tail - PENDING;
  }

  latestState(): TimedSensorState | null {
    const now = this.clock.now(), latency = this.options.stateLatencyMs ?? 0, p = this.pending;
    let last = -1;
    while (this.head < this.tail && p[(this.head % PENDING) * SLOT] + latency <= now + 1e-9) { last = this.head; this.head++; }
    if (last >= 0) {
      const o = (last % PENDING) * SLOT, out = this.out;
      out.stampMs = p[o];
      for (let i = 0; i < 4; i++) (out.orientation as Float64Array)[i] = p[o + 1 + i];
      for (let i = 0; i < 3; i++) { (out.gyro as Float64Array)[i] = p[o + 5 + i]; (out.wheelVelocity as Float64Array)[i] = p[o + 8 + i]; }
      this.haveState = true;
      this.published++;
      this.lastPublishMs = now;
    }
    return this.haveState ? this.out : null;
  }

  sendCommand(torques: Float64Array, _seq: number): void {
    const o = (this.cTail % PENDING) * 4, f = this.inFlight;
    f[o] = this.clock.now(); f[o + 1] = torques[0]; f[o + 2] = torques[1]; f[o + 3] = torques[2];
    this.cTail++;
    if (this.cTail - this.cHead > PENDING) this.cHead = this.cTail - PENDING;
  }

  /** The newest command whose latency has passed by the physics time becomes the applied one. */
  private takeDueCommand(): void {
    const latency = this.options.commandLatencyMs ?? 0, f = this.inFlight;
    while (this.cHead < this.cTail && f[(this.cHead % PENDING) * 4] + latency <= this.simMs + 1e-9) {
      const o = (this.cHead % PENDING) * 4;
      this.command[0] = f[o + 1]; this.command[1] = f[o + 2]; this.command[2] = f[o + 3];
      this.cHead++;
    }
  }
  sendEstop(_reason: string): void { this.estopped = true; }
  sendArm(): void { this.estopped = false; this.held = false; }

  health(): LinkHealth {
    const h = this.healthOut;
    h.ok = this.plant !== null;
    h.framesOk = this.published;
    h.gaps = this.dropped;
    h.silenceMs = Number.isNaN(this.lastPublishMs) ? Infinity : this.clock.now() - this.lastPublishMs;
    h.detail = h.ok ? undefined : 'not connected';
    return h;
  }

  truth(): SimTruthSample {
    const tr = this.plant!.truth(), o = this.truthOut;
    o.stampMs = this.simMs; o.timeS = tr.timeS; o.tiltRad = tr.tiltRad;
    o.ballPosition.set(tr.ballPosition); o.ballVelocity.set(tr.ballVelocity); o.wheelTorque.set(tr.wheelTorque);
    o.bodyOrientation.set(tr.bodyOrientation); o.ballOrientation.set(tr.ballOrientation);
    return o;
  }

  get everFell(): boolean { return this.fell; }
  push(dvx: number, dvy: number): void { this.plant?.push(dvx, dvy); }
  inject(fault: SimFault): void {
    throw new Error(`lockstep sim link: fault '${fault}' is injected by deploy/fault-injection.ts, not by the simulated robot`);
  }

  async close(): Promise<void> {
    this.plant?.close();
    this.plant = null;
  }
}
