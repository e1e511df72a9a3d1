// Small, pure safety rules. Each takes numbers in and says what it did; the SafetyLayer
// composes them and turns a violation into a latched e-stop. No allocation per call.

/** Clip each value to [-limit, limit]. Returns true when anything was clipped. */
export class ActionClip {
  constructor(readonly limit: number) {}
  apply(values: Float64Array): boolean {
    let clipped = false;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > this.limit) { values[i] = this.limit; clipped = true; }
      else if (v < -this.limit) { values[i] = -this.limit; clipped = true; }
    }
    return clipped;
  }
}

/** Limit how fast each value may change (units per second) from the last value sent. */
export class SlewRateLimiter {
  private readonly last: Float64Array;
  constructor(readonly maxRatePerS: number, size: number) {
    this.last = new Float64Array(size);
  }
  /** Limit `values` in place for a step of dtS seconds; true when any value was limited. */
  apply(values: Float64Array, dtS: number): boolean {
    const maxStep = this.maxRatePerS * dtS;
    let limited = false;
    for (let i = 0; i < values.length; i++) {
      const d = values[i] - this.last[i];
      if (d > maxStep) { values[i] = this.last[i] + maxStep; limited = true; }
      else if (d < -maxStep) { values[i] = this.last[i] - maxStep; limited = true; }
      this.last[i] = values[i];
    }
    return limited;
  }
  /** What was actually sent (e.g. zero after an e-stop) becomes the reference. */
  reset(values?: ArrayLike<number>): void {
    for (let i = 0; i < this.last.length; i++) this.last[i] = values ? values[i] : 0;
  }
}

/** Soft start: a scale that rises linearly from 0 to 1 over `seconds` after arming. */
export class ArmingRamp {
  private startMs = NaN;
  constructor(readonly seconds: number) {}
  start(nowMs: number): void { this.startMs = nowMs; }
  scale(nowMs: number): number {
    if (!(this.seconds > 0)) return 1;
    if (Number.isNaN(this.startMs)) return 0;
    return Math.min(1, Math.max(0, (nowMs - this.startMs) / (this.seconds * 1000)));
  }
  done(nowMs: number): boolean { return this.scale(nowMs) >= 1; }
}

/** Tilt from vertical beyond the limit. */
export class TiltCutoff {
  readonly maxTiltRad: number;
  constructor(maxTiltDeg: number) { this.maxTiltRad = (maxTiltDeg * Math.PI) / 180; }
  /** Fails safe: a NaN tilt is a violation. */
  violated(tiltRad: number): boolean { return !(tiltRad <= this.maxTiltRad); }
}

/** The newest state is older than the timeout (or there is none). */
export class StaleStateWatchdog {
  constructor(readonly timeoutMs: number) {}
  ageMs(stampMs: number | undefined, nowMs: number): number {
    return stampMs === undefined ? Infinity : nowMs - stampMs;
  }
  violated(stampMs: number | undefined, nowMs: number): boolean {
    return !(this.ageMs(stampMs, nowMs) <= this.timeoutMs);
  }
}

/**
 * One perception input's staleness: the newest frame is fed every tick (held between frames
 * and while a frame is late) until it is older than holdMs; older, or none at all, is a
 * violation. Ages run from the frame's capture stamp, so sensor latency counts against holdMs.
 */
export class PerceptionWatchdog {
  constructor(readonly input: string, readonly holdMs: number) {}
  ageMs(stampMs: number, nowMs: number): number {
    return Number.isNaN(stampMs) ? Infinity : nowMs - stampMs;
  }
  violated(stampMs: number, nowMs: number): boolean {
    return !(this.ageMs(stampMs, nowMs) <= this.holdMs);
  }
}

/** The link says it is unhealthy, or has heard nothing for too long. */
export class LinkHealthWatchdog {
  constructor(readonly maxSilenceMs: number) {}
  violated(ok: boolean, silenceMs: number): boolean {
    return !ok || !(silenceMs <= this.maxSilenceMs);
  }
}

/** Index of the first NaN/Inf in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Counts consecutive ticks that were missed or finished after the next deadline. */
export class OverrunMonitor {
  private consecutive = 0;
  constructor(readonly maxConsecutive: number) {}
  /** Record one tick (or `count` missed ticks); true when the run of bad ticks reaches the limit. */
  record(bad: boolean, count = 1): boolean {
    this.consecutive = bad ? this.consecutive + count : 0;
    return this.consecutive >= this.maxConsecutive;
  }
  get run(): number { return this.consecutive; }
  reset(): void { this.consecutive = 0; }
}

/**
 * Host and robot must agree on whether torque is on: a robot that acknowledged ARM but stayed
 * disarmed (or latched its own e-stop unnoticed) is a disagreement. Tolerated for maxMs, the
 * round trip of an ARM frame and the next state report.
 */
export class ModeAgreement {
  private sinceMs = NaN;
  constructor(readonly maxMs: number) {}
  /** Record one observation; true when they have disagreed for longer than maxMs. */
  violated(agree: boolean, nowMs: number): boolean {
    if (agree) { this.sinceMs = NaN; return false; }
    if (Number.isNaN(this.sinceMs)) this.sinceMs = nowMs;
    return nowMs - this.sinceMs > this.maxMs;
  }
  disagreeingForMs(nowMs: number): number { return Number.isNaN(this.sinceMs) ? 0 : nowMs - this.sinceMs; }
  reset(): void { this.sinceMs = NaN; }
}
