// RobotLink over a serial port (USB-CDC, UART adapter, or the virtual robot's pty) speaking
// the ballbot protocol (PROTOCOL.md): handshake with version and schema hash, COMMAND frames
// streamed by the control loop, STATE in, link health, and fail-safe on close or silence.
import { SerialPort } from 'serialport';
import type { LinkCounters, LinkHealth, RobotLink, RobotMode, TimedSensorState } from '../robot-link.js';
import type { EstopRule } from '../safety/decisions.js';
import { ClockSync } from '../../firmware-bridge/clock-sync.js';
import { FrameDecoder, FrameEncoder, newCommand, newEstop, newHeartbeat, newHello, setEstopReason } from '../../firmware-bridge/codec.js';
import {
  ARM_KEY, COMMAND_MODE, ESTOP_REASON, FAULT, HELLO_STATUS, MAX_ENCODED_LENGTH, MODE, MSG, PROTOCOL_VERSION, ROLE, SCHEMA_HASH,
} from '../../firmware-bridge/messages.js';

export interface SerialLinkOptions {
  path: string;
  /** Ignored by ptys and USB-CDC; set to what a UART adapter runs at. Default 921600. */
  baudRate?: number;
  /** Ask the driver for low-latency mode (Linux USB-serial); failures are reported in health().detail. Default true. */
  lowLatency?: boolean;
  /** How long connect() waits for the firmware's HELLO reply. Default 1500 ms. */
  handshakeTimeoutMs?: number;
  /**
   * health().ok turns false after this long without a valid frame. Default 250 ms: a backstop
   * for users without deploy; deploy's own linkHealth and staleState rules (100 and 60 ms by
   * default) read silenceMs and stampMs and fire first.
   */
  silenceTimeoutMs?: number;
  /** Send a ping (HEARTBEAT) every this many commands, to measure the round trip. Default 10. */
  pingEvery?: number;
  /** Advertised in HELLO. */
  rateHz?: number;
  /** Override what HELLO claims, to test that the firmware refuses a mismatched peer. */
  schemaHash?: number;
  protocolVersion?: number;
  log?: (line: string) => void;
  /** Called with every measured round trip (ping echo), ms. */
  onRtt?: (ms: number) => void;
}

/** What the firmware said about itself in its HELLO reply. */
export interface FirmwareInfo {
  protocolVersion: number;
  schemaHash: number;
  watchdogMs: number;
  controlRateHz: number;
  maxTorqueNm: number;
}

/** Raw firmware status from the latest STATE/HEARTBEAT, for HIL and diagnostics. */
export interface FirmwareStatus {
  mode: number;
  /** Every flag the firmware reports (TimedSensorState.faultFlags carries only the ones that must stop the robot). */
  faultFlags: number;
  commandSeqEcho: number;
  wheelTorque: Float64Array;
  /** Host time of the latest STATE, ms. */
  lastStateMs: number;
  /** Host time of the latest valid frame of any kind, ms. */
  lastFrameMs: number;
  /** Host time the firmware's mode last changed (from STATE, HEARTBEAT or an immediate FAULT), ms. */
  modeChangedMs: number;
}

/** Flags that mean the robot must not run: forwarded to deploy, whose robotFault rule e-stops on them. */
export const STOP_FLAGS = FAULT.WATCHDOG | FAULT.ESTOP | FAULT.BAD_COMMAND | FAULT.LOW_BATTERY | FAULT.NOT_PAIRED | FAULT.HANDSHAKE_REJECTED;

const TX_RING = 64;
const TX_SLOT = MAX_ENCODED_LENGTH + 1;
/** Bytes queued in the port's stream beyond which frames are dropped (and counted) rather than piled up. */
const MAX_QUEUED_BYTES = 4096;
const SEND_RING = 1024;

export class SerialLink implements RobotLink {
  readonly name: string;
  firmware: FirmwareInfo | null = null;
  readonly status: FirmwareStatus = {
    mode: MODE.DISARMED, faultFlags: 0, commandSeqEcho: 0, wheelTorque: new Float64Array(3), lastStateMs: NaN, lastFrameMs: NaN, modeChangedMs: NaN,
  };
  /** Frames the host could not hand to the port (queue full or port closed). */
  txDropped = 0;
  txFrames = 0;
  /** Why low-latency mode is off, or 'on'. */
  lowLatencyStatus = 'not requested';

  private port: SerialPort | null = null;
  private readonly encoder = new FrameEncoder();
  private readonly decoder: FrameDecoder;
  private readonly clock = new ClockSync();
  private readonly txRing: Buffer[] = [];
  private txNext = 0;
  private readonly state: TimedSensorState = {
    orientation: new Float64Array([0, 0, 0, 1]), gyro: new Float64Array(3), wheelVelocity: new Float64Array(3), stampMs: 0, faultFlags: 0, batteryV: 0,
  };
  private haveState = false;
  private paired = false;
  private closed = false;
  private closeReason = '';
  private rttMs = NaN;
  private readonly sentAtMs = new Float64Array(SEND_RING);
  private readonly sentSeq = new Int32Array(SEND_RING).fill(-1);
  private commands = 0;
  private helloNonce = 0;
  private helloReply: ((status: number, hash: number, version: number) => void) | null = null;
  /** Why the last HELLO that was not our reply was ignored (wrong role or nonce), for the error. */
  private helloIgnored: string | null = null;
  private haveMode = false;
  private readonly cmd = newCommand();
  private readonly ping = newHeartbeat();
  private readonly opts: Required<Pick<SerialLinkOptions, 'baudRate' | 'lowLatency' | 'handshakeTimeoutMs' | 'silenceTimeoutMs' | 'pingEvery' | 'rateHz' | 'schemaHash' | 'protocolVersion'>> & SerialLinkOptions;

  constructor(options: SerialLinkOptions) {
    if (!options || typeof options.path !== 'string' || options.path.length === 0) throw new Error('serial link: options.path (the serial device, e.g. /dev/ttyACM0) is required');
    this.opts = {
      baudRate: 921600, lowLatency: true, handshakeTimeoutMs: 1500, silenceTimeoutMs: 250, pingEvery: 10, rateHz: 100,
      schemaHash: SCHEMA_HASH, protocolVersion: PROTOCOL_VERSION, ...options,
    } as typeof this.opts;
    this.name = `serial:${options.path}`;
    for (let i = 0; i < TX_RING; i++) this.txRing.push(Buffer.alloc(TX_SLOT));
    this.decoder = new FrameDecoder((type) => this.onFrame(type));
  }

  /** Decoder counters (bad CRC, too long, unknown type, malformed, gaps, stale). */
  get counters() {
    return this.decoder.counters;
  }

  async connect(): Promise<void> {
    const o = this.opts;
    const port = new SerialPort({ path: o.path, baudRate: o.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new Error(`serial link: cannot open ${o.path}: ${err.message}`)) : resolve())),
    );
    this.port = port;
    this.closed = false;
    port.on('data', (chunk: Buffer) => this.decoder.feed(chunk));
    port.on('close', () => this.markClosed('port closed'));
    port.on('error', (err: Error) => this.markClosed(`port error: ${err.message}`));
    if (o.lowLatency) {
      try {
        await new Promise<void>((resolve, reject) => port.set({ lowLatency: true } as never, (err) => (err ? reject(err) : resolve())));
        this.lowLatencyStatus = 'on';
      } catch (err) {
        // ptys and USB-CDC have no such setting; only FTDI-style adapters need it.
        this.lowLatencyStatus = `unsupported by this device (${(err as Error).message})`;
      }
    }
    try {
      await this.handshake();
    } catch (err) {
      await this.closePort();
      throw err;
    }
  }

  private async handshake(): Promise<void> {
    const o = this.opts;
    this.writeRaw(Uint8Array.of(0), 1); // end whatever partial frame the firmware's decoder holds
    this.helloNonce = (Math.random() * 0xffffffff) >>> 0;
    const hello = newHello();
    Object.assign(hello, {
      protocolVersion: o.protocolVersion, schemaHash: o.schemaHash >>> 0, role: ROLE.HOST, status: 0, watchdogMs: 0,
      controlRateHz: o.rateHz, maxTorqueNm: 0, nonce: this.helloNonce,
    });
    const reply = await new Promise<{ status: number; hash: number; version: number } | null>((resolve) => {
      const deadline = setTimeout(() => finish(null), o.handshakeTimeoutMs);
      const resend = setInterval(() => this.send(this.encoder.hello(hello)), 100);
      const finish = (r: { status: number; hash: number; version: number } | null) => {
        clearTimeout(deadline);
        clearInterval(resend);
        this.helloReply = null;
        resolve(r);
      };
      this.helloReply = (status, hash, version) => finish({ status, hash, version });
      this.send(this.encoder.hello(hello));
    });
    if (!reply) {
      if (this.helloIgnored) throw new Error(`serial link: no valid HELLO reply from ${o.path} within ${o.handshakeTimeoutMs} ms: ${this.helloIgnored}`);
      throw new Error(`serial link: no HELLO reply from ${o.path} within ${o.handshakeTimeoutMs} ms (is the firmware running and speaking ballbot protocol v${o.protocolVersion}?)`);
    }
    const problem = handshakeProblem(reply, o.protocolVersion, o.schemaHash >>> 0);
    if (problem) throw new Error(`serial link: handshake with ${o.path} refused: ${problem}`);
    this.paired = true;
    this.opts.log?.(`serial link: ${o.path} paired (firmware watchdog ${this.firmware?.watchdogMs} ms, torque limit ${this.firmware?.maxTorqueNm.toFixed(2)} N m, low latency ${this.lowLatencyStatus})`);
  }

  private onFrame(type: number): void {
    const now = performance.now();
    const d = this.decoder;
    this.status.lastFrameMs = now;
    switch (type) {
      case MSG.HELLO: {
        const h = d.hello;
        if (!this.helloReply) return;
        if (h.role !== ROLE.FIRMWARE) {
          this.helloIgnored = `the peer's HELLO has role ${h.role} (${h.role === ROLE.HOST ? 'host' : 'unknown'}), expected ${ROLE.FIRMWARE} (firmware): another host, or the line echoes back what the host sends`;
          return;
        }
        if (h.nonce !== this.helloNonce) {
          this.helloIgnored = `the firmware's HELLO echoes nonce ${hex(h.nonce)}, the host sent ${hex(this.helloNonce)}: a reply to an earlier or another host's handshake, or a firmware that does not echo the nonce`;
          return;
        }
        this.firmware = { protocolVersion: h.protocolVersion, schemaHash: h.schemaHash, watchdogMs: h.watchdogMs, controlRateHz: h.controlRateHz, maxTorqueNm: h.maxTorqueNm };
        this.helloReply(h.status, h.schemaHash, h.protocolVersion);
        return;
      }
      case MSG.STATE: {
        const m = d.state, s = this.state;
        for (let i = 0; i < 4; i++) (s.orientation as Float64Array)[i] = m.orientation[i];
        for (let i = 0; i < 3; i++) {
          (s.gyro as Float64Array)[i] = m.gyro[i];
          (s.wheelVelocity as Float64Array)[i] = m.wheelVelocity[i];
          this.status.wheelTorque[i] = m.wheelTorque[i];
        }
        s.stampMs = this.clock.update(m.timeUs, now);
        s.faultFlags = m.faultFlags & STOP_FLAGS;
        s.batteryV = m.batteryMv / 1000;
        this.setMode(m.mode, now);
        this.status.faultFlags = m.faultFlags;
        this.status.commandSeqEcho = m.commandSeqEcho;
        this.status.lastStateMs = now;
        this.haveState = true;
        return;
      }
      case MSG.HEARTBEAT: {
        const h = d.heartbeat;
        this.setMode(h.mode, now);
        this.status.faultFlags = h.faultFlags;
        // Our ping echoed: time_us carries the ring slot, control_seq the command count.
        const slot = h.timeUs % SEND_RING;
        if (h.timeUs < SEND_RING && this.sentSeq[slot] === (h.controlSeq | 0)) {
          this.rttMs = now - this.sentAtMs[slot];
          this.sentSeq[slot] = -1;
          this.opts.onRtt?.(this.rttMs);
        }
        return;
      }
      case MSG.FAULT:
        // Sent the moment the firmware latches: the fastest news of an e-stop.
        this.status.faultFlags = d.fault.faultFlags;
        if (d.fault.faultFlags & FAULT.ESTOP) this.setMode(MODE.ESTOP, now);
        return;
      default:
        return; // a firmware never sends COMMAND/ARM/ESTOP; the decoder already counted them as valid frames
    }
  }

  private setMode(mode: number, now: number): void {
    if (mode !== this.status.mode) this.status.modeChangedMs = now;
    this.status.mode = mode;
    this.haveMode = true;
  }

  /** The firmware's mode from its latest STATE, HEARTBEAT or FAULT (an unknown code reads as ESTOP). */
  robotMode(): RobotMode | null {
    if (!this.haveMode) return null;
    const m = this.status.mode;
    return m === MODE.ARMED ? 'ARMED' : m === MODE.DISARMED ? 'DISARMED' : 'ESTOP';
  }

  /** Frames by kind; `gaps` counts lost frames only, `stale` the duplicated or replayed ones. */
  frameCounters(): LinkCounters {
    const c = this.decoder.counters;
    return { framesOk: c.framesOk, malformed: c.malformed, badCrc: c.badCrc, unknownType: c.unknownType, tooLong: c.tooLong, stale: c.stale, gaps: c.gaps };
  }

  latestState(): TimedSensorState | null {
    return this.haveState ? this.state : null;
  }

  sendCommand(torques: Float64Array, seq: number): void {
    if (!this.paired || this.closed) return;
    const c = this.cmd;
    c.controlSeq = seq >>> 0;
    c.mode = COMMAND_MODE.TORQUE;
    for (let i = 0; i < 3; i++) c.torque[i] = torques[i];
    this.send(this.encoder.command(c));
    if (++this.commands % this.opts.pingEvery === 0) this.sendPing(seq);
  }

  /** Send a ping now (the firmware echoes it at once); the echo updates health().rttMs. */
  sendPing(seq: number): void {
    const slot = this.commands % SEND_RING;
    this.sentAtMs[slot] = performance.now();
    this.sentSeq[slot] = seq | 0;
    this.ping.timeUs = slot;
    this.ping.controlSeq = seq >>> 0;
    this.send(this.encoder.heartbeat(this.ping));
  }

  /** ESTOP frame; its reason code follows `rule` (PROTOCOL.md §4 ESTOP); no rule = the link closing. */
  sendEstop(reason: string, rule?: EstopRule): void {
    // E-stop goes out even before pairing: the firmware honours it from anyone.
    if (this.closed || !this.port) return;
    const e = newEstop();
    e.reasonCode = estopReasonCode(rule ?? 'linkClosed');
    setEstopReason(e, reason);
    this.send(this.encoder.estop(e));
  }

  sendArm(): void {
    if (!this.paired || this.closed) return;
    this.send(this.encoder.arm({ key: ARM_KEY, controlSeq: this.commands }));
  }

  health(): LinkHealth {
    const now = performance.now();
    const c = this.decoder.counters;
    const silenceMs = Number.isNaN(this.status.lastFrameMs) ? Infinity : now - this.status.lastFrameMs;
    let detail: string | undefined;
    if (this.closed) detail = this.closeReason;
    else if (!this.paired) detail = 'not connected';
    else if (silenceMs > this.opts.silenceTimeoutMs) detail = 'silent';
    return {
      ok: detail === undefined, framesOk: c.framesOk, framesBad: this.decoder.framesBad, gaps: c.gaps,
      rttMs: this.rttMs, silenceMs, detail,
    };
  }

  async close(): Promise<void> {
    if (this.port && !this.closed) {
      // Fail safe: leave the robot with zero torque and a latched e-stop, not a stale command.
      this.sendEstop('host closed link');
      // Bounded: a pty nobody reads never drains.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.port!.drain(() => { clearTimeout(t); resolve(); });
      });
    }
    await this.closePort();
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.paired = false;
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.markClosed('closed by host');
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private send(n: number): void {
    this.writeRaw(this.encoder.out, n);
  }

  private writeRaw(bytes: Uint8Array, n: number): void {
    const port = this.port;
    if (!port || this.closed || !port.isOpen || port.writableLength > MAX_QUEUED_BYTES) {
      this.txDropped++;
      return;
    }
    // A ring of buffers: the stream keeps a reference until the bytes are written.
    const slot = this.txRing[this.txNext];
    this.txNext = (this.txNext + 1) % TX_RING;
    slot.set(bytes.subarray(0, n));
    port.write(slot.subarray(0, n));
    this.txFrames++;
  }
}

const hex = (h: number) => '0x' + (h >>> 0).toString(16).padStart(8, '0');

/** Why a HELLO reply does not pair, or null when it does. Says which side refused and what differs. */
export function handshakeProblem(reply: { status: number; hash: number; version: number }, hostVersion: number, hostHash: number): string | null {
  const versions = `host v${hostVersion}, firmware v${reply.version}`;
  const hashes = `host ${hex(hostHash)}, firmware ${hex(reply.hash)}`;
  switch (reply.status) {
    case HELLO_STATUS.OK:
      if (reply.version !== hostVersion) return `protocol version mismatch (${versions}); the firmware accepted, the host does not`;
      if (reply.hash !== hostHash) return `schema hash mismatch (${hashes}): host and firmware were built from different message definitions`;
      return null;
    case HELLO_STATUS.VERSION_MISMATCH:
      return reply.version !== hostVersion
        ? `protocol version mismatch (${versions})`
        : `the firmware answered status 1 (version mismatch) although it reports the host's own version v${hostVersion}`;
    case HELLO_STATUS.SCHEMA_MISMATCH:
      return reply.hash !== hostHash
        ? `schema hash mismatch (${hashes}): host and firmware were built from different message definitions`
        : `the firmware answered status 2 (schema mismatch) although it reports the host's own schema hash ${hex(hostHash)}: its schema check is broken, or the reply was corrupted before its CRC was computed`;
    default:
      return `the firmware answered with unknown status ${reply.status} (${versions}; ${hashes})`;
  }
}

/** The ESTOP frame's reason_code for each rule (PROTOCOL.md §4, ESTOP). */
export function estopReasonCode(rule: EstopRule | 'linkClosed'): number {
  switch (rule) {
    case 'operator':
      return ESTOP_REASON.OPERATOR;
    case 'staleState':
    case 'linkHealth':
    case 'linkClosed':
      return ESTOP_REASON.LINK;
    case 'signal':
    case 'error':
      return ESTOP_REASON.OTHER;
    default:
      return ESTOP_REASON.HOST_SAFETY;
  }
}

export function createSerialLink(options: SerialLinkOptions): SerialLink {
  return new SerialLink(options);
}
