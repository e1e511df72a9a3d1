// Header stamps (ROS time, ms since the epoch) to the link's stampMs base (the host's
// monotonic clock, performance.now()), so the runtime's staleness watchdog can treat ROS
// state exactly like serial state.
//
// Clock offset: ROS time here is the system clock (RCL_ROS_TIME without /clock), which NTP may
// slew or step, while performance.now() is monotonic. The offset ROS - host is re-measured
// every `offsetSampleMs` by reading both clocks back to back (node.now() and
// performance.now(); the pair is microseconds apart), so a step of the system clock is
// followed within one period. Between computers the header stamps come from the robot's
// clock, so that clock must be synchronized with this one (chrony or PTP, as ROS 2 assumes);
// a stamp more than `maxFutureMs` ahead of its arrival proves it is not, and is refused (the
// state then goes stale and the watchdog stops the robot). Where clocks cannot be synced, or
// with use_sim_time, choose `stampSource: arrival`: the age then starts at reception and
// transport delay is not seen.

export interface StampOptions {
  stampSource: 'header' | 'arrival';
  maxFutureMs: number;
}

export class HeaderStampConverter {
  /** ROS time minus host monotonic time, ms (NaN until measured). */
  offsetMs = Number.NaN;
  /** Why the last stamp was refused. */
  lastError = '';
  /** Arrival minus stamp of the last accepted header stamp, ms: transport plus driver delay. */
  lastDelayMs = Number.NaN;

  constructor(private readonly options: StampOptions) {}

  /** Record a back-to-back reading of the ROS clock and the host clock. */
  sampleOffset(rosNowMs: number, hostNowMs: number): void {
    this.offsetMs = rosNowMs - hostNowMs;
  }

  /**
   * The host-clock time at which the robot measured a message stamped `rosStampMs`, or NaN
   * when the stamp cannot be trusted (then `lastError` says why).
   */
  toHostMs(rosStampMs: number, arrivalHostMs: number): number {
    if (this.options.stampSource === 'arrival') return arrivalHostMs;
    if (!(rosStampMs > 0)) {
      this.lastError = 'header.stamp is zero: the publisher does not stamp its messages; set clock.stampSource: arrival';
      return Number.NaN;
    }
    if (Number.isNaN(this.offsetMs)) {
      this.lastError = 'ROS clock offset not measured yet';
      return Number.NaN;
    }
    const hostMs = rosStampMs - this.offsetMs;
    const aheadMs = hostMs - arrivalHostMs;
    if (aheadMs > this.options.maxFutureMs) {
      this.lastError = `header.stamp is ${aheadMs.toFixed(1)} ms in the future: the robot's clock is not synchronized with this computer (use chrony/PTP, or clock.stampSource: arrival)`;
      return Number.NaN;
    }
    this.lastDelayMs = -aheadMs;
    // A stamp slightly ahead (within tolerance) is clamped: state is never newer than its arrival.
    return aheadMs > 0 ? arrivalHostMs : hostMs;
  }
}
