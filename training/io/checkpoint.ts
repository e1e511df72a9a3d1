// Checkpoints: one JSON file per save (typed arrays as base64), written atomically, plus an
// optional binary side file (SAC's replay buffer) written atomically before the JSON that
// names it with its size and SHA-256. `latest.json` is rewritten last, so a crash at any
// moment leaves the previous complete checkpoint in place; what such a crash leaves behind
// (temp files, a side file no checkpoint names) is removed by cleanRunDir.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile, isAtomicWriteTemp } from '../../common/atomic-write.js';

/** 2: side files are named with their byte count and SHA-256. */
export const CHECKPOINT_VERSION = 2;

/** How a checkpoint names a side file, so a truncated or altered one is refused. */
export interface SideFileEntry {
  file: string;
  bytes: number;
  sha256: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const CHECKPOINT_NAME = /^ckpt-\d+\.json$/;

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
  const side: Record<string, SideFileEntry> = {};
  for (const [key, bytes] of Object.entries(sideFiles)) {
    const file = `${name}.${key}.bin`;
    atomicWriteFile(join(dir, file), bytes);
    side[key] = { file, bytes: bytes.byteLength, sha256: sha256(bytes) };
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
  state: T & { sideFiles: Record<string, SideFileEntry> };
  file: string;
  /** A side file's bytes, checked against the size and SHA-256 the checkpoint recorded (read once). */
  readSide(key: string): Uint8Array;
}

/** The checkpoint file `checkpoints/latest.json` of a run directory points at. */
function latestCheckpointFile(runDir: string): string {
  const latest = join(runDir, 'checkpoints', 'latest.json');
  if (!existsSync(latest)) throw new Error(`no checkpoint in ${runDir} (expected ${latest})`);
  let pointer: { checkpoint?: unknown };
  try {
    pointer = JSON.parse(readFileSync(latest, 'utf8'));
  } catch (err) {
    throw new Error(`${latest} is not valid JSON (${(err as Error).message}); point it at a checkpoint, e.g. {"checkpoint": "ckpt-0000010.json"}`);
  }
  const name = pointer?.checkpoint;
  if (typeof name !== 'string' || !CHECKPOINT_NAME.test(name)) {
    throw new Error(`${latest}: 'checkpoint' must name a ckpt-<iteration>.json file in the same folder, got ${JSON.stringify(name)}`);
  }
  const file = join(runDir, 'checkpoints', name);
  if (!existsSync(file)) throw new Error(`${latest} points at ${name}, which does not exist in ${join(runDir, 'checkpoints')}`);
  return file;
}

/** Load the latest checkpoint of a run directory (or a checkpoint .json file directly). */
export function loadCheckpoint<T>(runDirOrFile: string): LoadedCheckpoint<T> {
  const file = runDirOrFile.endsWith('.json') ? runDirOrFile : latestCheckpointFile(runDirOrFile);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read checkpoint ${file}: ${(err as Error).message}`);
  }
  const state = deserializeCheckpoint<T & { sideFiles: Record<string, SideFileEntry> }>(text, file);
  const dir = join(file, '..');
  const verified = new Map<string, Uint8Array>();
  return {
    state,
    file,
    readSide(key: string) {
      const cached = verified.get(key);
      if (cached) return cached;
      const entry = state.sideFiles?.[key];
      if (!entry) throw new Error(`checkpoint ${file} has no '${key}' data`);
      if (typeof entry.file !== 'string' || !/^[\w.-]+$/.test(entry.file)) throw new Error(`checkpoint ${file}: its '${key}' entry must name a file next to it, got ${JSON.stringify(entry.file)}`);
      const path = join(dir, entry.file);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (err) {
        throw new Error(`checkpoint ${file}: cannot read its '${key}' file ${path}: ${(err as Error).message}`);
      }
      if (bytes.byteLength !== entry.bytes) throw new Error(`${path} has ${bytes.byteLength} bytes, checkpoint ${file} recorded ${entry.bytes}: the file is truncated or was replaced`);
      if (sha256(bytes) !== entry.sha256) throw new Error(`${path} does not match the SHA-256 that checkpoint ${file} recorded: the file is damaged`);
      verified.set(key, bytes);
      return bytes;
    },
  };
}

/**
 * Remove what an interrupted write can leave in a run directory: atomic-write temp files
 * (in the run folder, checkpoints/ and tb/) and checkpoint side files whose checkpoint JSON
 * was never written. Returns the removed paths.
 */
export function cleanRunDir(runDir: string): string[] {
  const removed: string[] = [];
  const remove = (path: string) => {
    unlinkSync(path);
    removed.push(path);
  };
  for (const sub of ['', 'checkpoints', 'tb']) {
    const dir = join(runDir, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (isAtomicWriteTemp(f)) remove(join(dir, f));
  }
  const ckptDir = join(runDir, 'checkpoints');
  if (existsSync(ckptDir)) {
    const names = readdirSync(ckptDir);
    const stems = new Set(names.filter((f) => CHECKPOINT_NAME.test(f)).map((f) => f.replace(/\.json$/, '')));
    for (const f of names) {
      const m = /^(ckpt-\d+)\..+\.bin$/.exec(f);
      if (m && !stems.has(m[1])) remove(join(ckptDir, f));
    }
  }
  return removed;
}
