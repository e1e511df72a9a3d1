// Read the JSON messages of an MCAP file (deploy telemetry) with @mcap/core's stream reader,
// so a file cut short by a crash still reads up to its last complete chunk. Shared by the
// viewer and by replay / system identification.
import { readFileSync } from 'node:fs';
import { McapStreamReader, type McapTypes } from '@mcap/core';

export interface McapMessage {
  /** Channel topic without its leading slash, e.g. 'deploy/state'. */
  topic: string;
  logTimeNs: bigint;
  value: Record<string, unknown>;
}

export interface McapJson {
  messages: McapMessage[];
  metadata: Map<string, Map<string, string>>;
  /** The file ends early (a damaged or missing tail). */
  truncated: boolean;
}

/**
 * Every JSON message in the file, in file order. A file cut short by a crash (its last record
 * incomplete) reads up to there (`truncated`); a record that does not parse, or a file with no
 * message before its unreadable tail, is an error naming the file and the byte offset.
 */
export function readMcapJsonMessages(file: string): McapJson {
  const bytes = readFileSync(file);
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(bytes);
  const channels = new Map<number, McapTypes.Channel>();
  const messages: McapMessage[] = [];
  const metadata = new Map<string, Map<string, string>>();
  const decoder = new TextDecoder();
  const offset = () => bytes.length - reader.bytesRemaining();
  for (;;) {
    let record: McapTypes.TypedMcapRecord | undefined;
    const at = offset();
    try {
      record = reader.nextRecord();
    } catch (err) {
      throw new Error(`${file}: not a readable MCAP file: bad record at byte ${at}: ${(err as Error).message}`);
    }
    if (!record) break;
    if (record.type === 'Channel') channels.set(record.id, record);
    else if (record.type === 'Metadata') metadata.set(record.name, record.metadata);
    else if (record.type === 'Message') {
      const ch = channels.get(record.channelId);
      if (!ch || ch.messageEncoding !== 'json') continue;
      try {
        const value = JSON.parse(decoder.decode(record.data)) as Record<string, unknown>;
        if (value && typeof value === 'object') messages.push({ topic: ch.topic.replace(/^\/+/, ''), logTimeNs: record.logTime, value });
      } catch {
        /* a message that is not JSON is skipped; the rest still reads */
      }
    }
  }
  const truncated = !reader.done();
  if (truncated && messages.length === 0) {
    throw new Error(`${file}: no message could be read (cut short or damaged): the data from byte ${offset()} on (${reader.bytesRemaining()} bytes) is not a complete MCAP record`);
  }
  return { messages, metadata, truncated };
}
