// Checkpoints: one JSON file per save (typed arrays as base64), written atomically, plus an
// optional binary side file (SAC's replay buffer) written atomically before the JSON that
// names it. `latest.json` is rewritten last, so a crash at any moment leaves the previous
// complete checkpoint in place.
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../../common/atomic-write.js';

export const CHECKPOINT_VERSION = 1;

type Json = unknown;

function encode(value: unknown): Json {
  if (value instanceof Float32Array) return { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Float64Array) return { $f64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Uint8Array) return { $u8: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(encode);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  return value;
}

function bytesOf(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

function decode(value: Json): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$f32 === 'string') {
      const b = bytesOf(o.$f32);
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    if (typeof o.$f64 === 'string') {
      const b = bytesOf(o.$f64);
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    }
    if (typeof o.$u8 === 'string') return new Uint8Array(bytesOf(o.$u8));
    if (typeof o.$num === 'string') return Number(o.$num);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

export function serializeCheckpoint(state: object): string {
  return JSON.stringify({ checkpointVersion: CHECKPOINT_VERSION, ...(encode(state) as object) });
}

export function deserializeCheckpoint<T>(text: string, source: string): T {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`checkpoint ${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (raw.checkpointVersion !== CHECKPOINT_VERSION) throw new Error(`checkpoint ${source} has version ${String(raw.checkpointVersion)}, this build reads ${CHECKPOINT_VERSION}`);
  return decode(raw) as T;
}

/**
 * Save `state` as checkpoints/ckpt-<iteration>.json and point checkpoints/latest.json at it.
 * Keeps the newest `keep` checkpoint files.
 */
export function saveCheckpoint(runDir: string, iteration: number, state: object, sideFiles: Record<string, Uint8Array> = {}, keep = 3): string {
  const dir = join(runDir, 'checkpoints');
  const name = `ckpt-${String(iteration).padStart(7, '0')}`;
  const side: Record<string, string> = {};
  for (const [key, bytes] of Object.entries(sideFiles)) {
    const file = `${name}.${key}.bin`;
    atomicWriteFile(join(dir, file), bytes);
    side[key] = file;
  }
  const file = join(dir, `${name}.json`);
  atomicWriteFile(file, serializeCheckpoint({ ...state, sideFiles: side }));
  atomicWriteFile(join(dir, 'latest.json'), JSON.stringify({ checkpoint: `${name}.json`, iteration }));
  prune(dir, keep);
  return file;
}

function prune(dir: string, keep: number): void {
  const names = readdirSync(dir).filter((f) => /^ckpt-\d+\.json$/.test(f)).sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) {
    const stem = old.replace(/\.json$/, '');
    for (const f of readdirSync(dir)) if (f === old || f.startsWith(`${stem}.`)) unlinkSync(join(dir, f));
  }
}

export interface LoadedCheckpoint<T> {
  state: T & { sideFiles: Record<string, string> };
  file: string;
  readSide(key: string): Uint8Array;
}

/** Load the latest checkpoint of a run directory (or a checkpoint .json file directly). */
export function loadCheckpoint<T>(runDirOrFile: string): LoadedCheckpoint<T> {
  let file = runDirOrFile;
  if (!runDirOrFile.endsWith('.json')) {
    const latest = join(runDirOrFile, 'checkpoints', 'latest.json');
    if (!existsSync(latest)) throw new Error(`no checkpoint in ${runDirOrFile} (expected ${latest})`);
    file = join(runDirOrFile, 'checkpoints', JSON.parse(readFileSync(latest, 'utf8')).checkpoint);
  }
  const state = deserializeCheckpoint<T & { sideFiles: Record<string, string> }>(readFileSync(file, 'utf8'), file);
  const dir = join(file, '..');
  return {
    state,
    file,
    readSide(key: string) {
      const name = state.sideFiles?.[key];
      if (!name) throw new Error(`checkpoint ${file} has no '${key}' data`);
      return new Uint8Array(readFileSync(join(dir, name)));
    },
  };
}
