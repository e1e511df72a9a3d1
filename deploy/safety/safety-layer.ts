// The safety layer: every rule from the deploy config, applied in a fixed order each tick.
// Checks (stale, link, fault flags, tilt, NaN, overruns) latch the e-stop; shaping rules
// (clip, ramp, slew) limit the command and are logged when they start and stop acting.
import type { DeployConfig } from '../config.js';
import { ActionClip, ArmingRamp, LinkHealthWatchdog, OverrunMonitor, SlewRateLimiter, StaleStateWatchdog, TiltCutoff } from './rules.js';

export type RuleName =
  | 'actionClip' | 'slewRate' | 'armingRamp' | 'tiltCutoff' | 'staleState' | 'linkHealth'
  | 'nonFinite' | 'deadlineOverruns' | 'robotFault' | 'operator' | 'signal' | 'error' | 'arm';

export class SafetyLayer {
  readonly clip: ActionClip | null;
  readonly slew: SlewRateLimiter | null;
  readonly ramp: ArmingRamp;
  readonly tilt: TiltCutoff | null;
  readonly stale: StaleStateWatchdog;
  readonly link: LinkHealthWatchdog | null;
  readonly overruns: OverrunMonitor | null;
  readonly nonFinite: boolean;
  readonly robotFault: boolean;
  private clipping = false;
  private slewing = false;
  /** Result of the last shape() call, reused (no allocation per tick). */
  readonly shaped = { clipped: false, slewLimited: false, scale: 0 };

  /** Torque the arming ramp's limit rises to: the clip, or the robot's motor limit. */
  private readonly fullTorqueNm: number;

  constructor(readonly cfg: DeployConfig['safety'], actionSize: number, robotMaxTorqueNm = cfg.actionClip.maxTorqueNm) {
    this.fullTorqueNm = cfg.actionClip.enabled ? cfg.actionClip.maxTorqueNm : robotMaxTorqueNm;
    this.clip = cfg.actionClip.enabled ? new ActionClip(cfg.actionClip.maxTorqueNm) : null;
    this.slew = cfg.slewRate.enabled ? new SlewRateLimiter(cfg.slewRate.maxNmPerS, actionSize) : null;
    this.ramp = new ArmingRamp(cfg.armingRamp.enabled ? cfg.armingRamp.seconds : 0);
    this.tilt = cfg.tiltCutoff.enabled ? new TiltCutoff(cfg.tiltCutoff.maxTiltDeg) : null;
    // With the rule off, staleness is still measured (telemetry) but never trips.
    this.stale = new StaleStateWatchdog(cfg.staleState.enabled ? cfg.staleState.timeoutMs : Infinity);
    this.link = cfg.linkHealth.enabled ? new LinkHealthWatchdog(cfg.linkHealth.maxSilenceMs) : null;
    this.overruns = cfg.deadlineOverruns.enabled ? new OverrunMonitor(cfg.deadlineOverruns.maxConsecutive) : null;
    this.nonFinite = cfg.nonFinite.enabled;
    this.robotFault = cfg.robotFault.enabled;
  }

  /** Arming: start the ramp from zero torque. */
  onArm(nowMs: number): void {
    this.ramp.start(nowMs);
    this.slew?.reset();
    this.overruns?.reset();
  }

  /**
   * Shape `torque` in place: clip, soft-start scale, slew limit from the last command.
   * `events` receives rule names whose state changed (started or stopped acting).
   */
  shape(torque: Float64Array, nowMs: number, dtS: number, changed: (rule: RuleName, active: boolean) => void): SafetyLayer['shaped'] {
    const clipped = this.clip ? this.clip.apply(torque) : false;
    const scale = this.ramp.scale(nowMs);
    // Soft start as a torque *limit* rising from zero, not a gain: a balancing robot needs its
    // small corrective torques at once (scaling them down drops it), while large ones are held
    // back. The whole vector shrinks together so the torque keeps its direction.
    if (scale < 1) limitMagnitude(torque, scale * this.fullTorqueNm);
    const slewLimited = this.slew ? this.slew.apply(torque, dtS) : false;
    if (clipped !== this.clipping) { this.clipping = clipped; changed('actionClip', clipped); }
    if (slewLimited !== this.slewing) { this.slewing = slewLimited; changed('slewRate', slewLimited); }
    const r = this.shaped;
    r.clipped = clipped; r.slewLimited = slewLimited; r.scale = scale;
    return r;
  }

  /** Zero was sent (disarmed or e-stopped): the slew limiter starts from zero next time. */
  onZeroSent(): void {
    this.slew?.reset();
    this.shaped.clipped = false; this.shaped.slewLimited = false; this.shaped.scale = 0;
    this.clipping = false;
    this.slewing = false;
  }
}

/** Scale `values` down uniformly so that no entry exceeds `limit` in magnitude. */
function limitMagnitude(values: Float64Array, limit: number): void {
  let peak = 0;
  for (let i = 0; i < values.length; i++) peak = Math.max(peak, Math.abs(values[i]));
  if (peak <= limit) return;
  const k = peak > 0 ? limit / peak : 0;
  for (let i = 0; i < values.length; i++) values[i] *= k;
}
