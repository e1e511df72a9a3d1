// Frame encoder and stream decoder for the ballbot serial protocol. Neither allocates per
// frame: both own fixed buffers and preallocated message objects, reused frame after frame.
// The decoder never throws on any byte sequence; it counts what it drops.
import { cobsDecode, cobsEncode } from './cobs.js';
import { crc32c } from '../common/crc32c.js';
import {
  CRC_LENGTH, HEADER_LENGTH, LAYOUT, MAX_ENCODED_LENGTH, MAX_FRAME_LENGTH, MSG, PAYLOAD_LENGTH,
} from './messages.js';

export interface HelloMsg {
  protocolVersion: number; schemaHash: number; role: number; status: number;
  watchdogMs: number; controlRateHz: number; maxTorqueNm: number; nonce: number;
}
export interface StateMsg {
  timeUs: number; commandSeqEcho: number;
  orientation: Float64Array; gyro: Float64Array; wheelVelocity: Float64Array; wheelTorque: Float64Array;
  batteryMv: number; faultFlags: number; mode: number;
}
export interface CommandMsg { controlSeq: number; torque: Float64Array; mode: number }
export interface ArmMsg { key: number; controlSeq: number }
export interface EstopMsg { reasonCode: number; reasonLen: number; reason: Uint8Array }
export interface HeartbeatMsg { timeUs: number; controlSeq: number; mode: number; faultFlags: number }
export interface FaultMsg { faultCode: number; faultFlags: number; timeUs: number; value: number }

export const newHello = (): HelloMsg => ({ protocolVersion: 0, schemaHash: 0, role: 0, status: 0, watchdogMs: 0, controlRateHz: 0, maxTorqueNm: 0, nonce: 0 });
export const newState = (): StateMsg => ({
  timeUs: 0, commandSeqEcho: 0, orientation: new Float64Array([0, 0, 0, 1]), gyro: new Float64Array(3),
  wheelVelocity: new Float64Array(3), wheelTorque: new Float64Array(3), batteryMv: 0, faultFlags: 0, mode: 0,
});
export const newCommand = (): CommandMsg => ({ controlSeq: 0, torque: new Float64Array(3), mode: 0 });
export const newArm = (): ArmMsg => ({ key: 0, controlSeq: 0 });
export const newEstop = (): EstopMsg => ({ reasonCode: 0, reasonLen: 0, reason: new Uint8Array(16) });
export const newHeartbeat = (): HeartbeatMsg => ({ timeUs: 0, controlSeq: 0, mode: 0, faultFlags: 0 });
export const newFault = (): FaultMsg => ({ faultCode: 0, faultFlags: 0, timeUs: 0, value: 0 });

/** The reason text of an ESTOP (allocates a string: for logs, not the control loop). */
export function estopReasonText(m: EstopMsg): string {
  let s = '';
  for (let i = 0; i < Math.min(m.reasonLen, 16); i++) s += String.fromCharCode(m.reason[i]);
  return s;
}
/** Fill an ESTOP's reason from ASCII text (truncated to 16 bytes; non-ASCII becomes '?'). */
export function setEstopReason(m: EstopMsg, text: string): void {
  const n = Math.min(text.length, 16);
  m.reason.fill(0);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    m.reason[i] = c >= 0x20 && c < 0x7f ? c : 0x3f;
  }
  m.reasonLen = n;
}

const P = HEADER_LENGTH; // payload starts after the header
const O = {
  HELLO: LAYOUT.HELLO.offsets, STATE: LAYOUT.STATE.offsets, COMMAND: LAYOUT.COMMAND.offsets, ARM: LAYOUT.ARM.offsets,
  ESTOP: LAYOUT.ESTOP.offsets, HEARTBEAT: LAYOUT.HEARTBEAT.offsets, FAULT: LAYOUT.FAULT.offsets,
};

/**
 * Encodes messages into `out` as COBS frames followed by the 0x00 delimiter. Each encode
 * call returns the number of bytes in `out`; the next call overwrites them.
 */
export class FrameEncoder {
  readonly out = new Uint8Array(MAX_ENCODED_LENGTH + 1);
  private readonly frame = new Uint8Array(MAX_FRAME_LENGTH);
  private readonly view = new DataView(this.frame.buffer);
  /** Sequence number of the next frame (u16, wraps). Every frame of every type counts. */
  seq = 0;

  hello(m: HelloMsg): number {
    const v = this.view, o = O.HELLO;
    v.setUint16(P + o.protocol_version, m.protocolVersion, true);
    v.setUint32(P + o.schema_hash, m.schemaHash >>> 0, true);
    v.setUint8(P + o.role, m.role);
    v.setUint8(P + o.status, m.status);
    v.setUint16(P + o.watchdog_ms, m.watchdogMs, true);
    v.setUint16(P + o.control_rate_hz, m.controlRateHz, true);
    v.setFloat32(P + o.max_torque_nm, m.maxTorqueNm, true);
    v.setUint32(P + o.nonce, m.nonce >>> 0, true);
    return this.finish(MSG.HELLO);
  }

  state(m: StateMsg): number {
    const v = this.view, o = O.STATE;
    v.setUint32(P + o.time_us, m.timeUs >>> 0, true);
    v.setUint32(P + o.command_seq_echo, m.commandSeqEcho >>> 0, true);
    for (let i = 0; i < 4; i++) v.setFloat32(P + o.orientation + 4 * i, m.orientation[i], true);
    for (let i = 0; i < 3; i++) {
      v.setFloat32(P + o.gyro + 4 * i, m.gyro[i], true);
      v.setFloat32(P + o.wheel_velocity + 4 * i, m.wheelVelocity[i], true);
      v.setFloat32(P + o.wheel_torque + 4 * i, m.wheelTorque[i], true);
    }
    v.setUint16(P + o.battery_mv, m.batteryMv, true);
    v.setUint16(P + o.fault_flags, m.faultFlags, true);
    v.setUint8(P + o.mode, m.mode);
    v.setUint8(P + o.reserved, 0);
    return this.finish(MSG.STATE);
  }

  command(m: CommandMsg): number {
    const v = this.view, o = O.COMMAND;
    v.setUint32(P + o.control_seq, m.controlSeq >>> 0, true);
    for (let i = 0; i < 3; i++) v.setFloat32(P + o.torque + 4 * i, m.torque[i], true);
    v.setUint8(P + o.mode, m.mode);
    for (let i = 0; i < 3; i++) v.setUint8(P + o.reserved + i, 0);
    return this.finish(MSG.COMMAND);
  }

  arm(m: ArmMsg): number {
    const v = this.view, o = O.ARM;
    v.setUint32(P + o.key, m.key >>> 0, true);
    v.setUint32(P + o.control_seq, m.controlSeq >>> 0, true);
    return this.finish(MSG.ARM);
  }

  estop(m: EstopMsg): number {
    const v = this.view, o = O.ESTOP;
    v.setUint16(P + o.reason_code, m.reasonCode, true);
    v.setUint8(P + o.reason_len, Math.min(m.reasonLen, 16));
    v.setUint8(P + o.reserved, 0);
    for (let i = 0; i < 16; i++) v.setUint8(P + o.reason + i, i < m.reasonLen ? m.reason[i] : 0);
    return this.finish(MSG.ESTOP);
  }

  heartbeat(m: HeartbeatMsg): number {
    const v = this.view, o = O.HEARTBEAT;
    v.setUint32(P + o.time_us, m.timeUs >>> 0, true);
    v.setUint32(P + o.control_seq, m.controlSeq >>> 0, true);
    v.setUint8(P + o.mode, m.mode);
    v.setUint8(P + o.reserved, 0);
    v.setUint16(P + o.fault_flags, m.faultFlags, true);
    return this.finish(MSG.HEARTBEAT);
  }

  fault(m: FaultMsg): number {
    const v = this.view, o = O.FAULT;
    v.setUint16(P + o.fault_code, m.faultCode, true);
    v.setUint16(P + o.fault_flags, m.faultFlags, true);
    v.setUint32(P + o.time_us, m.timeUs >>> 0, true);
    v.setFloat32(P + o.value, m.value, true);
    return this.finish(MSG.FAULT);
  }

  /** Header, CRC, COBS and delimiter around the payload already written in `frame`. */
  private finish(type: number): number {
    const payloadLen = PAYLOAD_LENGTH[type];
    const f = this.frame;
    f[0] = type;
    f[1] = this.seq & 0xff;
    f[2] = (this.seq >>> 8) & 0xff;
    this.seq = (this.seq + 1) & 0xffff;
    const crcAt = HEADER_LENGTH + payloadLen;
    this.view.setUint32(crcAt, crc32c(f, 0, crcAt), true);
    const n = cobsEncode(f, crcAt + CRC_LENGTH, this.out, 0);
    this.out[n] = 0;
    return n + 1;
  }
}

export interface DecoderCounters {
  /** Frames that passed every check and were delivered. */
  framesOk: number;
  badCrc: number;
  /** More than MAX_ENCODED_LENGTH bytes before a delimiter: dropped without buffering. */
  tooLong: number;
  unknownType: number;
  /** Invalid COBS, a frame shorter than header + CRC, or a payload of the wrong length. */
  malformed: number;
  /** Frames missing according to the sequence numbers (sum of gap sizes). */
  gaps: number;
  /** Duplicated or out-of-order frames (sequence not ahead of the last one): dropped. */
  stale: number;
}

export type FrameHandler = (type: number, seq: number, decoder: FrameDecoder) => void;

/** Consecutive stale frames after which the decoder assumes the peer restarted its counter. */
const STALE_RESYNC = 8;

/**
 * Byte-stream decoder. feed() any bytes; every valid frame decodes into the preallocated
 * message object of its type (hello, state, ...) and calls onFrame(type, seq, this).
 */
export class FrameDecoder {
  readonly counters: DecoderCounters = { framesOk: 0, badCrc: 0, tooLong: 0, unknownType: 0, malformed: 0, gaps: 0, stale: 0 };
  readonly hello = newHello();
  readonly state = newState();
  readonly command = newCommand();
  readonly arm = newArm();
  readonly estop = newEstop();
  readonly heartbeat = newHeartbeat();
  readonly fault = newFault();

  private readonly encoded = new Uint8Array(MAX_ENCODED_LENGTH);
  private readonly frame = new Uint8Array(MAX_FRAME_LENGTH);
  private readonly view = new DataView(this.frame.buffer);
  private length = 0;
  private discarding = false;
  private haveSeq = false;
  private lastSeq = 0;
  private staleRun = 0;

  constructor(public onFrame: FrameHandler = () => {}) {}

  /** Sum of every kind of dropped frame (not counting sequence gaps). */
  get framesBad(): number {
    const c = this.counters;
    return c.badCrc + c.tooLong + c.unknownType + c.malformed;
  }

  /** Forget the sequence history (after a re-handshake). */
  resetSequence(): void {
    this.haveSeq = false;
    this.staleRun = 0;
  }

  feed(bytes: Uint8Array, start = 0, end = bytes.length): void {
    for (let i = start; i < end; i++) {
      const b = bytes[i];
      if (b === 0) {
        if (this.discarding) this.discarding = false;
        else if (this.length > 0) this.process();
        this.length = 0;
      } else if (!this.discarding) {
        if (this.length >= MAX_ENCODED_LENGTH) {
          this.counters.tooLong++;
          this.discarding = true;
          this.length = 0;
        } else {
          this.encoded[this.length++] = b;
        }
      }
    }
  }

  private process(): void {
    const c = this.counters;
    const n = cobsDecode(this.encoded, this.length, this.frame);
    if (n < HEADER_LENGTH + CRC_LENGTH) {
      c.malformed++;
      return;
    }
    const crcAt = n - CRC_LENGTH;
    if (crc32c(this.frame, 0, crcAt) !== this.view.getUint32(crcAt, true)) {
      c.badCrc++;
      return;
    }
    const type = this.frame[0];
    const expected = PAYLOAD_LENGTH[type];
    if (expected === 0) {
      c.unknownType++;
      return;
    }
    if (crcAt - HEADER_LENGTH !== expected) {
      c.malformed++;
      return;
    }
    const seq = this.frame[1] | (this.frame[2] << 8);
    if (type === MSG.HELLO) this.haveSeq = false; // a HELLO starts a new session
    if (this.haveSeq) {
      const ahead = (seq - this.lastSeq) & 0xffff;
      if (ahead === 0 || ahead >= 0x8000) {
        if (++this.staleRun < STALE_RESYNC) {
          c.stale++;
          return;
        }
      } else {
        c.gaps += ahead - 1;
      }
    }
    this.staleRun = 0;
    this.haveSeq = true;
    this.lastSeq = seq;
    this.decodePayload(type);
    c.framesOk++;
    this.onFrame(type, seq, this);
  }

  private decodePayload(type: number): void {
    const v = this.view;
    switch (type) {
      case MSG.HELLO: {
        const m = this.hello, o = O.HELLO;
        m.protocolVersion = v.getUint16(P + o.protocol_version, true);
        m.schemaHash = v.getUint32(P + o.schema_hash, true);
        m.role = v.getUint8(P + o.role);
        m.status = v.getUint8(P + o.status);
        m.watchdogMs = v.getUint16(P + o.watchdog_ms, true);
        m.controlRateHz = v.getUint16(P + o.control_rate_hz, true);
        m.maxTorqueNm = v.getFloat32(P + o.max_torque_nm, true);
        m.nonce = v.getUint32(P + o.nonce, true);
        break;
      }
      case MSG.STATE: {
        const m = this.state, o = O.STATE;
        m.timeUs = v.getUint32(P + o.time_us, true);
        m.commandSeqEcho = v.getUint32(P + o.command_seq_echo, true);
        for (let i = 0; i < 4; i++) m.orientation[i] = v.getFloat32(P + o.orientation + 4 * i, true);
        for (let i = 0; i < 3; i++) {
          m.gyro[i] = v.getFloat32(P + o.gyro + 4 * i, true);
          m.wheelVelocity[i] = v.getFloat32(P + o.wheel_velocity + 4 * i, true);
          m.wheelTorque[i] = v.getFloat32(P + o.wheel_torque + 4 * i, true);
        }
        m.batteryMv = v.getUint16(P + o.battery_mv, true);
        m.faultFlags = v.getUint16(P + o.fault_flags, true);
        m.mode = v.getUint8(P + o.mode);
        break;
      }
      case MSG.COMMAND: {
        const m = this.command, o = O.COMMAND;
        m.controlSeq = v.getUint32(P + o.control_seq, true);
        for (let i = 0; i < 3; i++) m.torque[i] = v.getFloat32(P + o.torque + 4 * i, true);
        m.mode = v.getUint8(P + o.mode);
        break;
      }
      case MSG.ARM: {
        const m = this.arm, o = O.ARM;
        m.key = v.getUint32(P + o.key, true);
        m.controlSeq = v.getUint32(P + o.control_seq, true);
        break;
      }
      case MSG.ESTOP: {
        const m = this.estop, o = O.ESTOP;
        m.reasonCode = v.getUint16(P + o.reason_code, true);
        m.reasonLen = Math.min(16, v.getUint8(P + o.reason_len));
        for (let i = 0; i < 16; i++) m.reason[i] = v.getUint8(P + o.reason + i);
        break;
      }
      case MSG.HEARTBEAT: {
        const m = this.heartbeat, o = O.HEARTBEAT;
        m.timeUs = v.getUint32(P + o.time_us, true);
        m.controlSeq = v.getUint32(P + o.control_seq, true);
        m.mode = v.getUint8(P + o.mode);
        m.faultFlags = v.getUint16(P + o.fault_flags, true);
        break;
      }
      case MSG.FAULT: {
        const m = this.fault, o = O.FAULT;
        m.faultCode = v.getUint16(P + o.fault_code, true);
        m.faultFlags = v.getUint16(P + o.fault_flags, true);
        m.timeUs = v.getUint32(P + o.time_us, true);
        m.value = v.getFloat32(P + o.value, true);
        break;
      }
    }
  }
}
