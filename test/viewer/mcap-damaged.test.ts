// MCAP telemetry that is damaged: garbage after the header is an error naming the file and
// the byte offset (not an empty episode); a file cut short by a crash still plays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapStreamReader, McapWriter, type IWritable } from '@mcap/core';
import { loadFileSource } from '../../viewer/server/sources.js';

class MemoryWritable implements IWritable {
  private parts: Buffer[] = [];
  private size = 0n;
  position(): bigint {
    return this.size;
  }
  async write(buffer: Uint8Array): Promise<void> {
    this.parts.push(Buffer.from(buffer));
    this.size += BigInt(buffer.length);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A small unchunked MCAP with `n` state messages, and the byte length of its magic + header. */
async function telemetry(n: number): Promise<{ bytes: Buffer; headerEnd: number; messageEnds: number[] }> {
  const out = new MemoryWritable();
  const writer = new McapWriter({ writable: out, useChunks: false });
  await writer.start({ profile: '', library: 'test' });
  const headerEnd = 8 + 1 + 8 + 4 + 4 + 'test'.length; // magic, opcode, length, profile '', library
  const channelId = await writer.registerChannel({ topic: 'state', messageEncoding: 'json', schemaId: 0, metadata: new Map() });
  const messageEnds: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = BigInt(i) * 10_000_000n;
    await writer.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data: Buffer.from(JSON.stringify({ tick: i, tiltRad: 0.01 * i })) });
  }
  await writer.end();
  // Where each message record ends, found by reading the file back.
  const bytes = out.bytes();
  const reader = new McapStreamReader();
  reader.append(bytes);
  for (let record; (record = reader.nextRecord()); ) if (record.type === 'Message') messageEnds.push(bytes.length - reader.bytesRemaining());
  return { bytes, headerEnd, messageEnds };
}

const dir = mkdtempSync(join(tmpdir(), 'ballbot-mcap-'));
const write = (name: string, bytes: Uint8Array) => {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
};

test('an MCAP header followed by garbage is an error naming the file and the offset', async () => {
  const { bytes, headerEnd } = await telemetry(5);
  const garbage = write('garbage.mcap', Buffer.concat([bytes.subarray(0, headerEnd), Buffer.from('this is not an MCAP record, only some text')]));
  assert.throws(() => loadFileSource(garbage), (e: Error) => e.message.includes(garbage) && e.message.includes(`byte ${headerEnd}`));
  // Bytes that parse as no message at all (zeros where the records should be).
  const zeros = write('zeros.mcap', Buffer.concat([bytes.subarray(0, headerEnd), Buffer.alloc(64)]));
  assert.throws(() => loadFileSource(zeros), (e: Error) => e.message.includes(zeros) && /no message could be read/.test(e.message));
});

test('a complete file plays all its frames; one cut short by a crash plays what it has, with a note', async () => {
  const { bytes, messageEnds } = await telemetry(5);
  const full = loadFileSource(write('full.mcap', bytes));
  assert.equal(full.kind, 'mcap');
  if (full.kind !== 'mcap') return;
  assert.equal(full.episode.frames.length, 5);
  assert.equal(full.episode.events.some((e) => e.kind === 'note'), false);
  // Cut in the middle of the fourth message, as a kill during a write would.
  const cut = loadFileSource(write('cut.mcap', bytes.subarray(0, messageEnds[2] + 20)));
  if (cut.kind !== 'mcap') assert.fail('expected an mcap source');
  assert.equal(cut.episode.frames.length, 3);
  assert.ok(cut.episode.events.some((e) => e.kind === 'note' && /cut short/.test(e.text ?? '')));
});
