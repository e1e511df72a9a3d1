// Telemetry to an MCAP file (JSON messages with JSON schemas, readable in Foxglove).
// Written incrementally in chunks straight to the target file: a crash or SIGKILL loses at
// most the chunk being filled, and everything before it reads with McapStreamReader. (Not
// temp + rename: a flight log must survive the crash it is meant to explain.) McapWriter
// needs its calls serialized, so messages go through one promise chain, off the tick's path.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
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
} as const;

export type ChannelName = keyof typeof TELEMETRY_CHANNELS;

/** A file opened for appending; write() is synchronous under the promise the writer wants. */
class FileWritable implements IWritable {
  private pos = 0n;
  constructor(readonly fd: number) {}
  write(buffer: Uint8Array): Promise<void> {
    let off = 0;
    while (off < buffer.length) off += writeSync(this.fd, buffer, off, buffer.length - off);
    this.pos += BigInt(buffer.length);
    return Promise.resolve();
  }
  position(): bigint { return this.pos; }
}

const encoder = new TextEncoder();

export class Telemetry {
  private readonly writer: McapWriter;
  private readonly fileOut: FileWritable;
  private chain: Promise<unknown>;
  private readonly ids = new Map<ChannelName, number>();
  private closed = false;
  private failure: Error | null = null;
  private seq = 0;
  readonly counts: Record<ChannelName, number> = { state: 0, observation: 0, action: 0, timing: 0, safety: 0, mode: 0, truth: 0 };

  private constructor(readonly file: string, chunkBytes: number) {
    this.fileOut = new FileWritable(openSync(file, 'w'));
    this.writer = new McapWriter({ writable: this.fileOut, chunkSize: chunkBytes, useChunks: true });
    this.chain = Promise.resolve();
  }

  static async open(file: string, options: { chunkBytes: number; channels: ChannelName[]; metadata?: Record<string, string> }): Promise<Telemetry> {
    const t = new Telemetry(file, options.chunkBytes);
    await t.writer.start({ profile: '', library: 'ballbot deploy' });
    for (const name of options.channels) {
      const ch = TELEMETRY_CHANNELS[name];
      const schemaId = await t.writer.registerSchema({
        name: `ballbot.${name}`, encoding: 'jsonschema', data: encoder.encode(JSON.stringify(ch.schema)),
      });
      t.ids.set(name, await t.writer.registerChannel({ topic: ch.topic, messageEncoding: 'json', schemaId, metadata: new Map() }));
    }
    if (options.metadata) await t.writer.addMetadata({ name: 'deploy', metadata: new Map(Object.entries(options.metadata)) });
    return t;
  }

  has(name: ChannelName): boolean { return this.ids.has(name); }

  /** Queue one message; `timeMs` is on the performance.now() clock. */
  log(name: ChannelName, timeMs: number, message: unknown): void {
    const channelId = this.ids.get(name);
    if (channelId === undefined || this.closed) return;
    const logTime = BigInt(Math.round((performance.timeOrigin + timeMs) * 1e6));
    const data = encoder.encode(JSON.stringify(message));
    const sequence = this.seq++;
    this.counts[name]++;
    this.chain = this.chain.then(() => this.writer.addMessage({ channelId, sequence, logTime, publishTime: logTime, data }))
      .catch((err: Error) => { this.failure ??= err; });
  }

  /** Flush the open chunk and write the summary; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    try {
      await this.writer.end();
      fsyncSync(this.fileOut.fd);
    } finally {
      closeSync(this.fileOut.fd);
    }
    if (this.failure) throw new Error(`telemetry ${this.file}: ${this.failure.message}`);
  }
}
