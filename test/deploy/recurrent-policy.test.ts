// Deploy carries a recurrent policy's hidden state tick to tick and zeroes it on arm and after
// an e-stop: with a counter policy (action = 0.001 x calls since the last reset) the armed
// ticks count 0, 1, 2, ... and start again at 0 after the e-stop and the re-arm. A tracking-memory
// artifact (sim/tracking-memory.ts) runs in the same loop with the same resets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { OnnxPolicy } from '../../deploy/onnx-policy.js';
import type { Policy } from '../../deploy/policy.js';
import { ballbotCaller } from '../../sim/artifact-check.js';
import { trackingMemoryModel } from '../../sim/tracking-memory.js';
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

test('a tracking-memory artifact in the deploy loop: its memory starts from zeros at arm and again after an e-stop', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ballbot-memory-deploy-'));
  // Small weights: small torques keep the robot up long enough to arm twice; the memory still reaches the action.
  const file = writeRandomPolicy({ robot, rateHz: robot.control.rateHz, dir, weightScale: 0.01, memory: trackingMemoryModel(robot, { leakSeconds: 4, clipM: 0.5 }) });
  const caller = ballbotCaller('deploy', robot, robot.control.rateHz);
  const inner = await OnnxPolicy.load(file, caller);
  // What the loop did with the policy, in order: resets, and each act's observation and action.
  const calls: ({ reset: true } | { obs: Float32Array; action: Float32Array })[] = [];
  const spy: Policy = {
    name: inner.name, obsSize: inner.obsSize, actionSize: inner.actionSize, maxTorqueNm: inner.maxTorqueNm,
    reset: () => { inner.reset(); calls.push({ reset: true }); },
    close: () => inner.close(),
    act(obs, out, extras) {
      inner.act(obs, out, extras);
      calls.push({ obs: obs.slice(), action: out.slice() });
    },
  };
  const { handle, ticks } = await startOnSim({ policy: spy, config: testConfig(), arm: true });
  let estopAt = -1;
  try {
    await handle.step(40);
    estopAt = calls.length;
    handle.estop('test e-stop');
    await handle.step(2);
    handle.rearm('test re-arm');
    await handle.step(40);
  } finally {
    await handle.stop();
  }
  assert.ok(calls.slice(estopAt).some((c) => 'reset' in c), 'the policy was reset after the e-stop');
  const armed = ticks.filter((t) => t.mode === 'ARMING' || t.mode === 'RUNNING').length;
  assert.ok(armed >= 60, `armed before and after the e-stop: ${armed} armed ticks`);
  // Replay each stretch between resets through a newly loaded instance (zeros): the same actions,
  // so the loop carried the memory tick to tick and each reset brought it back to zeros.
  let replay = await OnnxPolicy.load(file, caller);
  const out = new Float32Array(3);
  let stretches = 0, acts = 0;
  for (const c of calls) {
    if ('reset' in c) {
      replay.close();
      replay = await OnnxPolicy.load(file, caller);
      stretches++;
      continue;
    }
    replay.act(c.obs, out);
    assert.deepEqual(Array.from(out), Array.from(c.action));
    acts++;
  }
  // Against a memoryless reading: asked to move while standing still, the memory winds up and
  // the same observation 30 ticks later acts differently.
  const asked = calls.find((c): c is { obs: Float32Array; action: Float32Array } => 'obs' in c)!.obs.slice();
  asked[12] = 0.5;
  replay.reset();
  for (let k = 0; k < 30; k++) replay.act(asked, out);
  const late = out.slice();
  replay.reset();
  replay.act(asked, out);
  const moved = late.some((v, j) => Math.abs(v - out[j]) > 1e-6);
  replay.close();
  assert.ok(stretches >= 2 && acts >= 40, `${stretches} stretches, ${acts} acts`);
  assert.ok(moved, 'the memory reaches the action');
});
