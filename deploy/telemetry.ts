// Telemetry to an MCAP file (JSON messages with JSON schemas, readable in Foxglove).
// Written incrementally in chunks straight to the target file: a crash or SIGKILL loses at
// most the chunk being filled, and everything before it reads with McapStreamReader. (Not
// temp + rename: a flight log must survive the crash it is meant to explain.)
// The tick only queues a message; a drain loop hands them to McapWriter, whose file writes
// are asynchronous (libuv's pool), so a slow or full disk never blocks the control loop. The
// queue is bounded (telemetry.maxQueueBytes): beyond it messages are dropped and counted. A
// write error (ENOSPC, EIO) stops the recording with one warning; the loop runs on.
import { open, type FileHandle } from 'node:fs/promises';
import { McapWriter, type IWritable } from '@mcap/core';

/** Channel topics and their JSON schemas; docs/deploy.md documents the same. */
export const TELEMETRY_CHANNELS = {
  state: {
    topic: '/deploy/state',
    schema: {
      type: 'object',
      properties: {
        tick: { type: 'integer' }, stampMs: { type: 'number', description: 'state sample time, host monotonic ms' },
        ageMs: { type: 'number' }, orientation: { type: 'array', items: { type: 'number' } },
        gyro: { type: 'array', items: { type: 'number' } }, wheelVelocity: { type: 'array', items: { type: 'number' } },
        tiltDeg: { type: 'number' }, faultFlags: { type: 'number' },
      },
    },
  },
  observation: {
    topic: '/deploy/observation',
    schema: { type: 'object', properties: { tick: { type: 'integer' }, obs: { type: 'array', items: { type: 'number' } } } },
  },
  action: {
    topic: '/deploy/action',
    schema: {
      type: 'object',
      properties: {
        tick: { type: 'integer' }, mode: { type: 'string', enum: ['DISARMED', 'ARMING', 'RUNNING', 'ESTOP'] },
        raw: { type: 'array', items: { type: 'number' }, description: 'policy output in [-1, 1] (before safety)' },
        rawTorqueNm: { type: 'array', items: { type: 'number' } },
        safeTorqueNm: { type: 'array', items: { type: 'number' }, description: 'what was sent to the robot' },
        rampScale: { type: 'number' }, clipped: { type: 'boolean' }, slewLimited: { type: 'boolean' },
      },
    },
  },
  timing: {
    topic: '/deploy/timing',
    schema: {
      type: 'object',
      properties: {
        tick: { type: 'integer' }, deadlineMs: { type: 'number' }, wakeLatenessUs: { type: 'number' },
        latenessUs: { type: 'number' }, computeUs: { type: 'number' }, inferenceUs: { type: 'number' },
        stateToCommandUs: { type: 'number' }, missedDeadlines: { type: 'integer' }, overrun: { type: 'boolean' },
      },
    },
  },
  safety: {
    topic: '/deploy/safety',
    schema: {
      type: 'object',
      properties: {
        tick: { type: 'integer' }, rule: { type: 'string' }, effect: { type: 'string', enum: ['estop', 'limit', 'info', 'refused'] },
        detail: { type: 'string' }, mode: { type: 'string' },
      },
    },
  },
  link: {
    topic: '/deploy/link',
    schema: {
      type: 'object',
      description: 'the link frame counters, once a second and at the end of the run',
      properties: {
        tick: { type: 'integer' }, framesOk: { type: 'integer' }, malformed: { type: 'integer' }, badCrc: { type: 'integer' },
        unknownType: { type: 'integer' }, tooLong: { type: 'integer' }, stale: { type: 'integer', description: 'duplicated or replayed frames, dropped' },
        gaps: { type: 'integer', description: 'frames lost, by sequence number' },
      },
    },
  },
  mode: {
    topic: '/deploy/mode',
    schema: { type: 'object', properties: { tick: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, reason: { type: 'string' } } },
  },
  truth: {
    topic: '/sim/truth',
    schema: {
      type: 'object',
      properties: {
        tick: { type: 'integer' }, simTimeS: { type: 'number' }, tiltDeg: { type: 'number' },
        ballPosition: { type: 'array', items: { type: 'number' } }, ballVelocity: { type: 'array', items: { type: 'number' } },
        bodyOrientation: { type: 'array', items: { type: 'number' } }, ballOrientation: { type: 'array', items: { type: 'number' } },
        wheelTorque: { type: 'array', items: { type: 'number' } },
      },
    },
  },
  depth: perceptionChannel('depth', 'depth image, m (z-depth along the optical axis), row-major [row][column], row 0 at the top; 0 = no reading'),
  height_scan: perceptionChannel('height_scan', 'height scan, m above the ball\'s contact point, row-major [y][x] in the heading frame; 0 = no reading'),
} as const;

/** One perception input's frames, each recorded once, when it is new (at the sensor's rate). */
function perceptionChannel(input: string, description: string) {
  return {
    topic: `/deploy/perception/${input}`,
    schema: {
      type: 'object',
      description,
      properties: {
        tick: { type: 'integer', description: 'control tick that first fed this frame' },
        stampMs: { type: 'number', description: 'capture time, host monotonic ms' },
        seq: { type: 'integer' },
        shape: { type: 'array', items: { type: 'integer' }, description: 'the input shape without the batch dimension' },
        data: { type: 'array', items: { type: 'number' } },
      },
    },
  } as const;
}

export type ChannelName = keyof typeof TELEMETRY_CHANNELS;

/** The target file; each write resolves once the bytes are in the kernel (McapWriter reuses its buffer after). */
class FileWritable implements IWritable {
  private pos = 0n;
  constructor(readonly fh: FileHandle) {}
  async write(buffer: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buffer.length) off += (await this.fh.write(buffer, off, buffer.length - off)).bytesWritten;
    this.pos += BigInt(buffer.length);
  }
  position(): bigint { return this.pos; }
}

const encoder = new TextEncoder();
/** Frames are float32: six significant digits keep them exactly enough and the JSON short. */
const round6 = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);

/** A queued message: encoded, or (perception frames) a copy encoded by the drain loop, off the tick. */
interface Queued { channelId: number; sequence: number; logTime: bigint; data: Uint8Array | null; encode: (() => Uint8Array) | null; bytes: number }

export interface TelemetryOptions {
  chunkBytes: number;
  channels: ChannelName[];
  metadata?: Record<string, string>;
  /** Bytes of queued messages beyond which new ones are dropped. Default 16 MiB. */
  maxQueueBytes?: number;
  /** Receives the one warning when the recording stops early (disk full, write error). */
  warn?: (line: string) => void;
}

export class Telemetry {
  private readonly writer: McapWriter;
  private readonly fileOut: FileWritable;
  private readonly ids = new Map<ChannelName, number>();
  private readonly queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private draining: Promise<void> | null = null;
  private closed = false;
  /** Why the recording stopped early, or null while it runs. */
  failure: Error | null = null;
  /** Messages dropped because the queue was full or the recording had stopped. */
  dropped = 0;
  private seq = 0;
  readonly counts: Record<ChannelName, number> = { state: 0, observation: 0, action: 0, timing: 0, safety: 0, link: 0, mode: 0, truth: 0, depth: 0, height_scan: 0 };

  private constructor(readonly file: string, fh: FileHandle, chunkBytes: number, private readonly maxQueueBytes: number, private readonly warn: (line: string) => void) {
    this.fileOut = new FileWritable(fh);
    this.writer = new McapWriter({ writable: this.fileOut, chunkSize: chunkBytes, useChunks: true });
  }

  static async open(file: string, options: TelemetryOptions): Promise<Telemetry> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'w');
    } catch (err) {
      throw new Error(`--record ${file}: cannot create the recording: ${(err as Error).message}`);
    }
    const t = new Telemetry(file, fh, options.chunkBytes, options.maxQueueBytes ?? 16 * 1024 * 1024, options.warn ?? (() => {}));
    try {
      await t.writer.start({ profile: '', library: 'ballbot deploy' });
      for (const name of options.channels) {
        const ch = TELEMETRY_CHANNELS[name];
        const schemaId = await t.writer.registerSchema({
          name: `ballbot.${name}`, encoding: 'jsonschema', data: encoder.encode(JSON.stringify(ch.schema)),
        });
        t.ids.set(name, await t.writer.registerChannel({ topic: ch.topic, messageEncoding: 'json', schemaId, metadata: new Map() }));
      }
      if (options.metadata) await t.writer.addMetadata({ name: 'deploy', metadata: new Map(Object.entries(options.metadata)) });
    } catch (err) {
      await fh.close().catch(() => {});
      throw new Error(`--record ${file}: cannot write the recording: ${(err as Error).message}`);
    }
    return t;
  }

  has(name: ChannelName): boolean { return this.ids.has(name); }

  /** True while messages are being recorded (false after close or a write failure). */
  get recording(): boolean { return !this.closed && this.failure === null; }

  /** Queue one message; `timeMs` is on the performance.now() clock. Never waits for the disk. */
  log(name: ChannelName, timeMs: number, message: unknown): void {
    const channelId = this.ids.get(name);
    if (channelId === undefined || this.closed) return;
    if (this.failure) { this.dropped++; return; }
    const data = encoder.encode(JSON.stringify(message));
    this.enqueue(name, channelId, timeMs, data, null, data.length);
  }

  /**
   * Queue one perception frame on its input's channel (`header` plus the frame's `shape` and
   * `data`): the values are copied now, encoded to JSON by the drain loop, off the tick.
   */
  logFrame(input: string, timeMs: number, header: Record<string, number>, frame: Float32Array, shape: readonly number[] = [frame.length]): void {
    const name = input as ChannelName;
    const channelId = this.ids.get(name);
    if (channelId === undefined || this.closed) return;
    if (this.failure) { this.dropped++; return; }
    const copy = Float32Array.from(frame);
    // Estimate of the encoded size, for the queue bound: about 10 characters a value.
    const bytes = 64 + copy.length * 10;
    this.enqueue(name, channelId, timeMs, null, () => encoder.encode(JSON.stringify({ ...header, shape, data: Array.from(copy, round6) })), bytes);
  }

  private enqueue(name: ChannelName, channelId: number, timeMs: number, data: Uint8Array | null, encode: (() => Uint8Array) | null, bytes: number): void {
    if (this.queuedBytes + bytes > this.maxQueueBytes) { this.dropped++; return; }
    const logTime = BigInt(Math.round((performance.timeOrigin + timeMs) * 1e6));
    this.queue.push({ channelId, sequence: this.seq++, logTime, data, encode, bytes });
    this.queuedBytes += bytes;
    this.counts[name]++;
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    // Start after the caller's tick has returned: encoding and writing never run inside it.
    await Promise.resolve();
    try {
      while (this.head < this.queue.length && !this.failure) {
        const m = this.queue[this.head++];
        this.queuedBytes -= m.bytes;
        const data = m.data ?? m.encode!();
        await this.writer.addMessage({ channelId: m.channelId, sequence: m.sequence, logTime: m.logTime, publishTime: m.logTime, data });
        if (this.head >= 1024) { this.queue.splice(0, this.head); this.head = 0; }
      }
    } catch (err) {
      this.stopRecording(err as Error);
    } finally {
      this.draining = null;
    }
  }

  private stopRecording(err: Error): void {
    this.failure = err;
    this.dropped += this.queue.length - this.head;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
    this.warn(`deploy: warning: recording ${this.file} stopped: ${err.message}; the control loop runs on without telemetry`);
  }

  /** Write what is queued, the summary and the footer; safe to call twice. Rejects if the recording failed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining) await this.draining;
    try {
      if (!this.failure) {
        try {
          await this.writer.end();
          await this.fileOut.fh.sync();
        } catch (err) {
          this.stopRecording(err as Error);
        }
      }
    } finally {
      await this.fileOut.fh.close().catch(() => {});
    }
    if (this.failure) throw new Error(`telemetry ${this.file}: ${this.failure.message} (${this.dropped} messages not recorded)`);
  }
}
