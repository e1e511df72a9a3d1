// The pure safety rules and the arming state machine, one behaviour at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionClip, ArmingRamp, LinkHealthWatchdog, OverrunMonitor, SlewRateLimiter, StaleStateWatchdog, TiltCutoff, firstNonFinite } from '../../deploy/safety/rules.js';
import { ArmingStateMachine, type Transition } from '../../deploy/safety/state-machine.js';
import { parseFault } from '../../deploy/faults.js';
import { defaultDeployConfig } from '../../deploy/config.js';
import { ConfigError } from '../../sim/config/yaml.js';

test('ActionClip clips to +-limit and reports it', () => {
  const clip = new ActionClip(1.5);
  const v = Float64Array.of(2, -3, 0.5);
  assert.equal(clip.apply(v), true);
  assert.deepEqual(Array.from(v), [1.5, -1.5, 0.5]);
  assert.equal(clip.apply(Float64Array.of(1.5, -1.5, 0)), false);
});

test('SlewRateLimiter bounds the change per step from what was last sent', () => {
  const slew = new SlewRateLimiter(100, 3); // 100 N m/s -> 1 N m per 10 ms
  const v = Float64Array.of(5, -5, 0.2);
  assert.equal(slew.apply(v, 0.01), true);
  assert.deepEqual(Array.from(v), [1, -1, 0.2]);
  const w = Float64Array.of(5, -5, 0.2);
  slew.apply(w, 0.01);
  assert.deepEqual(Array.from(w), [2, -2, 0.2]);
  slew.reset(); // zero was sent (e-stop): start again from zero
  const z = Float64Array.of(5, 0, 0);
  slew.apply(z, 0.01);
  assert.equal(z[0], 1);
});

test('ArmingRamp rises from 0 to 1 over its duration and is 0 before start', () => {
  const ramp = new ArmingRamp(1);
  assert.equal(ramp.scale(0), 0);
  ramp.start(1000);
  assert.equal(ramp.scale(1000), 0);
  assert.ok(Math.abs(ramp.scale(1500) - 0.5) < 1e-12);
  assert.equal(ramp.scale(2500), 1);
  assert.equal(ramp.done(2000), true);
  assert.equal(new ArmingRamp(0).scale(0), 1);
});

test('TiltCutoff trips beyond the limit and on NaN (fails safe)', () => {
  const cut = new TiltCutoff(25);
  assert.equal(cut.violated((24.9 * Math.PI) / 180), false);
  assert.equal(cut.violated((25.1 * Math.PI) / 180), true);
  assert.equal(cut.violated(NaN), true);
});

test('StaleStateWatchdog: missing or old state trips, fresh does not', () => {
  const w = new StaleStateWatchdog(40);
  assert.equal(w.violated(undefined, 100), true);
  assert.equal(w.violated(60, 100), false);
  assert.equal(w.violated(59, 100), true);
  assert.equal(w.violated(NaN, 100), true);
});

test('LinkHealthWatchdog trips on not-ok or long silence', () => {
  const w = new LinkHealthWatchdog(100);
  assert.equal(w.violated(true, 50), false);
  assert.equal(w.violated(false, 0), true);
  assert.equal(w.violated(true, 150), true);
  assert.equal(w.violated(true, NaN), true);
});

test('firstNonFinite finds NaN and Inf', () => {
  assert.equal(firstNonFinite([0, 1, 2]), -1);
  assert.equal(firstNonFinite([0, NaN, 2]), 1);
  assert.equal(firstNonFinite(Float32Array.of(0, 0, Infinity)), 2);
});

test('OverrunMonitor counts only consecutive bad ticks', () => {
  const m = new OverrunMonitor(3);
  assert.equal(m.record(true), false);
  assert.equal(m.record(true), false);
  assert.equal(m.record(false), false);
  assert.equal(m.record(true), false);
  assert.equal(m.record(true, 2), true);
});

test('state machine: ESTOP latches until an explicit clear; arm only from DISARMED', () => {
  const seen: Transition[] = [];
  const sm = new ArmingStateMachine((t) => seen.push(t));
  assert.equal(sm.torqueAllowed, false);
  assert.equal(sm.arm(), true);
  assert.equal(sm.mode, 'ARMING');
  sm.rampDone();
  assert.equal(sm.mode, 'RUNNING');
  assert.equal(sm.estop('tilt'), true);
  assert.equal(sm.estop('again'), false);
  assert.equal(sm.arm(), false, 'arming from ESTOP must be refused');
  sm.rampDone();
  assert.equal(sm.mode, 'ESTOP');
  assert.equal(sm.torqueAllowed, false);
  assert.equal(sm.estopReason, 'tilt');
  assert.equal(sm.clearEstop(), true);
  assert.equal(sm.mode, 'DISARMED');
  assert.deepEqual(seen.map((t) => t.to), ['ARMING', 'RUNNING', 'ESTOP', 'DISARMED']);
});

test('--inject specs parse, and bad ones say what is wrong', () => {
  assert.deepEqual(parseFault('stale@5s'), { kind: 'stale', atS: 5, arg: undefined });
  assert.deepEqual(parseFault('push@1.5s:0.8'), { kind: 'push', atS: 1.5, arg: 0.8 });
  assert.deepEqual(parseFault('nan@250ms'), { kind: 'nan', atS: 0.25, arg: undefined });
  assert.throws(() => parseFault('smoke@5s'), /unknown fault 'smoke'/);
  assert.throws(() => parseFault('push@5s'), /push needs a magnitude/);
  assert.throws(() => parseFault('tilt@soon'), /bad time 'soon'/);
});

test('deploy config: defaults load, bad values name the key and the file', () => {
  const cfg = defaultDeployConfig();
  assert.equal(cfg.rateHz, 100);
  assert.equal(cfg.safety.tiltCutoff.maxTiltDeg, 25);
  assert.ok(cfg.robotFile.endsWith('configs/robot/default.yaml'));
  assert.throws(() => defaultDeployConfig(['rateHz=2000']), (err: unknown) => err instanceof ConfigError && /rateHz/.test(err.message) && /default\.yaml/.test(err.message));
  assert.throws(() => defaultDeployConfig(['safety.tiltCutof.maxTiltDeg=20']), /unknown key 'tiltCutof'/);
});
