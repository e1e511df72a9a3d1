// The clock of the control loop. Sleeps on Atomics.wait until each absolute deadline (or
// `spinMs` before it, when the main thread is to warm up and spin to the deadline itself),
// then wakes the main thread with the tick index. It never drifts: the k-th deadline is
// start + k * period whatever happened before. A deadline it wakes too late for (past the
// next one) is skipped and counted, never bunched up.
import { parentPort, workerData } from 'node:worker_threads';
import { CELL, WAKE_RING, type TickerStart } from './ticker-protocol.js';

const cfg = workerData as TickerStart;
const cells = new Int32Array(cfg.sab);
const wakes = new Float64Array(cfg.wakeSab);
// Times on the main thread's clock: both clocks count from their own timeOrigin.
const offsetMs = performance.timeOrigin - cfg.mainTimeOrigin;
const now = () => performance.now() + offsetMs;

let k = 0;
while (Atomics.load(cells, CELL.STOP) === 0) {
  let deadline = cfg.startMs + k * cfg.periodMs;
  for (;;) {
    const sleepMs = deadline - now() - cfg.spinMs;
    if (sleepMs <= 0) break;
    // Wakes early only when main sets STOP and notifies.
    Atomics.wait(cells, CELL.STOP, 0, sleepMs);
    if (Atomics.load(cells, CELL.STOP) !== 0) break;
  }
  if (Atomics.load(cells, CELL.STOP) !== 0) break;
  const wake = now() + cfg.spinMs; // as if woken at the deadline: lateness is against the target
  const behind = Math.floor((wake - deadline) / cfg.periodMs);
  if (behind >= 1) {
    // Woke after later deadlines passed: jump to the newest one, count the skipped ones.
    k += behind;
    Atomics.add(cells, CELL.WORKER_MISSED, behind);
    deadline = cfg.startMs + k * cfg.periodMs;
  }
  wakes[k % WAKE_RING] = wake;
  Atomics.store(cells, CELL.LATEST, k);
  parentPort!.postMessage(k);
  k++;
}
