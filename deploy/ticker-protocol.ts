// Shared memory between the control loop (main thread) and the ticker worker.
// Int32 cells: STOP (main -> worker), LATEST (last tick index published by the worker),
// WORKER_MISSED (ticks the worker itself skipped because it woke too late).
// Float64 ring: the worker's wake time for tick k at [k % RING] (main clock, ms).
export const CELL = { STOP: 0, LATEST: 1, WORKER_MISSED: 2 } as const;
export const INT_CELLS = 4;
export const WAKE_RING = 256;

export interface TickerStart {
  sab: SharedArrayBuffer;
  wakeSab: SharedArrayBuffer;
  /** Absolute time of tick 0 on the main thread's performance.now() clock, ms. */
  startMs: number;
  periodMs: number;
  /** Wake this long before each deadline (main warms up and spins to the deadline), ms. */
  spinMs: number;
  /** main's performance.timeOrigin, so the worker can express times on main's clock. */
  mainTimeOrigin: number;
}
