// Binary-safe encoding of trajectories and weights as Redis field/value pairs: every Float32Array
// travels as its raw little-endian bytes in a Buffer (no JSON of numbers, no precision lost);
// scalar metadata travels as short decimal strings. Field names of arrays carry a prefix so
// metadata and arrays never collide.
import { endianness } from 'node:os';
import type { PolicyWeights, Trajectory } from './transport.js';

const ARRAY_PREFIX = 'a:';

if (endianness() !== 'LE') throw new Error('the Redis transport sends Float32Array bytes as little-endian; this machine is big-endian');

/** Flat [field, value, field, value, ...] as XADD and HSET take them. */
export type FieldList = (string | Buffer)[];

function arrayFields(arrays: Record<string, Float32Array>, out: FieldList): void {
  for (const [name, arr] of Object.entries(arrays)) {
    out.push(ARRAY_PREFIX + name, Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  }
}

/** A copy into a fresh, aligned Float32Array (the reply's Buffer may sit at any byte offset). */
function toFloat32(buf: Buffer, field: string): Float32Array {
  if (buf.byteLength % 4 !== 0) throw new Error(`field '${field}' holds ${buf.byteLength} bytes, not a whole number of float32`);
  const out = new Float32Array(buf.byteLength / 4);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** A Redis reply of alternating field names and values as a map of name -> Buffer. */
export function fieldMap(reply: Buffer[]): Map<string, Buffer> {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < reply.length; i += 2) map.set(reply[i].toString(), reply[i + 1]);
  return map;
}

function arraysFrom(fields: Map<string, Buffer>): Record<string, Float32Array> {
  const arrays: Record<string, Float32Array> = {};
  for (const [name, value] of fields) if (name.startsWith(ARRAY_PREFIX)) arrays[name.slice(ARRAY_PREFIX.length)] = toFloat32(value, name);
  return arrays;
}

function requiredNumber(fields: Map<string, Buffer>, name: string, what: string): number {
  const raw = fields.get(name);
  const n = raw === undefined ? NaN : Number(raw.toString());
  if (!Number.isFinite(n)) throw new Error(`${what}: field '${name}' is missing or not a number`);
  return n;
}

/** Stream entry fields of a trajectory; `seq` numbers an actor's pushes so a resent XADD is seen twice at most once. */
export function encodeTrajectory(t: Trajectory, seq: number): FieldList {
  const out: FieldList = ['actor', t.actorId, 'seq', String(seq), 'version', String(t.policyVersion), 'steps', String(t.envSteps)];
  if (t.stats) out.push('stats', JSON.stringify(t.stats));
  arrayFields(t.arrays, out);
  return out;
}

export function decodeTrajectory(fields: Map<string, Buffer>): { trajectory: Trajectory; seq: number } {
  const actorId = fields.get('actor')?.toString();
  if (!actorId) throw new Error("trajectory entry: field 'actor' is missing");
  const trajectory: Trajectory = {
    actorId,
    policyVersion: requiredNumber(fields, 'version', 'trajectory entry'),
    envSteps: requiredNumber(fields, 'steps', 'trajectory entry'),
    arrays: arraysFrom(fields),
  };
  const stats = fields.get('stats');
  if (stats) trajectory.stats = JSON.parse(stats.toString()) as Record<string, number>;
  return { trajectory, seq: requiredNumber(fields, 'seq', 'trajectory entry') };
}

export function encodeWeights(w: PolicyWeights): FieldList {
  const out: FieldList = ['version', String(w.version)];
  arrayFields(w.arrays, out);
  return out;
}

export function decodeWeights(fields: Map<string, Buffer>): PolicyWeights {
  return { version: requiredNumber(fields, 'version', 'weights'), arrays: arraysFrom(fields) };
}
