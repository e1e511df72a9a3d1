// The shared test vectors, run through both the TS codec and the C codec (compiled with gcc),
// so the two implementations cannot drift apart from each other or from the recorded bytes.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { FrameDecoder } from '../../firmware-bridge/codec.js';
import { buildFirmware, type FirmwareBuild } from '../../firmware-bridge/firmware-build.js';
import { messageName, SCHEMA_HASH } from '../../firmware-bridge/messages.js';
import {
  COUNTER_ORDER, decodedFields, encodeTs, loadVectors, parseCFrame, runCTool, wireValue, type FieldValue,
} from './vector-helpers.js';

const { messages, streams } = loadVectors();
const expectFields = (actual: Record<string, FieldValue>, expected: Record<string, FieldValue>, where: string) => {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(actual[k], wireValue(v), `${where}: field ${k}`);
};

describe('message vectors, TS codec', () => {
  for (const v of messages) {
    it(`${v.name}: encodes to the recorded bytes`, () => {
      assert.equal(encodeTs(v.type, v.seq, v.fields), v.hex);
    });
    it(`${v.name}: decodes to the recorded fields`, () => {
      const seen: number[] = [];
      const d = new FrameDecoder((type, seq) => seen.push(type, seq));
      d.feed(Buffer.from(v.hex, 'hex'));
      assert.equal(messageName(seen[0]), v.type);
      assert.equal(seen[1], v.seq);
      expectFields(decodedFields(d, v.type, Object.keys(v.fields)), v.fields, v.name);
    });
  }
});

describe('stream vectors, TS decoder', () => {
  for (const v of streams) {
    it(`${v.name}`, () => {
      const got: { type: string; seq: number; fields: Record<string, FieldValue> }[] = [];
      const d = new FrameDecoder((type, seq, dec) => {
        const name = messageName(type)!;
        const expected = v.frames[got.length];
        got.push({ type: name, seq, fields: decodedFields(dec, name, Object.keys(expected?.fields ?? {})) });
      });
      // Byte by byte and in one chunk must agree.
      const bytes = Buffer.from(v.hex, 'hex');
      for (let i = 0; i < bytes.length; i++) d.feed(bytes, i, i + 1);
      assert.equal(got.length, v.frames.length, `${v.name}: frames delivered`);
      v.frames.forEach((f, i) => {
        assert.equal(got[i].type, f.type);
        assert.equal(got[i].seq, f.seq);
        expectFields(got[i].fields, f.fields, `${v.name} frame ${i}`);
      });
      assert.deepEqual({ ...d.counters }, v.counters);
    });
  }
});

describe('vectors, C codec (gcc build)', () => {
  let fw: FirmwareBuild;
  before(() => {
    fw = buildFirmware();
  });

  it('the C schema hash equals the TS one', () => {
    assert.equal(runCTool(fw.vectors, ['schema'])[0], SCHEMA_HASH.toString(16).padStart(8, '0'));
  });

  it('encodes every message vector to the recorded bytes', () => {
    const cmds = messages.map((v) => `encode ${v.seq} ${v.type} ${Object.entries(v.fields).map(([k, x]) => `${k}=${Array.isArray(x) ? x.join(',') : x}`).join(' ')}`);
    const out = runCTool(fw.vectors, cmds);
    messages.forEach((v, i) => assert.equal(out[i], v.hex, `C encode ${v.name}`));
  });

  it('decodes every message vector to the recorded fields', () => {
    const out = runCTool(fw.vectors, messages.map((v) => `stream ${v.hex}`));
    messages.forEach((v, i) => {
      const f = parseCFrame(out[2 * i]);
      assert.equal(f.type, v.type);
      assert.equal(f.seq, v.seq);
      expectFields(f.fields, v.fields, `C decode ${v.name}`);
    });
  });

  it('decodes every stream vector to the recorded frames and counters', () => {
    const out = runCTool(fw.vectors, streams.map((v) => `stream ${v.hex}`));
    let line = 0;
    for (const v of streams) {
      for (const f of v.frames) {
        const got = parseCFrame(out[line++]);
        assert.equal(got.type, f.type, `${v.name}`);
        assert.equal(got.seq, f.seq, `${v.name}`);
        expectFields(got.fields, f.fields, `C ${v.name}`);
      }
      const counters = out[line++].split(' ');
      assert.equal(counters[0], 'counters', `${v.name}: expected the counters line`);
      const asObject = Object.fromEntries(COUNTER_ORDER.map((k, i) => [k, Number(counters[i + 1])]));
      assert.deepEqual(asObject, v.counters, `C counters ${v.name}`);
    }
  });
});
