// TensorBoard event files written directly: each record is
//   uint64 length | uint32 masked-crc32c(length) | Event protobuf | uint32 masked-crc32c(data)
// where Event = {wall_time: double (1), step: int64 (2), file_version: string (3) | summary (5)}
// and Summary.Value = {tag: string (1), simple_value: float (2)}. Same format TensorFlow writes.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
// The same CRC-32C that frames the serial protocol; TFRecord masks it (below).
import { crc32c } from '../../common/crc32c.js';
import { atomicWriteFile } from '../../common/atomic-write.js';

export { crc32c };

export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Minimal protobuf writer for the few field types an Event needs. */
class ProtoWriter {
  private parts: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) byte |= 0x80;
      this.parts.push(byte);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.tag(field, 1).parts.push(...b);
    return this;
  }
  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5).parts.push(...b);
    return this;
  }
  int64(field: number, v: number): this {
    return this.tag(field, 0).varint(Math.trunc(v));
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length).parts.push(...b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function encodeScalarEvent(wallTime: number, step: number, scalars: Record<string, number>): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) {
    if (!Number.isFinite(value)) continue;
    summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** Frame one record (TFRecord framing). */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/**
 * The event protobufs of an event file's records, in order. Reading stops at the first record
 * whose framing or CRC is wrong: a process killed mid-write leaves at most a partial last record.
 */
export function readEventRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off + 12 <= bytes.length) {
    const len = Number(view.getBigUint64(off, true));
    if (view.getUint32(off + 8, true) !== maskedCrc32c(bytes.subarray(off, off + 8)) || off + 16 + len > bytes.length) break;
    const data = bytes.subarray(off + 12, off + 12 + len);
    if (view.getUint32(off + 12 + len, true) !== maskedCrc32c(data)) break;
    out.push(data);
    off += 16 + len;
  }
  return out;
}

/** The step (Event field 2) of an encoded event; 0 when absent, as protobuf defaults it. */
export function eventStep(event: Uint8Array): number {
  let off = 0;
  const varint = (): bigint => {
    let x = 0n;
    for (let shift = 0n; off < event.length; shift += 7n) {
      const b = event[off++];
      x |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return x;
  };
  while (off < event.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    if (tag >>> 3 === 2 && wire === 0) return Number(BigInt.asIntN(64, varint()));
    if (wire === 0) varint();
    else if (wire === 1) off += 8;
    else if (wire === 5) off += 4;
    else if (wire === 2) off += Number(varint());
    else break;
  }
  return 0;
}

/**
 * On resume: drop from every event file in `dir` the scalar events after `lastStep` (work lost
 * since the checkpoint, which the resumed run logs again), so no step appears twice.
 */
export function dropEventsAfter(dir: string, lastStep: number): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('events.out.tfevents.')) continue;
    const file = join(dir, name);
    const bytes = new Uint8Array(readFileSync(file));
    const records = readEventRecords(bytes);
    const kept = records.filter((event) => eventStep(event) <= lastStep);
    const keptBytes = kept.reduce((n, e) => n + e.length + 16, 0);
    if (keptBytes === bytes.length) continue;
    atomicWriteFile(file, Buffer.concat(kept.map(frameRecord)));
  }
}

/** Appends scalar summaries to `dir/events.out.tfevents.<time>.<host>`, one fsync'd record per call. */
export class TensorBoardWriter {
  private fd: number;
  readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.file, 'a');
    this.write(encodeFileVersionEvent(Date.now() / 1000));
  }

  scalars(step: number, values: Record<string, number>): void {
    this.write(encodeScalarEvent(Date.now() / 1000, step, values));
  }

  private write(data: Uint8Array): void {
    const rec = frameRecord(data);
    writeSync(this.fd, rec);
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
