// Each e-stop rule, by fault injection on the sim link with a real ONNX policy: the e-stop
// latches at the first tick where the fault is detectable (at most one tick later), the
// command sent at that tick is zero torque, and every command after it stays zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFault } from '../../deploy/faults.js';
import { writeRandomPolicy } from '../../training/io/random-policy.js';
import { isZero, robot, runOnSim, testConfig, type Run, type TickCopy } from './harness.js';

const DEG = Math.PI / 180;
// Small random weights: the policy moves the wheels a little but the robot does not fall in
// the first second (the tilt cutoff would otherwise race the injected fault).
const policy = writeRandomPolicy({ robot, rateHz: 100, seed: 11, weightScale: 0.02 });

/** Shared assertions: latched at `detectTick` (or one tick later), zero from then on, never re-armed. */
function assertLatchedAt(run: Run, rule: string, detectable: (t: TickCopy) => boolean) {
  const { summary, ticks, link } = run;
  assert.equal(summary.estops.length, 1, `one e-stop expected, got ${JSON.stringify(summary.estops)}`);
  assert.equal(summary.estops[0].rule, rule, summary.estops[0].reason);
  assert.equal(summary.finalMode, 'ESTOP');
  const armedBefore = ticks.filter((t) => t.tick < summary.estops[0].atTick && (t.mode === 'ARMING' || t.mode === 'RUNNING'));
  assert.ok(armedBefore.length > 10, 'the loop ran armed before the fault');
  assert.ok(armedBefore.some((t) => !isZero(t.torque)), 'torque was being commanded before the fault');
  const first = ticks.find(detectable);
  assert.ok(first, 'the fault became detectable');
  const at = summary.estops[0].atTick;
  assert.ok(at >= first.tick && at <= first.tick + 1, `e-stop at tick ${at}, fault detectable at tick ${first.tick}`);
  const estopTick = ticks.find((t) => t.tick === at);
  assert.ok(estopTick && estopTick.mode === 'ESTOP' && isZero(estopTick.torque), 'the e-stop tick itself sends zero torque');
  for (const t of ticks.filter((t) => t.tick >= at)) {
    assert.equal(t.mode, 'ESTOP', `tick ${t.tick} left ESTOP without a re-arm`);
    assert.ok(isZero(t.torque), `tick ${t.tick} sent ${t.torque}`);
  }
  // On the wire: the e-stop went out, and every command after it is zero.
  const estopIndex = link.sent.findIndex((s) => s.kind === 'estop');
  assert.ok(estopIndex > 0, 'sendEstop was called');
  const after = link.sent.slice(estopIndex + 1);
  assert.ok(after.filter((s) => s.kind === 'command').length >= 5, 'heartbeat commands continue after the e-stop');
  assert.ok(after.every((s) => s.kind !== 'arm' && (s.kind !== 'command' || isZero(s.torques))), 'nothing but zero torque after the e-stop');
  assert.equal(summary.safetyEvents[rule], 1);
}

test('stale state: the robot stops sending state -> e-stop when the newest state passes the timeout', async () => {
  const config = testConfig(['safety.staleState.timeoutMs=100']);
  const run = await runOnSim({ policy, config, arm: true, seconds: 1.2, faults: [parseFault('stale@600ms')] });
  assertLatchedAt(run, 'staleState', (t) => t.stateAgeMs > config.safety.staleState.timeoutMs);
});

test('link health: the link reports itself down -> e-stop at the first tick that sees it', async () => {
  const config = testConfig();
  const run = await runOnSim({ policy, config, arm: true, seconds: 1.2, faults: [parseFault('linkdown@600ms')] });
  assertLatchedAt(run, 'linkHealth', (t) => !t.linkOk);
});

test('NaN in the observation (gyro reports NaN) -> e-stop at the first NaN observation', async () => {
  const run = await runOnSim({ policy, config: testConfig(), arm: true, seconds: 1.2, faults: [parseFault('nan@600ms')] });
  assertLatchedAt(run, 'nonFinite', (t) => t.obsHasNonFinite);
});

test('NaN from the policy -> e-stop on that tick, the NaN never reaches the robot', async () => {
  const run = await runOnSim({ policy, config: testConfig(), arm: true, seconds: 1.2, faults: [parseFault('nan-action@600ms')] });
  assertLatchedAt(run, 'nonFinite', (t) => t.rawAction.some((v) => !Number.isFinite(v)));
  assert.ok(run.link.sent.every((s) => s.torques.every(Number.isFinite)));
});

test('tilt beyond the cutoff -> e-stop at the first tilted state', async () => {
  const config = testConfig();
  const run = await runOnSim({ policy, config, arm: true, seconds: 1.2, faults: [parseFault('tilt@600ms')] });
  assertLatchedAt(run, 'tiltCutoff', (t) => t.tiltRad > config.safety.tiltCutoff.maxTiltDeg * DEG);
});

test('consecutive deadline overruns -> e-stop when the run of bad ticks reaches the limit', async () => {
  const config = testConfig(['safety.deadlineOverruns.maxConsecutive=5']);
  // Each step takes 25 ms at 100 Hz (lockstep: on the simulated clock), so every tick overruns.
  const run = await runOnSim({ policy, config, arm: true, seconds: 1.5, faults: [parseFault('stall@600ms:25')] });
  const { summary, ticks } = run;
  assert.equal(summary.estops.length, 1, JSON.stringify(summary.estops));
  assert.equal(summary.estops[0].rule, 'deadlineOverruns');
  const stallStart = ticks.find((t) => t.computeUs >= 25_000)!;
  assert.ok(stallStart.elapsedMs >= 600, 'nothing stalled before the fault');
  // The 5th overrun in a row latches: the e-stop comes at the 5th stalled tick.
  const at = summary.estops[0].atTick;
  const stalled = ticks.filter((t) => t.tick >= stallStart.tick && t.tick <= at);
  assert.equal(stalled.length, 5, `e-stop at tick ${at}, stall began at ${stallStart.tick}`);
  assert.deepEqual(summary.estops[0].decision, { rule: 'deadlineOverruns', run: 5, limit: 5 });
  for (const t of ticks.filter((t) => t.tick > summary.estops[0].atTick)) assert.ok(isZero(t.torque) && t.mode === 'ESTOP');
  const estopIndex = run.link.sent.findIndex((s) => s.kind === 'estop');
  const next = run.link.sent.slice(estopIndex + 1).find((s) => s.kind === 'command');
  assert.ok(next && isZero(next.torques), 'the very next command after the e-stop is zero');
  assert.ok(summary.overruns >= 5);
});
