// Property tests of the TS codec (fast-check): encode/decode identity, and on arbitrary or
// mutated bytes the decoder never throws, never accepts a corrupted frame, and resyncs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder, FrameEncoder, newCommand, newState, type StateMsg } from '../../firmware-bridge/codec.js';
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../../firmware-bridge/cobs.js';
import { MSG } from '../../firmware-bridge/messages.js';

const f32 = fc.float({ noDefaultInfinity: false });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u8 = fc.integer({ min: 0, max: 255 });
const stateArb = fc.record({
  timeUs: u32, commandSeqEcho: u32, orientation: fc.array(f32, { minLength: 4, maxLength: 4 }),
  gyro: fc.array(f32, { minLength: 3, maxLength: 3 }), wheelVelocity: fc.array(f32, { minLength: 3, maxLength: 3 }),
  wheelTorque: fc.array(f32, { minLength: 3, maxLength: 3 }), batteryMv: u16, faultFlags: u16, mode: u8,
});
function toState(s: typeof stateArb extends fc.Arbitrary<infer T> ? T : never): StateMsg {
  const m = newState();
  Object.assign(m, { timeUs: s.timeUs, commandSeqEcho: s.commandSeqEcho, batteryMv: s.batteryMv, faultFlags: s.faultFlags, mode: s.mode });
  m.orientation.set(s.orientation); m.gyro.set(s.gyro); m.wheelVelocity.set(s.wheelVelocity); m.wheelTorque.set(s.wheelTorque);
  return m;
}
const same = (a: StateMsg, b: StateMsg) => {
  assert.deepEqual([a.timeUs, a.commandSeqEcho, a.batteryMv, a.faultFlags, a.mode], [b.timeUs, b.commandSeqEcho, b.batteryMv, b.faultFlags, b.mode]);
  for (const k of ['orientation', 'gyro', 'wheelVelocity', 'wheelTorque'] as const) assert.deepEqual(Array.from(a[k]), Array.from(b[k]));
};

/** A stream of STATE frames with consecutive seqs; returns the bytes and the originals by seq. */
function encodeStream(states: StateMsg[], firstSeq: number) {
  const enc = new FrameEncoder();
  enc.seq = firstSeq;
  const parts: Buffer[] = [];
  const bySeq = new Map<number, StateMsg>();
  for (const s of states) {
    bySeq.set(enc.seq, s);
    parts.push(Buffer.from(enc.out.subarray(0, enc.state(s))));
  }
  return { bytes: Buffer.concat(parts), bySeq, nextSeq: enc.seq };
}

describe('codec properties', () => {
  it('COBS: decode(encode(x)) = x and the encoding has no zero byte', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (x) => {
      const enc = new Uint8Array(cobsMaxEncodedLength(x.length));
      const n = cobsEncode(x, x.length, enc);
      assert.ok(!enc.subarray(0, n).includes(0));
      const dec = new Uint8Array(x.length);
      assert.equal(cobsDecode(enc, n, dec), x.length);
      assert.deepEqual(dec, x);
    }), { numRuns: 300 });
  });

  it('STATE: encode then decode is the identity (float32 values, any seq)', () => {
    fc.assert(fc.property(stateArb, u16, (s, seq) => {
      const m = toState(s);
      const { bytes } = encodeStream([m], seq);
      let got = -1;
      const d = new FrameDecoder((type, q) => { assert.equal(type, MSG.STATE); got = q; });
      d.feed(bytes);
      assert.equal(got, seq);
      same(d.state, m);
    }), { numRuns: 300 });
  });

  it('COMMAND: encode then decode is the identity', () => {
    fc.assert(fc.property(u32, fc.array(f32, { minLength: 3, maxLength: 3 }), u8, u16, (controlSeq, torque, mode, seq) => {
      const enc = new FrameEncoder();
      enc.seq = seq;
      const c = newCommand();
      c.controlSeq = controlSeq; c.torque.set(torque); c.mode = mode;
      const d = new FrameDecoder();
      d.feed(enc.out, 0, enc.command(c));
      assert.equal(d.counters.framesOk, 1);
      assert.deepEqual([d.command.controlSeq, Array.from(d.command.torque), d.command.mode], [controlSeq, Array.from(c.torque), mode]);
    }), { numRuns: 300 });
  });

  it('arbitrary bytes: never throws, accepts nothing, then resyncs on the next good frame', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), stateArb, (noise, s) => {
      let accepted = 0;
      const d = new FrameDecoder(() => accepted++);
      d.feed(noise);
      assert.equal(accepted, 0);
      const good = encodeStream([toState(s)], 1);
      d.feed(Uint8Array.of(0));
      d.feed(good.bytes);
      assert.equal(accepted, 1);
      same(d.state, toState(s));
    }), { numRuns: 500 });
  });

  it('mutated streams: every accepted frame is an original one; the next good frame gets through', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), xor: u8 }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), xor: fc.constant(0) }),
    );
    fc.assert(fc.property(fc.array(stateArb, { minLength: 1, maxLength: 8 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), u16, (states, muts, firstSeq) => {
      const stream = encodeStream(states.map(toState), firstSeq);
      const bytes = Array.from(stream.bytes);
      for (const m of muts) {
        const at = m.at % (bytes.length + 1);
        if (m.kind === 'flip' && at < bytes.length) bytes[at] ^= m.xor;
        else if (m.kind === 'insert') bytes.splice(at, 0, m.xor);
        else if (m.kind === 'delete' && at < bytes.length) bytes.splice(at, 1);
      }
      const d = new FrameDecoder((type, seq, dec) => {
        assert.equal(type, MSG.STATE);
        const original = stream.bySeq.get(seq);
        assert.ok(original, `accepted a frame with seq ${seq} that was never sent`);
        same(dec.state, original);
      });
      d.feed(Uint8Array.from(bytes));
      const good = toState(states[0]);
      good.timeUs = 4242;
      const next = encodeStream([good], stream.nextSeq);
      stream.bySeq.set(stream.nextSeq, good);
      let lastSeq = -1;
      const check = d.onFrame;
      d.onFrame = (type, seq, dec) => { check(type, seq, dec); lastSeq = seq; };
      d.feed(Uint8Array.of(0)); // may complete a tail frame whose own delimiter was deleted
      d.feed(next.bytes);
      assert.equal(lastSeq, stream.nextSeq, 'resynced on the next good frame');
      assert.equal(d.state.timeUs, 4242);
    }), { numRuns: 1000 });
  });
});
