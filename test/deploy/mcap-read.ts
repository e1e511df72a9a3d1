// Read an MCAP file record by record with @mcap/core's stream reader, the way a viewer
// would read a file cut short by a crash: everything up to the last complete chunk.
import { readFileSync } from 'node:fs';
import { McapStreamReader } from '@mcap/core';

export interface ReadBack {
  topics: Map<number, string>;
  schemas: Map<string, unknown>;
  messages: { topic: string; logTime: bigint; data: any }[];
  counts: Record<string, number>;
  /** The file ended with its footer (closed cleanly). */
  complete: boolean;
  /** Bytes left unparsed at the end (a partial chunk after a crash). */
  trailingBytes: number;
}

export function readMcap(file: string): ReadBack {
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(readFileSync(file));
  const topics = new Map<number, string>();
  const schemas = new Map<string, unknown>();
  const schemaNames = new Map<number, string>();
  const messages: ReadBack['messages'] = [];
  const counts: Record<string, number> = {};
  const dec = new TextDecoder();
  let complete = false;
  for (let rec; (rec = reader.nextRecord()); ) {
    if (rec.type === 'Schema') { schemaNames.set(rec.id, rec.name); schemas.set(rec.name, JSON.parse(dec.decode(rec.data))); }
    else if (rec.type === 'Channel') topics.set(rec.id, rec.topic);
    else if (rec.type === 'Message') {
      const topic = topics.get(rec.channelId) ?? `#${rec.channelId}`;
      messages.push({ topic, logTime: rec.logTime, data: JSON.parse(dec.decode(rec.data)) });
      counts[topic] = (counts[topic] ?? 0) + 1;
    } else if (rec.type === 'Footer') complete = true;
  }
  return { topics, schemas, messages, counts, complete, trailingBytes: reader.bytesRemaining() };
}
