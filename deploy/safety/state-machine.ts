// The arming state machine. DISARMED -> ARMING (torque ramp) -> RUNNING; any violation ->
// ESTOP, which is latched: only an explicit re-arm leaves it, never a timeout or a good state.

export type Mode = 'DISARMED' | 'ARMING' | 'RUNNING' | 'ESTOP';

export interface Transition {
  from: Mode;
  to: Mode;
  reason: string;
}

export class ArmingStateMachine {
  private current: Mode = 'DISARMED';
  private latchedReason = '';
  constructor(private readonly onTransition: (t: Transition) => void = () => {}) {}

  get mode(): Mode { return this.current; }
  get estopReason(): string { return this.latchedReason; }
  /** Torque may be commanded only in these modes. */
  get torqueAllowed(): boolean { return this.current === 'ARMING' || this.current === 'RUNNING'; }

  /** DISARMED -> ARMING. Refused (returns false) from any other mode; ESTOP needs rearm(). */
  arm(reason = 'operator arm'): boolean {
    if (this.current !== 'DISARMED') return false;
    this.go('ARMING', reason);
    return true;
  }
  /** ARMING -> RUNNING once the ramp is done. */
  rampDone(): void {
    if (this.current === 'ARMING') this.go('RUNNING', 'torque ramp complete');
  }
  /** Any mode -> ESTOP (latched). Returns true if this call latched it. */
  estop(reason: string): boolean {
    if (this.current === 'ESTOP') return false;
    this.latchedReason = reason;
    this.go('ESTOP', reason);
    return true;
  }
  /** ESTOP -> DISARMED: clears the latch; arming is a separate explicit step. */
  clearEstop(reason = 'operator re-arm'): boolean {
    if (this.current !== 'ESTOP') return false;
    this.latchedReason = '';
    this.go('DISARMED', reason);
    return true;
  }
  /** RUNNING/ARMING -> DISARMED (normal stop). */
  disarm(reason = 'operator disarm'): void {
    if (this.current === 'ARMING' || this.current === 'RUNNING') this.go('DISARMED', reason);
  }

  private go(to: Mode, reason: string): void {
    const from = this.current;
    this.current = to;
    this.onTransition({ from, to, reason });
  }
}
