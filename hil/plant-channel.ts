// The plant channel between the simulator and a HIL firmware port (the host process's
// stdin/stdout, the QEMU board's second UART): fixed 96-byte packets, each sent as
// COBS(packet | CRC-32C little-endian) then 0x00, with the serial protocol's own COBS and
// CRC-32C. The packet types and layouts are documented in firmware-bridge/c/port/hil_plant.h.
import { cobsDecode, cobsEncode, cobsMaxEncodedLength } from '../firmware-bridge/cobs.js';
import { crc32c } from '../common/crc32c.js';

export const PLANT_PACKET = 96;
const FRAME = PLANT_PACKET + 4;
/** The most bytes one packet takes on the wire. */
export const PLANT_WIRE_MAX = cobsMaxEncodedLength(FRAME) + 1;

/**
 * Wire-encodes a packet: `frame` holds the 96-byte packet and 4 bytes of room for its CRC;
 * the encoding goes to `wire` (PLANT_WIRE_MAX bytes). Returns the wire length. No allocation.
 */
export function encodePlantPacket(frame: Uint8Array, wire: Uint8Array): number {
  if (frame.length !== FRAME) throw new Error(`plant channel: a frame is ${FRAME} bytes (packet + CRC), got ${frame.length}`);
  new DataView(frame.buffer, frame.byteOffset, FRAME).setUint32(PLANT_PACKET, crc32c(frame, 0, PLANT_PACKET), true);
  const n = cobsEncode(frame, FRAME, wire);
  wire[n] = 0;
  return n + 1;
}

/** A packet buffer with room for the CRC, ready for encodePlantPacket. */
export function newPlantFrame(): Buffer {
  return Buffer.alloc(FRAME);
}

/** Splits the firmware's stream into packets; a bad one is counted and skipped (the next 0x00 resyncs). */
export class PlantPacketDecoder {
  badPackets = 0;
  private readonly encoded = new Uint8Array(PLANT_WIRE_MAX);
  private readonly frame = new Uint8Array(FRAME);
  private readonly frameView = new DataView(this.frame.buffer);
  /** The packet just decoded (valid during the callback only). */
  readonly packet = Buffer.from(this.frame.buffer, 0, PLANT_PACKET);
  private length = 0;
  private discarding = false;

  constructor(private readonly onPacket: (packet: Buffer) => void) {}

  feed(chunk: Uint8Array): void {
    for (const byte of chunk) {
      if (byte !== 0) {
        if (this.length >= this.encoded.length) this.discarding = true;
        else if (!this.discarding) this.encoded[this.length++] = byte;
        continue;
      }
      if (this.length === 0 && !this.discarding) continue; // an empty frame: a resync delimiter
      const n = this.discarding ? -1 : cobsDecode(this.encoded, this.length, this.frame);
      this.length = 0;
      this.discarding = false;
      if (n !== FRAME || crc32c(this.frame, 0, PLANT_PACKET) !== this.frameView.getUint32(PLANT_PACKET, true)) {
        this.badPackets++;
        continue;
      }
      this.onPacket(this.packet);
    }
  }
}
