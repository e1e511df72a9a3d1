// Deploy carries a recurrent policy's hidden state tick to tick and zeroes it on arm and after
// an e-stop: with a counter policy (action = 0.001 x calls since the last reset) the armed
// ticks count 0, 1, 2, ... and start again at 0 after the e-stop and the re-arm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { writeCounterPolicy } from '../sim/counter-policy.js';
import { robot, startOnSim, testConfig } from './harness.js';

const SCALE = 0.001;

test('recurrent state: zeros on arm, carried while armed, zeros again after an e-stop and re-arm', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-recurrent-'));
  const policy = writeCounterPolicy(writeRandomPolicy({ robot, rateHz: robot.control.rateHz, dir }), dir, { declareState: true, scale: SCALE });
  const { handle, ticks } = await startOnSim({ policy, config: testConfig(), arm: true });
  const armed = () => ticks.filter((t) => t.mode === 'ARMING' || t.mode === 'RUNNING');
  try {
    // Lockstep: the test drives the ticks on the simulated clock.
    await handle.step(40);
    assert.ok(armed().length >= 20, `20 armed ticks, got ${armed().length}`);
    handle.estop('test e-stop');
    await handle.step(2);
    assert.equal(ticks.at(-1)?.mode, 'ESTOP');
    const before = armed().length;
    handle.rearm('test re-arm');
    await handle.step(40);
    assert.ok(armed().length >= before + 20, `20 armed ticks after the re-arm, got ${armed().length - before}`);
  } finally {
    await handle.stop();
  }
  // Split the armed ticks into the two arming periods and read the counter from the action.
  const periods: number[][] = [];
  let wasOn = false;
  for (const t of ticks) {
    const on = t.mode === 'ARMING' || t.mode === 'RUNNING';
    if (on && !wasOn) periods.push([]);
    if (on) periods.at(-1)!.push(Math.round(t.rawAction[0] / SCALE));
    wasOn = on;
  }
  assert.equal(periods.length, 2, `two arming periods, got ${periods.map((p) => p.length)}`);
  for (const p of periods) assert.deepEqual(p.slice(0, 20), Array.from({ length: 20 }, (_, k) => k));
});
