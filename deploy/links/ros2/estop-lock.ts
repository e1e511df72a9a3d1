// The e-stop lock: engaged by an e-stop message, by a silent e-stop input (when a timeout is
// set), by the disarm service or by the runtime. Like a twist_mux lock it overrides commands,
// but unlike twist_mux it latches: a later `false` on the input does not release it. Only an
// explicit re-arm does, and only while the input is not asserting an e-stop. It starts
// engaged: a link that was never armed sends zero torque.

export interface EstopLockOptions {
  /** > 0: the input must be heard at least this often while armed (ms). */
  inputTimeoutMs: number;
}

export class EstopLock {
  private engaged = true;
  private why = 'not armed yet';
  private inputAsserted = false;
  private lastInputMs = Number.NEGATIVE_INFINITY;
  /** Times the lock went from released to engaged. */
  trips = 0;

  constructor(private readonly options: EstopLockOptions) {}

  get locked(): boolean {
    return this.engaged;
  }

  get reason(): string {
    return this.engaged ? this.why : '';
  }

  /** An e-stop input message. Returns true when this engaged the lock. */
  input(value: boolean, nowMs: number): boolean {
    this.lastInputMs = nowMs;
    this.inputAsserted = value;
    return value ? this.trip('e-stop message on the input topic') : false;
  }

  /** Engage the lock. Returns true when it was released before (a new trip). */
  trip(reason: string): boolean {
    if (this.engaged) return false;
    this.engaged = true;
    this.why = reason;
    this.trips++;
    return true;
  }

  /** Engage when the input has been silent too long. Returns true on a new trip. */
  checkInputTimeout(nowMs: number): boolean {
    const t = this.options.inputTimeoutMs;
    if (t <= 0 || nowMs - this.lastInputMs <= t) return false;
    return this.trip(`e-stop input silent for more than ${t} ms`);
  }

  /** Why a re-arm would be refused now, or null when it may proceed. */
  rearmBlocker(nowMs: number): string | null {
    if (this.inputAsserted) return 'the e-stop input is still asserted (true); release it first';
    const t = this.options.inputTimeoutMs;
    if (t > 0 && nowMs - this.lastInputMs > t) return `no e-stop input heard in the last ${t} ms`;
    return null;
  }

  /** Explicit re-arm. Returns null on success, or why it was refused (the lock stays engaged). */
  rearm(nowMs: number): string | null {
    const blocker = this.rearmBlocker(nowMs);
    if (blocker) return blocker;
    this.engaged = false;
    this.why = '';
    return null;
  }
}
