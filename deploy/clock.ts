// The time the control loop and its links read. Real runs use performance.now(); lockstep
// runs (tests, replays) use a SimClock that only the caller advances, so every tick, timeout
// and fault time is deterministic.
export interface Clock {
  /** Milliseconds on a monotonic base (performance.now() for the real clock). */
  now(): number;
}

export const realClock: Clock = { now: () => performance.now() };

export class SimClock implements Clock {
  private t: number;
  constructor(startMs = 1000) { this.t = startMs; }
  now(): number { return this.t; }
  advance(ms: number): void { this.t += ms; }
}
