// ClockSync maps the firmware's wrapping microsecond clock onto the host clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockSync } from '../../firmware-bridge/clock-sync.js';

describe('ClockSync', () => {
  it('stamps with the least-delayed offset, so a late arrival keeps its measurement time', () => {
    const c = new ClockSync();
    // Firmware time 1000 ms arrives at host 5001 ms (1 ms transit): offset 4001.
    assert.equal(c.update(1_000_000, 5001), 5001);
    // Measured at firmware 1010 ms but delayed 30 ms in transit: stamped at its measurement time.
    assert.ok(Math.abs(c.update(1_010_000, 5041) - 5011) < 0.01);
  });

  it('follows the 32-bit microsecond wrap without a jump', () => {
    const c = new ClockSync();
    const before = c.update(0xffffff00, 100_000);
    const after = c.update(0x00000100, 100_000 + 0.512);
    assert.ok(Math.abs(after - before - 0.512) < 0.01, `${after - before}`);
  });

  it('starts over when the firmware restarts (clock jumps back)', () => {
    const c = new ClockSync();
    c.update(500_000_000, 10_000);
    const s = c.update(1_000, 20_000); // rebooted: its clock is near zero again
    assert.ok(Math.abs(s - 20_000) < 1, `${s}`);
  });
});
