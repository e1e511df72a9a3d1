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

/** Every JSON message in the file, in file order; stops quietly at a damaged tail. */
export function readMcapJsonMessages(file: string): McapJson {
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(readFileSync(file));
  const channels = new Map<number, McapTypes.Channel>();
  const messages: McapMessage[] = [];
  const metadata = new Map<string, Map<string, string>>();
  const decoder = new TextDecoder();
  let truncated = false;
  for (;;) {
    let record: McapTypes.TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch {
      truncated = true;
      break;
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
  if (!reader.done()) truncated = true;
  return { messages, metadata, truncated };
}
