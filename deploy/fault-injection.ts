// `--inject`: faults made to happen at a time after the run starts, by decorating the link and
// the policy the control loop sees. The loop's tick is the production tick: it cannot tell an
// injected fault from a real one, which is the point. Times count from the first state read
// (the first tick) on the loop's clock, so lockstep runs inject at exact ticks.
import { SimClock, type Clock } from './clock.js';
import { PERCEPTION_FAULT_INPUT, type FaultSpec } from './faults.js';
import type { PerceptionFrame, PerceptionSource } from './perception.js';
import type { Policy } from './policy.js';
import type { LinkCounters, LinkHealth, RobotLink, RobotMode, TimedSensorState } from './robot-link.js';
import type { EstopRule } from './safety/decisions.js';
import type { SimControls } from './links/sim-link.js';

/** Fires each fault once its time has come; `now` is called once per tick by the link decorator. */
class FaultSchedule {
  private startMs = NaN;
  private readonly fired: boolean[];
  constructor(readonly faults: readonly FaultSpec[], private readonly clock: Clock, private readonly onFire: (f: FaultSpec, atS: number) => void) {
    this.fired = faults.map(() => false);
  }
  poll(): void {
    const now = this.clock.now();
    if (Number.isNaN(this.startMs)) this.startMs = now;
    const elapsedS = (now - this.startMs) / 1000;
    for (let i = 0; i < this.faults.length; i++) {
      if (this.fired[i] || elapsedS < this.faults[i].atS) continue;
      this.fired[i] = true;
      this.onFire(this.faults[i], elapsedS);
    }
  }
}

/** The policy as the loop sees it: its output replaced by NaN once `nan-action` fires. */
export class FaultInjectingPolicy implements Policy {
  nanOutput = false;
  constructor(readonly inner: Policy) {}
  get name(): string { return this.inner.name; }
  get obsSize(): number { return this.inner.obsSize; }
  get actionSize(): number { return this.inner.actionSize; }
  get maxTorqueNm(): number { return this.inner.maxTorqueNm; }
  reset(): void { this.inner.reset(); }
  warm(): void { this.inner.warm?.(); }
  get extraInputs() { return this.inner.extraInputs; }
  act(obs: Float32Array, out: Float32Array, extras?: Readonly<Record<string, Float32Array>>): void {
    this.inner.act(obs, out, extras);
    if (this.nanOutput) out[0] = NaN;
  }
  close(): void { this.inner.close(); }
}

/** Frames kept for a delayed input: MAX_FRAME_DELAY_MS (1 s) of frames at up to 60 Hz, with room. */
const DELAY_SLOTS = 64;

interface DelayedInput {
  delayMs: number;
  /** Frames received since the fault, in arrival order (a ring of DELAY_SLOTS). */
  slots: PerceptionFrame[];
  count: number;
  lastSeq: number;
  /** The frame the loop sees, a copy: the newest whose delay has passed (at first, the last one before the fault). */
  released: PerceptionFrame | null;
}

const copyFrame = (f: PerceptionFrame, into: PerceptionFrame): PerceptionFrame => {
  into.stampMs = f.stampMs; into.seq = f.seq;
  if (into.data.length !== f.data.length) into.data = new Float32Array(f.data.length);
  into.data.set(f.data);
  return into;
};
const emptyFrame = (): PerceptionFrame => ({ stampMs: NaN, seq: NaN, data: new Float32Array(0) });

/**
 * The perception source as the loop sees it. drop-*: no new frame of that input arrives after
 * the fault (the last one ages); delay-*: each frame arrives ARG ms after it would have. Capture
 * stamps are never changed, so the staleness watchdog sees the true age, as it would on a robot.
 */
export class FaultInjectingPerception implements PerceptionSource {
  readonly name: string;
  private readonly delayed = new Map<string, DelayedInput>();
  constructor(readonly inner: PerceptionSource, private readonly clock: Clock) { this.name = inner.name; }
  get inputs(): readonly string[] { return this.inner.inputs; }
  counters(): Record<string, { received: number; refused: number }> { return this.inner.counters?.() ?? {}; }

  /** From now on `input`'s frames arrive `delayMs` late (Infinity: never). Buffers are allocated here, once. */
  delay(input: string, delayMs: number): void {
    const now = this.inner.latestFrame(input);
    this.delayed.set(input, {
      delayMs, count: 0, lastSeq: now ? now.seq : NaN, released: now ? copyFrame(now, emptyFrame()) : null,
      slots: Array.from({ length: DELAY_SLOTS }, emptyFrame),
    });
  }

  latestFrame(input: string): PerceptionFrame | null {
    const frame = this.inner.latestFrame(input);
    const d = this.delayed.get(input);
    if (!d) return frame;
    if (frame && frame.seq !== d.lastSeq && d.delayMs !== Infinity) {
      d.lastSeq = frame.seq;
      copyFrame(frame, d.slots[d.count++ % DELAY_SLOTS]);
    }
    // The newest frame whose delay has passed (frames arrive in stamp order).
    const now = this.clock.now();
    for (let k = d.count - 1; k >= Math.max(0, d.count - DELAY_SLOTS); k--) {
      const slot = d.slots[k % DELAY_SLOTS];
      if (slot.stampMs + d.delayMs <= now) {
        if (!d.released || slot.seq !== d.released.seq) d.released = copyFrame(slot, d.released ?? emptyFrame());
        break;
      }
    }
    return d.released;
  }
}

/**
 * The link as the loop sees it. stale: the newest state stops changing (its stamp ages);
 * linkdown: also health() reports the link down; nan: the gyro reads NaN; tilt: the IMU
 * reports the body tipped by `tiltDeg`; push: the simulated body is kicked (sim links only);
 * stall: every sendCommand burns ARG ms first, so ticks overrun.
 */
export class FaultInjectingLink implements RobotLink {
  readonly name: string;
  private readonly schedule: FaultSchedule;
  private frozen = false;
  private down = false;
  private nan = false;
  private tilted = false;
  private stallMs = 0;
  private haveFrozen = false;
  private readonly held: TimedSensorState = {
    orientation: new Float64Array(4), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3), stampMs: 0, faultFlags: 0,
  };
  private readonly edited: TimedSensorState = {
    orientation: new Float64Array(4), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3), stampMs: 0, faultFlags: 0,
  };
  private readonly tiltHalfRad: number;
  private readonly downHealth: LinkHealth = { ok: false, framesOk: 0, framesBad: 0, gaps: 0, rttMs: NaN, silenceMs: 0, detail: 'link down (injected)' };
  private downSinceMs = NaN;

  constructor(readonly inner: RobotLink, faults: readonly FaultSpec[], private readonly o: {
    clock: Clock; sim: SimControls | null; policy: FaultInjectingPolicy | null; perception: FaultInjectingPerception | null; tiltDeg: number; log?: (line: string) => void;
  }) {
    this.name = inner.name;
    for (const f of faults) {
      const input = PERCEPTION_FAULT_INPUT[f.kind];
      if (input && !o.perception?.inputs.includes(input)) throw new Error(`--inject ${f.kind} needs a perceptive policy fed '${input}' frames`);
    }
    this.tiltHalfRad = (o.tiltDeg * Math.PI) / 360;
    for (const f of faults) {
      if (f.kind === 'push' && !o.sim) throw new Error(`--inject push needs --link sim (the ${inner.name} link cannot push a real robot)`);
      if (f.kind === 'nan-action' && !o.policy) throw new Error('--inject nan-action needs the policy decorator');
    }
    this.schedule = new FaultSchedule(faults, o.clock, (f, atS) => this.fire(f, atS));
  }

  private fire(f: FaultSpec, atS: number): void {
    this.o.log?.(`deploy: injected fault ${f.kind}${f.arg !== undefined ? `:${f.arg}` : ''} at ${atS.toFixed(3)} s`);
    switch (f.kind) {
      case 'stale': this.frozen = true; break;
      case 'linkdown': this.frozen = true; this.down = true; this.downSinceMs = this.o.clock.now(); break;
      case 'nan': this.nan = true; break;
      case 'tilt': this.tilted = true; break;
      case 'push': this.o.sim!.push(f.arg ?? 0, 0); break;
      case 'stall': this.stallMs = f.arg ?? 0; break;
      case 'nan-action': this.o.policy!.nanOutput = true; break;
      case 'drop-depth': case 'drop-height-scan': this.o.perception!.delay(PERCEPTION_FAULT_INPUT[f.kind]!, Infinity); break;
      case 'delay-depth': case 'delay-height-scan': this.o.perception!.delay(PERCEPTION_FAULT_INPUT[f.kind]!, f.arg ?? 0); break;
    }
  }

  connect(): Promise<void> { return this.inner.connect(); }

  latestState(): TimedSensorState | null {
    this.schedule.poll();
    if (this.frozen) return this.haveFrozen ? this.held : null;
    const s = this.inner.latestState();
    if (!s) return null;
    copyState(s, this.held);
    this.haveFrozen = true;
    if (!this.nan && !this.tilted) return s;
    const e = copyState(s, this.edited);
    if (this.tilted) {
      const q = e.orientation as Float64Array;
      q[0] = Math.sin(this.tiltHalfRad); q[1] = 0; q[2] = 0; q[3] = Math.cos(this.tiltHalfRad);
    }
    if (this.nan) (e.gyro as Float64Array)[0] = NaN;
    return e;
  }

  sendCommand(torques: Float64Array, seq: number): void {
    if (this.stallMs > 0) {
      // Lockstep: the stall passes on the simulated clock; real time: the CPU is really burnt.
      if (this.o.clock instanceof SimClock) this.o.clock.advance(this.stallMs);
      else {
        const until = performance.now() + this.stallMs;
        while (performance.now() < until) { /* injected stall */ }
      }
    }
    this.inner.sendCommand(torques, seq);
  }

  sendEstop(reason: string, rule?: EstopRule): void { this.inner.sendEstop(reason, rule); }
  sendArm(): void { this.inner.sendArm(); }

  health(): LinkHealth {
    const h = this.inner.health();
    if (!this.down) return h;
    const d = this.downHealth;
    d.framesOk = h.framesOk; d.framesBad = h.framesBad; d.gaps = h.gaps; d.rttMs = NaN;
    d.silenceMs = this.o.clock.now() - this.downSinceMs;
    return d;
  }

  frameCounters(): LinkCounters {
    if (this.inner.frameCounters) return this.inner.frameCounters();
    const h = this.inner.health();
    return { framesOk: h.framesOk, malformed: 0, badCrc: 0, unknownType: 0, tooLong: 0, stale: 0, gaps: h.gaps };
  }

  robotMode(): RobotMode | null { return this.inner.robotMode?.() ?? null; }
  close(): Promise<void> { return this.inner.close(); }
}

function copyState(from: TimedSensorState, to: TimedSensorState): TimedSensorState {
  for (let i = 0; i < 4; i++) (to.orientation as Float64Array)[i] = from.orientation[i];
  for (let i = 0; i < 3; i++) {
    (to.gyro as Float64Array)[i] = from.gyro[i];
    (to.wheelVelocity as Float64Array)[i] = from.wheelVelocity[i];
  }
  to.stampMs = from.stampMs;
  to.faultFlags = from.faultFlags;
  to.batteryV = from.batteryV;
  return to;
}

/** Wrap the link, the policy and the perception source for the given faults (none: all returned as they are). */
export function injectFaults(link: RobotLink, policy: Policy, perception: PerceptionSource | null, faults: readonly FaultSpec[], o: {
  clock: Clock; sim: SimControls | null; tiltDeg: number; log?: (line: string) => void;
}): { link: RobotLink; policy: Policy; perception: PerceptionSource | null } {
  if (faults.length === 0) return { link, policy, perception };
  const p = faults.some((f) => f.kind === 'nan-action') ? new FaultInjectingPolicy(policy) : null;
  const frames = perception && faults.some((f) => PERCEPTION_FAULT_INPUT[f.kind]) ? new FaultInjectingPerception(perception, o.clock) : null;
  return { link: new FaultInjectingLink(link, faults, { ...o, policy: p, perception: frames }), policy: p ?? policy, perception: frames ?? perception };
}
