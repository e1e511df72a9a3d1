// Maps the firmware's 32-bit microsecond clock onto the host's performance.now() clock, so a
// STATE gets the host time at which the robot measured it (TimedSensorState.stampMs).
// The offset is the smallest (host receive - firmware send) seen: the sample with the least
// transport delay. It creeps up slowly so clock drift and a firmware restart are followed.

const WRAP_US = 2 ** 32;
/** Upward creep of the offset per sample, ms (0.002 ms at 500 Hz follows 1000 ppm drift). */
const CREEP_MS = 0.002;

export class ClockSync {
  private offsetMs = NaN;
  private lastUs = -1;
  private wraps = 0;

  /** Host time (ms) of a firmware timestamp received at host time `recvMs`. */
  update(firmwareUs: number, recvMs: number): number {
    if (this.lastUs >= 0 && firmwareUs < this.lastUs && this.lastUs - firmwareUs > WRAP_US / 2) this.wraps++;
    this.lastUs = firmwareUs;
    const fwMs = (firmwareUs + this.wraps * WRAP_US) / 1000;
    const offset = recvMs - fwMs;
    if (Number.isNaN(this.offsetMs) || offset < this.offsetMs) this.offsetMs = offset;
    else this.offsetMs += CREEP_MS;
    // A jump of more than a second means the firmware restarted: start over.
    if (offset - this.offsetMs > 1000) this.offsetMs = offset;
    return fwMs + this.offsetMs;
  }

  reset(): void {
    this.offsetMs = NaN;
    this.lastUs = -1;
    this.wraps = 0;
  }
}
