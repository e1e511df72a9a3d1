// Shared by the vector tests: load the JSON vectors, map schema field names (snake_case) to
// the TS message objects, and talk to the C vector tool.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../firmware-bridge/firmware-build.js';
import {
  FrameEncoder, estopReasonText, newArm, newCommand, newEstop, newFault, newHeartbeat, newHello, newState, setEstopReason,
  type FrameDecoder,
} from '../../firmware-bridge/codec.js';
import type { MessageName } from '../../firmware-bridge/messages.js';

export type FieldValue = number | number[] | string;
export interface MessageVector { name: string; description: string; seq: number; type: MessageName; fields: Record<string, FieldValue>; hex: string }
export interface StreamVector {
  name: string; description: string; hex: string;
  frames: { type: MessageName; seq: number; fields: Record<string, FieldValue> }[];
  counters: Record<string, number>;
}

export function loadVectors(): { messages: MessageVector[]; streams: StreamVector[] } {
  const dir = join(packageRoot(), 'firmware-bridge', 'vectors');
  return {
    messages: JSON.parse(readFileSync(join(dir, 'messages.json'), 'utf8')).vectors,
    streams: JSON.parse(readFileSync(join(dir, 'streams.json'), 'utf8')).vectors,
  };
}

export const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const factories = { HELLO: newHello, STATE: newState, COMMAND: newCommand, ARM: newArm, ESTOP: newEstop, HEARTBEAT: newHeartbeat, FAULT: newFault };

/** Build the TS message object of a vector's fields. */
export function messageFromFields(type: MessageName, fields: Record<string, FieldValue>): Record<string, unknown> {
  const m = factories[type]() as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'reason') setEstopReason(m as never, v as string);
    else if (k === 'reason_len') continue;
    else if (Array.isArray(v)) (m[camel(k)] as Float64Array).set(v);
    else m[camel(k)] = v;
  }
  return m;
}

export function encodeTs(type: MessageName, seq: number, fields: Record<string, FieldValue>): string {
  const enc = new FrameEncoder();
  enc.seq = seq;
  const m = messageFromFields(type, fields);
  const method = type.toLowerCase() as 'hello';
  const n = enc[method](m as never);
  return Buffer.from(enc.out.subarray(0, n)).toString('hex');
}

/** The decoded message object of a given type from a decoder, as schema-named fields. */
export function decodedFields(decoder: FrameDecoder, type: MessageName, names: string[]): Record<string, FieldValue> {
  const m = decoder[type.toLowerCase() as 'hello'] as unknown as Record<string, unknown>;
  const out: Record<string, FieldValue> = {};
  for (const k of names) {
    if (k === 'reason') out[k] = estopReasonText(m as never);
    else {
      const v = m[camel(k)];
      out[k] = ArrayLike(v) ? Array.from(v as Float64Array) : (v as number);
    }
  }
  return out;
}
const ArrayLike = (v: unknown) => v instanceof Float64Array || v instanceof Uint8Array;

/** Expected value as it survives the wire: floats rounded to float32. */
export function wireValue(v: FieldValue): FieldValue {
  if (Array.isArray(v)) return v.map((x) => Math.fround(x));
  if (typeof v === 'number' && !Number.isInteger(v)) return Math.fround(v);
  return v;
}

/** Run commands through the C vector tool; returns its output lines. */
export function runCTool(tool: string, commands: string[]): string[] {
  const out = execFileSync(tool, [], { input: commands.join('\n') + '\n', maxBuffer: 64 << 20 }).toString();
  return out.trimEnd().split('\n');
}

const FLOAT_ARRAYS = ['orientation', 'gyro', 'wheel_velocity', 'wheel_torque', 'torque'];
const FLOATS = ['max_torque_nm', 'value'];

/** Parse a `frame TYPE seq k=v ...` line of the C tool. */
export function parseCFrame(line: string): { type: string; seq: number; fields: Record<string, FieldValue> } {
  const [tag, type, seq, ...rest] = line.split(' ');
  if (tag !== 'frame') throw new Error(`C tool: expected a frame line, got '${line}'`);
  const fields: Record<string, FieldValue> = {};
  for (const kv of rest) {
    const i = kv.indexOf('=');
    const k = kv.slice(0, i), v = kv.slice(i + 1);
    // %.9g prints a float32 exactly; rounding it back to float32 recovers the wire value.
    if (k === 'reason') fields[k] = v;
    else if (FLOAT_ARRAYS.includes(k)) fields[k] = v.split(',').map((x) => Math.fround(Number(x)));
    else if (FLOATS.includes(k)) fields[k] = Math.fround(Number(v));
    else fields[k] = Number(v);
  }
  return { type, seq: Number(seq), fields };
}

export const COUNTER_ORDER = ['framesOk', 'badCrc', 'tooLong', 'unknownType', 'malformed', 'gaps', 'stale'] as const;
