// Episode recordings: what `ballbot sim --record` and `ballbot eval --record` save and what
// `ballbot view` plays. JSON Lines: one header line, then one line per control tick or event,
// then an end line. Written to a temp file and renamed on close, so a crash never leaves a
// half-written recording; the end line lets the reader tell a complete file from a cut one.
// The format is documented in docs/viewer.md.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { atomicTempPath } from '../common/atomic-write.js';
import { z } from 'zod';
import { RobotConfigSchema, type RobotConfig } from './config/robot.js';
import type { PlantTruth } from './plant-api.js';
import type { Terrain as SimTerrain } from './terrain.js';

export const RECORDING_FORMAT = 'ballbot-recording';
export const RECORDING_VERSION = 1;

export class RecordingError extends Error {
  override name = 'RecordingError';
}

const finite = z.number().refine(Number.isFinite, { message: 'must be a finite number' });
const vec = (n: number) => z.array(finite).length(n);

/**
 * Terrain under the robot. A heightfield is a rows x cols grid of heights (m) centred on the
 * world origin: heights[i * cols + j] is the ground height at
 * x = -sizeX/2 + j * sizeX/(cols-1), y = -sizeY/2 + i * sizeY/(rows-1).
 */
export const TerrainSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('flat') }),
  z
    .strictObject({
      kind: z.literal('heightfield'),
      rows: z.number().int().min(2),
      cols: z.number().int().min(2),
      sizeX: finite.refine((v) => v > 0, { message: 'must be > 0' }),
      sizeY: finite.refine((v) => v > 0, { message: 'must be > 0' }),
      heights: z.array(finite),
    })
    .refine((t) => t.heights.length === t.rows * t.cols, { message: 'heights must have rows * cols entries', path: ['heights'] }),
]);
export type Terrain = z.output<typeof TerrainSchema>;

export const RecordingHeaderSchema = z.strictObject({
  format: z.literal(RECORDING_FORMAT),
  version: z.literal(RECORDING_VERSION),
  createdAt: z.string(),
  /** Control period, s. */
  controlDt: finite.refine((v) => v > 0, { message: 'must be > 0' }),
  robot: RobotConfigSchema,
  terrain: TerrainSchema,
  /** Free-form provenance: the command, controller or policy file, seed, task. */
  source: z.record(z.string(), z.unknown()).default({}),
});
export type RecordingHeader = z.output<typeof RecordingHeaderSchema>;
export type RecordingHeaderInput = Omit<z.input<typeof RecordingHeaderSchema>, 'format' | 'version' | 'createdAt'> & { createdAt?: string };

/** One control tick. Vectors are plain arrays once read back. */
export const RecordingFrameSchema = z.strictObject({
  type: z.literal('frame'),
  /** Sim time, s. */
  t: finite,
  ballPosition: vec(3),
  ballVelocity: vec(3).optional(),
  ballOrientation: vec(4),
  bodyOrientation: vec(4),
  tiltRad: finite,
  wheelVelocity: vec(3),
  /** Torque the motors deliver (after latency and the motor model), N m. */
  wheelTorque: vec(3),
  /** Commanded torque before the safety layer (controller output), N m. */
  rawTorque: vec(3),
  /** Commanded torque after the safety layer (what was sent), N m. */
  safeTorque: vec(3),
  /** Policy actions in [-1, 1] when the controller is a policy. */
  rawAction: vec(3).optional(),
  safeAction: vec(3).optional(),
  /** Commanded planar velocity (m/s) and yaw rate (rad/s). */
  command: vec(3),
  reward: finite.optional(),
});
export type RecordingFrame = z.output<typeof RecordingFrameSchema>;

export const RecordingEventSchema = z.discriminatedUnion('kind', [
  /** A push: the body's velocity changed by dv (m/s, world x and y). */
  z.strictObject({ type: z.literal('event'), kind: z.literal('push'), t: finite, dv: vec(2) }),
  /** A safety rule acted (clip, rate limit, tilt cutoff, watchdog, e-stop ...). */
  z.strictObject({ type: z.literal('event'), kind: z.literal('safety'), t: finite, rule: z.string().min(1), detail: z.string().optional() }),
  /** Anything else worth a marker (episode reset, command change). */
  z.strictObject({ type: z.literal('event'), kind: z.literal('note'), t: finite, text: z.string() }),
]);
export type RecordingEvent = z.output<typeof RecordingEventSchema>;

export const RecordingEndSchema = z.strictObject({
  type: z.literal('end'),
  frames: z.number().int().min(0),
  events: z.number().int().min(0),
  /** Why the episode ended: 'terminated', 'truncated', 'stopped' ... */
  reason: z.string().optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});
export type RecordingEnd = z.output<typeof RecordingEndSchema>;

export interface Recording {
  header: RecordingHeader;
  frames: RecordingFrame[];
  events: RecordingEvent[];
  end: RecordingEnd;
}

type Vec = ArrayLike<number>;

/** What the writer takes per tick: typed arrays straight from the plant are fine. */
export interface FrameInput {
  t: number;
  ballPosition: Vec;
  ballVelocity?: Vec;
  ballOrientation: Vec;
  bodyOrientation: Vec;
  tiltRad: number;
  wheelVelocity: Vec;
  wheelTorque: Vec;
  rawTorque: Vec;
  safeTorque: Vec;
  rawAction?: Vec;
  safeAction?: Vec;
  command: Vec;
  reward?: number;
}

export type EventInput =
  | { kind: 'push'; t: number; dv: Vec }
  | { kind: 'safety'; t: number; rule: string; detail?: string }
  | { kind: 'note'; t: number; text: string };

/** A frame from the plant's ground truth plus what the controller and safety layer commanded. */
export function frameFromTruth(
  truth: PlantTruth,
  commanded: { rawTorque: Vec; safeTorque: Vec; command: Vec; rawAction?: Vec; safeAction?: Vec; reward?: number },
): FrameInput {
  return {
    t: truth.timeS,
    ballPosition: truth.ballPosition,
    ballVelocity: truth.ballVelocity,
    ballOrientation: truth.ballOrientation,
    bodyOrientation: truth.bodyOrientation,
    tiltRad: truth.tiltRad,
    wheelVelocity: truth.wheelVelocity,
    wheelTorque: truth.wheelTorque,
    ...commanded,
  };
}

const FRAME_VECTORS: Array<[keyof FrameInput, number]> = [
  ['ballPosition', 3], ['ballVelocity', 3], ['ballOrientation', 4], ['bodyOrientation', 4], ['wheelVelocity', 3],
  ['wheelTorque', 3], ['rawTorque', 3], ['safeTorque', 3], ['rawAction', 3], ['safeAction', 3], ['command', 3],
];

function checkNumber(value: number, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RecordingError(`${where} must be a finite number, got ${value}`);
  return value;
}

function toArray(v: Vec, n: number, where: string): number[] {
  if (!v || v.length !== n) throw new RecordingError(`${where} must have ${n} entries, got ${v ? v.length : v}`);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = checkNumber(v[i], `${where}[${i}]`);
  return out;
}

const FLUSH_BYTES = 1 << 16;

/**
 * Streams a recording to `<file>` through a temp file in the same directory. Nothing appears
 * at `file` until close(); abort() (or a crash) leaves the previous file, if any, untouched.
 */
export class RecordingWriter {
  readonly file: string;
  private readonly tmp: string;
  private fd: number | null;
  private pending: string[] = [];
  private pendingBytes = 0;
  private frames = 0;
  private events = 0;
  private lastT = -Infinity;

  constructor(file: string, header: RecordingHeaderInput) {
    this.file = file;
    const parsed = RecordingHeaderSchema.safeParse({ ...header, format: RECORDING_FORMAT, version: RECORDING_VERSION, createdAt: header.createdAt ?? new Date().toISOString() });
    if (!parsed.success) throw new RecordingError(`recording header: ${formatIssues(parsed.error)}`);
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true });
    this.tmp = atomicTempPath(file);
    this.fd = openSync(this.tmp, 'w');
    this.push(JSON.stringify(parsed.data));
  }

  get frameCount(): number {
    return this.frames;
  }

  frame(f: FrameInput): void {
    const where = `recording frame ${this.frames}`;
    const t = checkNumber(f.t, `${where}.t`);
    if (t < this.lastT) throw new RecordingError(`${where}.t = ${t} goes back in time (previous ${this.lastT})`);
    this.lastT = t;
    const out: Record<string, unknown> = { type: 'frame', t };
    for (const [key, n] of FRAME_VECTORS) {
      const v = f[key] as Vec | undefined;
      if (v !== undefined) out[key] = toArray(v, n, `${where}.${key}`);
      else if (key !== 'ballVelocity' && key !== 'rawAction' && key !== 'safeAction') throw new RecordingError(`${where}.${key} is missing`);
    }
    out.tiltRad = checkNumber(f.tiltRad, `${where}.tiltRad`);
    if (f.reward !== undefined) out.reward = checkNumber(f.reward, `${where}.reward`);
    this.push(JSON.stringify(out));
    this.frames++;
  }

  event(e: EventInput): void {
    const where = `recording event ${this.events} (${e.kind})`;
    const t = checkNumber(e.t, `${where}.t`);
    let out: RecordingEvent;
    if (e.kind === 'push') out = { type: 'event', kind: 'push', t, dv: toArray(e.dv, 2, `${where}.dv`) };
    else if (e.kind === 'safety') out = { type: 'event', kind: 'safety', t, rule: e.rule, ...(e.detail !== undefined ? { detail: e.detail } : {}) };
    else if (e.kind === 'note') out = { type: 'event', kind: 'note', t, text: e.text };
    else throw new RecordingError(`${where}: unknown event kind`);
    this.push(JSON.stringify(out));
    this.events++;
  }

  /** Write the end line, flush, fsync and rename into place. */
  close(end: { reason?: string; summary?: Record<string, unknown> } = {}): void {
    if (this.fd === null) throw new RecordingError(`recording ${this.file} is already closed`);
    this.push(JSON.stringify({ type: 'end', frames: this.frames, events: this.events, ...end }));
    this.flush();
    const fd = this.fd;
    this.fd = null;
    fsyncSync(fd);
    closeSync(fd);
    renameSync(this.tmp, this.file);
  }

  /** Drop the temp file; `file` is left as it was. */
  abort(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
  }

  private push(line: string): void {
    if (this.fd === null) throw new RecordingError(`recording ${this.file} is closed`);
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.fd === null || this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join('\n') + '\n', 'utf8');
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
    this.pending = [];
    this.pendingBytes = 0;
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Parse recording text; errors name the file, the line and the key. */
export function parseRecording(text: string, file = '<recording>'): Recording {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new RecordingError(`${file}: empty file, expected a ${RECORDING_FORMAT} header line`);
  const json = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]);
    } catch (err) {
      throw new RecordingError(`${file}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  };
  const first = json(0) as Record<string, unknown> | null;
  if (!first || typeof first !== 'object' || first.format !== RECORDING_FORMAT) {
    throw new RecordingError(`${file}:1: not a ${RECORDING_FORMAT} file (header line has format ${JSON.stringify(first && typeof first === 'object' ? first.format : first)})`);
  }
  if (first.version !== RECORDING_VERSION) throw new RecordingError(`${file}:1: recording version ${String(first.version)} is not supported (this build reads version ${RECORDING_VERSION})`);
  const header = RecordingHeaderSchema.safeParse(first);
  if (!header.success) throw new RecordingError(`${file}:1: header: ${formatIssues(header.error)}`);
  const frames: RecordingFrame[] = [];
  const events: RecordingEvent[] = [];
  let end: RecordingEnd | null = null;
  for (let i = 1; i < lines.length; i++) {
    if (end) throw new RecordingError(`${file}:${i + 1}: content after the end line`);
    const value = json(i) as { type?: unknown };
    const type = value && typeof value === 'object' ? value.type : undefined;
    if (type === 'frame') {
      const r = RecordingFrameSchema.safeParse(value);
      if (!r.success) throw new RecordingError(`${file}:${i + 1}: frame: ${formatIssues(r.error)}`);
      if (frames.length && r.data.t < frames[frames.length - 1].t) throw new RecordingError(`${file}:${i + 1}: frame time ${r.data.t} goes back in time`);
      frames.push(r.data);
    } else if (type === 'event') {
      const r = RecordingEventSchema.safeParse(value);
      if (!r.success) throw new RecordingError(`${file}:${i + 1}: event: ${formatIssues(r.error)}`);
      events.push(r.data);
    } else if (type === 'end') {
      const r = RecordingEndSchema.safeParse(value);
      if (!r.success) throw new RecordingError(`${file}:${i + 1}: end: ${formatIssues(r.error)}`);
      end = r.data;
    } else {
      throw new RecordingError(`${file}:${i + 1}: unknown line type ${JSON.stringify(type)} (expected frame, event or end)`);
    }
  }
  if (!end) throw new RecordingError(`${file}: no end line: the recording was cut short (${frames.length} frames read)`);
  if (end.frames !== frames.length || end.events !== events.length) {
    throw new RecordingError(`${file}: end line says ${end.frames} frames and ${end.events} events, file has ${frames.length} and ${events.length}`);
  }
  return { header: header.data, frames, events, end };
}

export function readRecording(file: string): Recording {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RecordingError(`cannot read recording ${file}: ${(err as Error).message}`);
  }
  return parseRecording(text, file);
}

/** Header input for a plant: its robot, control period and flat terrain unless given. */
export function headerFor(robot: RobotConfig, controlDt: number, extra: { terrain?: Terrain; source?: Record<string, unknown> } = {}): RecordingHeaderInput {
  return { robot, controlDt, terrain: extra.terrain ?? { kind: 'flat' }, source: extra.source ?? {} };
}

/** The sim's terrain (null = flat) in the recording's layout: row i = y, column j = x, both from -size/2. */
export function terrainForRecording(terrain: SimTerrain | null): Terrain {
  if (!terrain) return { kind: 'flat' };
  const n = terrain.cells + 1;
  return { kind: 'heightfield', rows: n, cols: n, sizeX: terrain.size, sizeY: terrain.size, heights: Array.from(terrain.heights) };
}
