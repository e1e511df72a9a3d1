// TensorBoard records: CRC32C on the standard check vector, framing, and the Event protobuf
// decoded back with protobufjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { crc32c, maskedCrc32c, TensorBoardWriter } from '../../training/io/tensorboard.js';

test('crc32c of "123456789" is 0xe3069283 and of 32 zero bytes 0x8a9136aa', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

function decodeEvent(buf: Uint8Array): { wallTime: number; step: number; fileVersion?: string; values: Record<string, number> } {
  const r = protobuf.Reader.create(buf);
  const out = { wallTime: 0, step: 0, fileVersion: undefined as string | undefined, values: {} as Record<string, number> };
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: out.wallTime = r.double(); break;
      case 2: out.step = Number(r.int64()); break;
      case 3: out.fileVersion = r.string(); break;
      case 5: {
        const s = protobuf.Reader.create(r.bytes());
        while (s.pos < s.len) {
          const vt = s.uint32();
          assert.equal(vt >>> 3, 1);
          const v = protobuf.Reader.create(s.bytes());
          let tagName = '';
          let value = NaN;
          while (v.pos < v.len) {
            const t = v.uint32();
            if (t >>> 3 === 1) tagName = v.string();
            else if (t >>> 3 === 2) value = v.float();
            else v.skipType(t & 7);
          }
          out.values[tagName] = value;
        }
        break;
      }
      default: r.skipType(tag & 7);
    }
  }
  return out;
}

test('event file: framed records with valid masked CRCs holding the scalars written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-'));
  try {
    const w = new TensorBoardWriter(dir);
    w.scalars(4096, { 'rollout/episode_return': -150.5, 'train/value_loss': 0.25 });
    w.scalars(8192, { 'rollout/episode_return': -120 });
    w.close();
    const bytes = new Uint8Array(readFileSync(w.file));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const events = [];
    let off = 0;
    while (off < bytes.length) {
      const len = Number(view.getBigUint64(off, true));
      assert.equal(view.getUint32(off + 8, true), maskedCrc32c(bytes.subarray(off, off + 8)));
      const data = bytes.subarray(off + 12, off + 12 + len);
      assert.equal(view.getUint32(off + 12 + len, true), maskedCrc32c(data));
      events.push(decodeEvent(data));
      off += 16 + len;
    }
    assert.equal(events.length, 3);
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    assert.equal(events[1].step, 4096);
    assert.ok(Math.abs(events[1].values['rollout/episode_return'] + 150.5) < 1e-4);
    assert.ok(Math.abs(events[1].values['train/value_loss'] - 0.25) < 1e-7);
    assert.equal(events[2].step, 8192);
    assert.ok(events[2].wallTime > 1.6e9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
