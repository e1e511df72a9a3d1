// `--inject`: faults made to happen at a time after the run starts, by decorating the link and
// the policy the control loop sees. The loop's tick is the production tick: it cannot tell an
// injected fault from a real one, which is the point. Times count from the first state read
// (the first tick) on the loop's clock, so lockstep runs inject at exact ticks.
import { SimClock, type Clock } from './clock.js';
import type { FaultSpec } from './faults.js';
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
  act(obs: Float32Array, out: Float32Array): void {
    this.inner.act(obs, out);
    if (this.nanOutput) out[0] = NaN;
  }
  close(): void { this.inner.close(); }
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
    clock: Clock; sim: SimControls | null; policy: FaultInjectingPolicy | null; tiltDeg: number; log?: (line: string) => void;
  }) {
    this.name = inner.name;
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

/** Wrap the link and the policy for the given faults (none: both returned as they are). */
export function injectFaults(link: RobotLink, policy: Policy, faults: readonly FaultSpec[], o: {
  clock: Clock; sim: SimControls | null; tiltDeg: number; log?: (line: string) => void;
}): { link: RobotLink; policy: Policy } {
  if (faults.length === 0) return { link, policy };
  const p = faults.some((f) => f.kind === 'nan-action') ? new FaultInjectingPolicy(policy) : null;
  return { link: new FaultInjectingLink(link, faults, { ...o, policy: p }), policy: p ?? policy };
}
