// The message definitions of the ballbot serial protocol (PROTOCOL.md is the prose contract).
// This table is the single source: payload offsets, lengths and the schema hash all derive
// from it, and the C implementation carries the same schema text (checked by the tests).
import { crc32cText } from '../common/crc32c.js';

export const PROTOCOL_VERSION = 1;

export type FieldType = 'u8' | 'u16' | 'u32' | 'f32' | 'char';
export interface FieldDef {
  name: string;
  type: FieldType;
  count: number;
}
export interface MessageDef {
  name: MessageName;
  id: number;
  fields: FieldDef[];
}

export const MSG = { HELLO: 1, STATE: 2, COMMAND: 3, ARM: 4, ESTOP: 5, HEARTBEAT: 6, FAULT: 7 } as const;
export type MessageName = keyof typeof MSG;

const f = (name: string, type: FieldType, count = 1): FieldDef => ({ name, type, count });

const MESSAGES: readonly MessageDef[] = [
  {
    name: 'HELLO', id: MSG.HELLO, fields: [
      f('protocol_version', 'u16'), f('schema_hash', 'u32'), f('role', 'u8'), f('status', 'u8'),
      f('watchdog_ms', 'u16'), f('control_rate_hz', 'u16'), f('max_torque_nm', 'f32'), f('nonce', 'u32'),
    ],
  },
  {
    name: 'STATE', id: MSG.STATE, fields: [
      f('time_us', 'u32'), f('command_seq_echo', 'u32'), f('orientation', 'f32', 4), f('gyro', 'f32', 3),
      f('wheel_velocity', 'f32', 3), f('wheel_torque', 'f32', 3), f('battery_mv', 'u16'), f('fault_flags', 'u16'),
      f('mode', 'u8'), f('reserved', 'u8'),
    ],
  },
  {
    name: 'COMMAND', id: MSG.COMMAND, fields: [
      f('control_seq', 'u32'), f('torque', 'f32', 3), f('mode', 'u8'), f('reserved', 'u8', 3),
    ],
  },
  { name: 'ARM', id: MSG.ARM, fields: [f('key', 'u32'), f('control_seq', 'u32')] },
  {
    name: 'ESTOP', id: MSG.ESTOP, fields: [
      f('reason_code', 'u16'), f('reason_len', 'u8'), f('reserved', 'u8'), f('reason', 'char', 16),
    ],
  },
  {
    name: 'HEARTBEAT', id: MSG.HEARTBEAT, fields: [
      f('time_us', 'u32'), f('control_seq', 'u32'), f('mode', 'u8'), f('reserved', 'u8'), f('fault_flags', 'u16'),
    ],
  },
  {
    name: 'FAULT', id: MSG.FAULT, fields: [
      f('fault_code', 'u16'), f('fault_flags', 'u16'), f('time_us', 'u32'), f('value', 'f32'),
    ],
  },
];

const SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, f32: 4, char: 1 };

/** Byte offset of every field inside its payload, and the payload length of every message. */
function payloadLayout(def: MessageDef): { offsets: Record<string, number>; length: number } {
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const fd of def.fields) {
    offsets[fd.name] = at;
    at += SIZE[fd.type] * fd.count;
  }
  return { offsets, length: at };
}

export const LAYOUT = Object.fromEntries(MESSAGES.map((m) => [m.name, payloadLayout(m)])) as Record<
  MessageName, { offsets: Record<string, number>; length: number }
>;

/** Payload length by message id (0 = unknown id). */
export const PAYLOAD_LENGTH = new Uint8Array(256);
for (const m of MESSAGES) PAYLOAD_LENGTH[m.id] = LAYOUT[m.name].length;

export function messageName(id: number): MessageName | undefined {
  return MESSAGES.find((m) => m.id === id)?.name;
}
/** Frame header: type (u8), seq (u16). Trailer: CRC-32C (u32) over header and payload. */
export const HEADER_LENGTH = 3;
export const CRC_LENGTH = 4;
const MAX_PAYLOAD_LENGTH = Math.max(...MESSAGES.map((m) => LAYOUT[m.name].length));
export const MAX_FRAME_LENGTH = HEADER_LENGTH + MAX_PAYLOAD_LENGTH + CRC_LENGTH;
/** Longest COBS-encoded frame (without its 0x00 delimiter); the decoder drops anything longer. */
export const MAX_ENCODED_LENGTH = MAX_FRAME_LENGTH + 1;

/**
 * Canonical text of every message definition plus the frame format. Its CRC-32C is the schema
 * hash exchanged in HELLO: peers built from different definitions refuse each other.
 */
export function schemaText(): string {
  const lines = [`ballbot-link frame=type:u8,seq:u16,payload,crc32c:u32 cobs delimiter=0x00`];
  for (const m of MESSAGES) lines.push(`${m.id} ${m.name} ${m.fields.map((fd) => `${fd.name}:${fd.type}[${fd.count}]`).join(',')}`);
  return lines.join('\n') + '\n';
}

export const SCHEMA_HASH = crc32cText(schemaText());

/** HELLO.role */
export const ROLE = { HOST: 0, FIRMWARE: 1 } as const;
/** HELLO.status (in the firmware's reply) */
export const HELLO_STATUS = { OK: 0, VERSION_MISMATCH: 1, SCHEMA_MISMATCH: 2 } as const;
/** STATE.mode / HEARTBEAT.mode */
export const MODE = { DISARMED: 0, ARMED: 1, ESTOP: 2 } as const;
/** COMMAND.mode */
export const COMMAND_MODE = { TORQUE: 0, ZERO: 1 } as const;
/** ARM.key: the bytes 'A' 'R' 'M' '!' so a stray frame cannot arm by accident. */
export const ARM_KEY = 0x214d5241;
/** STATE.fault_flags / FAULT.fault_code bits. */
export const FAULT = {
  WATCHDOG: 1 << 0, // no valid COMMAND within the watchdog time: motors zeroed, e-stop latched
  ESTOP: 1 << 1, // e-stop latched (by ESTOP, watchdog or fault)
  TORQUE_CLAMPED: 1 << 2, // a command exceeded the torque limit and was clamped
  BAD_COMMAND: 1 << 3, // a command held NaN/Inf: ignored
  LOW_BATTERY: 1 << 4,
  NOT_PAIRED: 1 << 5, // no successful handshake yet: commands ignored
  HANDSHAKE_REJECTED: 1 << 6, // last HELLO had a wrong version or schema
  LINK_ERRORS: 1 << 7, // the firmware's decoder dropped frames since the last STATE
} as const;
/** ESTOP.reason_code */
export const ESTOP_REASON = { OPERATOR: 1, HOST_SAFETY: 2, LINK: 3, OTHER: 255 } as const;
