// Every safety decision comes from deploy/safety as a typed value with the numbers it judged;
// the summary, the ESTOP frame's reason code and the recording carry the same value. The
// policy's state is reset on arm and after every e-stop (recurrent policies).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDeployConfig } from '../../deploy/config.js';
import { estopReasonCode } from '../../deploy/links/serial-link.js';
import type { Policy } from '../../deploy/policy.js';
import type { LinkHealth, TimedSensorState } from '../../deploy/robot-link.js';
import { describeReason } from '../../deploy/safety/decisions.js';
import { SafetyLayer } from '../../deploy/safety/safety-layer.js';
import { parseFault } from '../../deploy/faults.js';
import { ESTOP_REASON } from '../../firmware-bridge/messages.js';
import { robot, startOnSim, runOnSim, testConfig } from './harness.js';

const cfg = defaultDeployConfig();
const healthy: LinkHealth = { ok: true, framesOk: 1, framesBad: 0, gaps: 0, rttMs: 1, silenceMs: 5 };
const upright = (): TimedSensorState => ({ orientation: [0, 0, 0, 1], gyro: [0, 0, 0], wheelVelocity: [0, 0, 0], stampMs: 1000, faultFlags: 0 });
const obs = new Float32Array(15);

test('checkState returns the first violated rule with its values, in the documented order', () => {
  const s = new SafetyLayer(cfg.safety, 3);
  assert.equal(s.checkState(upright(), healthy, 1010, 0, obs), null);
  assert.deepEqual(s.checkState(upright(), healthy, 1100, 0, obs), { rule: 'staleState', ageMs: 100, limitMs: 60 });
  assert.deepEqual(s.checkState(null, healthy, 1010, NaN, obs), { rule: 'staleState', ageMs: Infinity, limitMs: 60 });
  assert.deepEqual(s.checkState(upright(), { ...healthy, silenceMs: 150 }, 1010, 0, obs), { rule: 'linkHealth', ok: true, silenceMs: 150, limitMs: 100, linkDetail: null });
  assert.deepEqual(s.checkState(upright(), { ...healthy, ok: false, detail: 'port closed' }, 1010, 0, obs), { rule: 'linkHealth', ok: false, silenceMs: 5, limitMs: 100, linkDetail: 'port closed' });
  assert.deepEqual(s.checkState({ ...upright(), faultFlags: 0x3 }, healthy, 1010, 0, obs), { rule: 'robotFault', flags: 3 });
  const bad = new Float32Array(15); bad[4] = NaN;
  assert.deepEqual(s.checkState(upright(), healthy, 1010, 0, bad), { rule: 'nonFinite', where: 'observation', index: 4, value: NaN });
  const tilt = s.checkState(upright(), healthy, 1010, 0.5, obs);
  assert.ok(tilt?.rule === 'tiltCutoff' && Math.abs(tilt.tiltDeg - 28.65) < 0.01 && tilt.limitDeg === 25);
  // Stale is judged before a NaN or a tilt in the same state.
  assert.equal(s.checkState(upright(), healthy, 1100, 0.5, bad)?.rule, 'staleState');
  assert.equal(describeReason({ rule: 'staleState', ageMs: 100, limitMs: 60 }), 'newest state is 100.0 ms old (limit 60 ms)');
});

test('arm gate, action check, overruns and mode agreement are decisions too', () => {
  const s = new SafetyLayer(cfg.safety, 3);
  const lean = s.armBlocker(upright(), healthy, 1010, 0.2, obs);
  assert.ok(lean?.rule === 'armTilt' && Math.abs(lean.tiltDeg - 11.459) < 1e-3 && lean.limitDeg === 10, JSON.stringify(lean));
  assert.equal(s.armBlocker(upright(), healthy, 1010, 0.1, obs), null);
  assert.deepEqual(s.checkAction(Float32Array.of(0, Infinity, 0)), { rule: 'nonFinite', where: 'action', index: 1, value: Infinity });
  for (let i = 0; i < 4; i++) assert.equal(s.checkOverruns(1), null);
  assert.deepEqual(s.checkOverruns(1), { rule: 'deadlineOverruns', run: 5, limit: 5 });
  assert.equal(s.checkMode(null, 'RUNNING', 0), null, 'a link that reports no mode is not judged');
  assert.equal(s.checkMode('DISARMED', 'ARMING', 0), null);
  assert.equal(s.checkMode('DISARMED', 'ARMING', 200), null, 'within the bound');
  assert.deepEqual(s.checkMode('DISARMED', 'ARMING', 201), { rule: 'modeAgreement', hostMode: 'ARMING', robotMode: 'DISARMED', forMs: 201, limitMs: 200 });
  assert.equal(s.checkMode('ARMED', 'RUNNING', 202), null, 'agreement clears it');
  assert.equal(s.checkMode('ESTOP', 'RUNNING', 300), null);
  assert.equal(s.checkMode('ESTOP', 'RUNNING', 501)?.rule, 'modeAgreement');
});

test('each rule sends its ESTOP reason code (PROTOCOL.md)', () => {
  assert.equal(estopReasonCode('operator'), ESTOP_REASON.OPERATOR);
  for (const r of ['staleState', 'linkHealth', 'linkClosed'] as const) assert.equal(estopReasonCode(r), ESTOP_REASON.LINK, r);
  for (const r of ['robotFault', 'nonFinite', 'tiltCutoff', 'deadlineOverruns', 'modeAgreement'] as const) assert.equal(estopReasonCode(r), ESTOP_REASON.HOST_SAFETY, r);
  for (const r of ['signal', 'error'] as const) assert.equal(estopReasonCode(r), ESTOP_REASON.OTHER, r);
});

test('an injected tilt latches with its decision in the summary and the rule on the link', async () => {
  const { summary, link } = await runOnSim({ controller: 'lqr', robot, config: testConfig(), arm: true, seconds: 1, faults: [parseFault('tilt@500ms')] });
  assert.equal(summary.estops.length, 1);
  const e = summary.estops[0];
  assert.ok(e.decision.rule === 'tiltCutoff' && Math.abs(e.decision.tiltDeg - 40) < 0.5 && e.decision.limitDeg === 25, JSON.stringify(e.decision));
  assert.equal(e.atTick, 50, 'lockstep: the fault at 500 ms is seen at tick 50');
  assert.equal(e.reason, `tiltCutoff: ${describeReason(e.decision)}`);
  assert.equal(link.sent.find((s) => s.kind === 'estop')?.rule, 'tiltCutoff');
});

test('the policy is reset at arm and after every e-stop', async () => {
  let resets = 0;
  const calls: string[] = [];
  const counting: Policy = {
    name: 'counting', obsSize: 15, actionSize: 3, maxTorqueNm: 1.98,
    reset() { resets++; calls.push(`reset@${acts}`); },
    act(_o, out) { acts++; out.fill(0); },
    close() {},
  };
  let acts = 0;
  const { handle } = await startOnSim({ policy: counting, robot, config: testConfig(['safety.armingRamp.seconds=0.1']), arm: true });
  const before = resets; // start and warm-up
  await handle.step(20);
  assert.equal(resets, before + 1, 'arming resets');
  handle.estop('test');
  assert.equal(resets, before + 2, 'the e-stop resets');
  handle.rearm('test');
  await handle.step(20);
  assert.equal(resets, before + 3, 'the re-arm resets again');
  await handle.stop();
  assert.ok(acts > 20, calls.join(' '));
});
