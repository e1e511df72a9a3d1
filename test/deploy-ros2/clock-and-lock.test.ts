import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeaderStampConverter } from '../../deploy/links/ros2/clock.js';
import { EstopLock } from '../../deploy/links/ros2/estop-lock.js';

const EPOCH_MS = 1_763_700_000_000;

test('header stamps map onto the host clock through the measured offset', () => {
  const c = new HeaderStampConverter({ stampSource: 'header', maxFutureMs: 20 });
  c.sampleOffset(EPOCH_MS + 5000, 5000); // ROS time is host time + EPOCH_MS
  // measured 30 ms before it arrived at host time 6000
  assert.equal(c.toHostMs(EPOCH_MS + 5970, 6000), 5970);
  assert.equal(c.lastDelayMs, 30);
  // The system clock is stepped by +100 ms; the next offset sample follows it.
  c.sampleOffset(EPOCH_MS + 7100, 7000);
  assert.equal(c.toHostMs(EPOCH_MS + 7090, 7000), 6990);
});

test('a stamp from the future beyond tolerance (unsynced clocks) or a zero stamp is refused', () => {
  const c = new HeaderStampConverter({ stampSource: 'header', maxFutureMs: 20 });
  assert.ok(Number.isNaN(c.toHostMs(EPOCH_MS, 1)), 'no offset measured yet');
  c.sampleOffset(EPOCH_MS, 0);
  assert.ok(Number.isNaN(c.toHostMs(EPOCH_MS + 1500, 1000)));
  assert.match(c.lastError, /500\.0 ms in the future.*not synchronized/);
  assert.ok(Number.isNaN(c.toHostMs(0, 1000)));
  assert.match(c.lastError, /stamp is zero/);
  // Within tolerance ahead: clamped to the arrival time, never newer than it.
  assert.equal(c.toHostMs(EPOCH_MS + 1010, 1000), 1000);
});

test('stampSource arrival ignores header stamps', () => {
  const c = new HeaderStampConverter({ stampSource: 'arrival', maxFutureMs: 20 });
  assert.equal(c.toHostMs(0, 1234), 1234);
  assert.equal(c.toHostMs(EPOCH_MS + 1e9, 1234), 1234);
});

test('e-stop lock starts engaged and releases only on an explicit re-arm', () => {
  const lock = new EstopLock({ inputTimeoutMs: 0 });
  assert.equal(lock.locked, true);
  assert.equal(lock.reason, 'not armed yet');
  assert.equal(lock.rearm(0), null);
  assert.equal(lock.locked, false);
});

test('e-stop lock latches: a later false on the input does not release it', () => {
  const lock = new EstopLock({ inputTimeoutMs: 0 });
  lock.rearm(0);
  assert.equal(lock.input(false, 1), false);
  assert.equal(lock.locked, false);
  assert.equal(lock.input(true, 2), true, 'true engages: a new trip');
  assert.equal(lock.input(true, 3), false, 'already engaged: not a new trip');
  lock.input(false, 4);
  assert.equal(lock.locked, true);
  assert.match(lock.reason, /e-stop message/);
  assert.equal(lock.trips, 1);
});

test('re-arm is refused while the e-stop input still asserts true', () => {
  const lock = new EstopLock({ inputTimeoutMs: 0 });
  lock.rearm(0);
  lock.input(true, 1);
  assert.match(lock.rearm(2) ?? '', /still asserted/);
  assert.equal(lock.locked, true);
  lock.input(false, 3);
  assert.equal(lock.rearm(4), null);
  assert.equal(lock.locked, false);
});

test('with an input timeout, a silent e-stop input engages the lock and blocks re-arming', () => {
  const lock = new EstopLock({ inputTimeoutMs: 500 });
  assert.match(lock.rearm(0) ?? '', /no e-stop input heard/);
  lock.input(false, 1000);
  assert.equal(lock.rearm(1100), null);
  assert.equal(lock.checkInputTimeout(1400), false);
  assert.equal(lock.checkInputTimeout(1600), true);
  assert.match(lock.reason, /silent for more than 500 ms/);
  assert.equal(lock.checkInputTimeout(1700), false, 'one trip, not one per check');
  lock.input(false, 1800);
  assert.equal(lock.locked, true, 'heartbeat returning does not release the latch');
});

test('trip reasons: the first reason is kept until re-arm', () => {
  const lock = new EstopLock({ inputTimeoutMs: 0 });
  lock.rearm(0);
  assert.equal(lock.trip('tilt'), true);
  assert.equal(lock.trip('other'), false);
  assert.equal(lock.reason, 'tilt');
});
