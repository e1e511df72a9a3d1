// The worker side of the vec-env barrier runs each command once, however the wake-ups arrive:
// a notify that lands after the worker has already run the command (the main thread was
// descheduled between storing the sequence number and notifying) must not run it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { waitForCommand } from '../../sim/vec-env.js';

const CMD = 0, DONE = 1, RUNS = 2;

/** A worker that counts the commands it runs, with the vec-env's wait. */
function startCounter(control: Int32Array): Worker {
  const module = new URL('../../sim/vec-env.js', import.meta.url).href;
  const code = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(module)}).then(({ waitForCommand }) => {
      const control = workerData;
      let seen = 0;
      for (;;) {
        seen = waitForCommand(control, ${CMD}, seen);
        if (seen < 0) break;
        Atomics.add(control, ${RUNS}, 1);
        Atomics.store(control, ${DONE}, seen);
        Atomics.notify(control, ${DONE});
      }
    });`;
  return new Worker(code, { eval: true, workerData: control });
}

function waitDone(control: Int32Array, seq: number): void {
  while (Atomics.load(control, DONE) !== seq) Atomics.wait(control, DONE, Atomics.load(control, DONE), 1000);
}

/** Notify until a waiting worker was woken (Atomics.notify returns how many it woke). */
function lateNotify(control: Int32Array): void {
  while (Atomics.notify(control, CMD) === 0) Atomics.wait(control, RUNS, -1, 1);
}

test('a late notify does not run the last command again', async () => {
  const control = new Int32Array(new SharedArrayBuffer(4 * 3));
  const worker = startCounter(control);
  try {
    Atomics.store(control, CMD, 1);
    Atomics.notify(control, CMD);
    waitDone(control, 1);
    // Two wake-ups, each of a worker that was waiting: had the first run command 1 again, that
    // run is over by the time the worker waits for the second.
    lateNotify(control);
    lateNotify(control);
    assert.equal(Atomics.load(control, RUNS), 1, 'command 1 ran again after a late wake-up');
    Atomics.store(control, CMD, 2);
    Atomics.notify(control, CMD);
    waitDone(control, 2);
    assert.equal(Atomics.load(control, RUNS), 2);
  } finally {
    Atomics.store(control, CMD, -1);
    Atomics.notify(control, CMD);
    await worker.terminate();
  }
});

test('waitForCommand returns at once when the command word has moved on', () => {
  const control = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(control, 0, 7);
  assert.equal(waitForCommand(control, 0, 6), 7);
});
