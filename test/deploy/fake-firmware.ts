// A firmware peer written in TS on the far end of a real socat pty: it speaks the ballbot
// protocol with the real codec, and can be told to misbehave (a HELLO reply with the wrong
// role, nonce or status; acknowledge ARM but stay DISARMED). It records what the host sent.
import { SerialPort } from 'serialport';
import { FrameDecoder, FrameEncoder, estopReasonText, newHello, newState } from '../../firmware-bridge/codec.js';
import { HELLO_STATUS, MODE, MSG, PROTOCOL_VERSION, ROLE, SCHEMA_HASH } from '../../firmware-bridge/messages.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/pty-pair.js';

export interface FakeFirmwareBehaviour {
  /** Reply to HELLO: 'none' stays silent; fields override the honest reply. */
  hello?: 'none' | { role?: number; nonceXor?: number; status?: number; schemaHash?: number; protocolVersion?: number };
  /** 'arm' goes ARMED on ARM (as the real firmware); 'stay-disarmed' takes the frame and stays DISARMED. */
  onArm?: 'arm' | 'stay-disarmed';
  /** Send every STATE frame twice (same sequence number): the host must count a replay, not a loss. */
  duplicateStates?: boolean;
}

export class FakeFirmware {
  readonly estops: { reasonCode: number; text: string }[] = [];
  arms = 0;
  commands = 0;
  mode: number = MODE.DISARMED;
  private readonly encoder = new FrameEncoder();
  private readonly decoder: FrameDecoder;
  private streamer: NodeJS.Timeout | null = null;
  private t0 = performance.now();

  private constructor(readonly pty: PtyPair, private readonly port: SerialPort, private readonly behaviour: FakeFirmwareBehaviour) {
    this.decoder = new FrameDecoder((type) => this.onFrame(type));
    port.on('data', (chunk: Buffer) => this.decoder.feed(chunk));
  }

  /** The device path the host opens. */
  get hostPort(): string { return this.pty.a; }

  static async start(behaviour: FakeFirmwareBehaviour = {}): Promise<FakeFirmware> {
    const pty = await openPtyPair();
    const port = new SerialPort({ path: pty.b, baudRate: 921600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    const fw = new FakeFirmware(pty, port, behaviour);
    fw.streamer = setInterval(() => fw.sendState(), 10);
    return fw;
  }

  private write(n: number): void {
    this.port.write(Buffer.from(this.encoder.out.subarray(0, n)));
  }

  private onFrame(type: number): void {
    const d = this.decoder;
    switch (type) {
      case MSG.HELLO: {
        const b = this.behaviour.hello;
        if (b === 'none') return;
        const reply = newHello();
        Object.assign(reply, {
          protocolVersion: b?.protocolVersion ?? PROTOCOL_VERSION, schemaHash: b?.schemaHash ?? SCHEMA_HASH, role: b?.role ?? ROLE.FIRMWARE,
          status: b?.status ?? HELLO_STATUS.OK, watchdogMs: 100, controlRateHz: 100, maxTorqueNm: 1.98, nonce: (d.hello.nonce ^ (b?.nonceXor ?? 0)) >>> 0,
        });
        this.write(this.encoder.hello(reply));
        return;
      }
      case MSG.ARM:
        this.arms++;
        if ((this.behaviour.onArm ?? 'arm') === 'arm') this.mode = MODE.ARMED;
        return;
      case MSG.ESTOP:
        this.estops.push({ reasonCode: d.estop.reasonCode, text: estopReasonText(d.estop) });
        this.mode = MODE.ESTOP;
        return;
      case MSG.COMMAND:
        this.commands++;
        return;
      default:
        return;
    }
  }

  /** An upright, still robot in the current mode. */
  private readonly state = newState();
  private sendState(): void {
    const s = this.state;
    s.timeUs = Math.round((performance.now() - this.t0) * 1000) >>> 0;
    s.orientation.set([0, 0, 0, 1]);
    s.batteryMv = 12000;
    s.mode = this.mode;
    s.faultFlags = 0;
    const n = this.encoder.state(s);
    this.write(n);
    if (this.behaviour.duplicateStates) this.write(n);
  }

  async close(): Promise<void> {
    if (this.streamer) clearInterval(this.streamer);
    await new Promise<void>((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
    await this.pty.close();
  }
}
