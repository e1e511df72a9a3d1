// Main-thread side of the ticker: starts the worker and calls `onTick(k, deadlineMs, wakeMs)`
// for each tick. A tick whose message arrives after a newer tick was already published is
// reported as `superseded` (main was busy; the loop skips it and counts it as missed).
// With spinMs > 0 the worker wakes main that much early: main runs `onWarm` (e.g. a policy
// inference on scratch data, so the tick's code and weights are in cache after the thread
// slept) and busy-waits to the deadline. A thread that slept while other processes ran its core
// starts cold: inference measured 130-160 us after a 5 ms sleep against 9 us back to back.
import { Worker } from 'node:worker_threads';
import { CELL, INT_CELLS, WAKE_RING, type TickerStart } from './ticker-protocol.js';

export interface TickInfo {
  k: number;
  deadlineMs: number;
  /** When the worker woke for it (main clock), ms. */
  wakeMs: number;
  /** A newer tick is already out: main reached this one too late. */
  superseded: boolean;
}

export class Ticker {
  private readonly cells = new Int32Array(new SharedArrayBuffer(INT_CELLS * 4));
  private readonly wakes = new Float64Array(new SharedArrayBuffer(WAKE_RING * 8));
  private worker: Worker | null = null;
  private readonly info: TickInfo = { k: 0, deadlineMs: 0, wakeMs: 0, superseded: false };
  startMs = 0;

  constructor(readonly periodMs: number, private readonly spinMs = 0) {}

  /** Start ticking; the first deadline is `firstInMs` from now. */
  start(onTick: (t: TickInfo) => void, onError: (err: Error) => void, firstInMs = 20, onWarm?: () => void): void {
    if (this.worker) throw new Error('ticker already started');
    this.startMs = performance.now() + firstInMs;
    const data: TickerStart = {
      sab: this.cells.buffer as SharedArrayBuffer, wakeSab: this.wakes.buffer as SharedArrayBuffer,
      startMs: this.startMs, periodMs: this.periodMs, spinMs: this.spinMs, mainTimeOrigin: performance.timeOrigin,
    };
    this.worker = new Worker(new URL('./ticker-worker.js', import.meta.url), { workerData: data });
    this.worker.on('message', (k: number) => {
      const t = this.info;
      t.k = k;
      t.deadlineMs = this.startMs + k * this.periodMs;
      t.wakeMs = this.wakes[k % WAKE_RING];
      if (this.spinMs > 0) {
        onWarm?.();
        while (performance.now() < t.deadlineMs) { /* spin to the deadline on the control thread */ }
      }
      t.superseded = Atomics.load(this.cells, CELL.LATEST) > k;
      onTick(t);
    });
    this.worker.on('error', onError);
    this.worker.on('exit', (code) => { if (this.worker) onError(new Error(`ticker worker exited (code ${code})`)); });
  }

  /** Ticks the worker skipped because it woke too late. */
  get workerMissed(): number { return Atomics.load(this.cells, CELL.WORKER_MISSED); }

  async stop(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    Atomics.store(this.cells, CELL.STOP, 1);
    Atomics.notify(this.cells, CELL.STOP);
    w.removeAllListeners('message');
    await w.terminate();
  }
}
