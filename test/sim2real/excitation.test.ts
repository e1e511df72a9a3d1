// The identification excitation is bounded by its amplitude on every wheel, moves tilt and yaw,
// and refuses bad specs with a message naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExcitation } from '../../deploy/excitation.js';

for (const kind of ['chirp', 'prbs']) {
  test(`${kind}: |excitation| <= amplitude on every wheel, and it is not constant`, () => {
    const ex = parseExcitation(`${kind}:0.4`, 1.98);
    const t = new Float64Array(3);
    let max = 0, sumDiff = 0, common = 0;
    for (let k = 0; k < 2000; k++) {
      t.fill(0);
      ex.addTo(t, k / 100);
      for (const x of t) max = Math.max(max, Math.abs(x));
      sumDiff += Math.abs(t[0] - t[1]);
      common += Math.abs(t[0] + t[1] + t[2]);
    }
    assert.ok(max <= 0.4 + 1e-12, `max ${max}`);
    assert.ok(max > 0.3, 'uses most of its amplitude');
    assert.ok(sumDiff > 100, 'differential part (tilt)');
    assert.ok(common > 50, 'common part (yaw)');
  });
}

test('bad specs are refused with the flag and the limit in the message', () => {
  assert.throws(() => parseExcitation('sine', 1.98), /--excite must be chirp or prbs/);
  assert.throws(() => parseExcitation('chirp:2', 1.98), /amplitude must be a number in \(0, 0.99\] N m/);
  assert.throws(() => parseExcitation('prbs:abc', 1.98), /amplitude/);
  assert.equal(parseExcitation('prbs', 1.98).amplitudeNm, 0.3);
});
