// The safety layer: every rule from the deploy config, applied in a fixed order each tick.
// Checks (stale, link, fault flags, NaN, tilt, mode agreement, overruns) return a typed
// EstopReason that the runtime latches; shaping rules (clip, ramp, slew) limit the command
// and are logged when they start and stop acting. Every decision is made here, none inline.
import type { DeployConfig } from '../config.js';
import type { LinkHealth, RobotMode, TimedSensorState } from '../robot-link.js';
import type { ArmBlocker, EstopReason, RuleName } from './decisions.js';
import { ActionClip, ArmingRamp, firstNonFinite, LinkHealthWatchdog, ModeAgreement, OverrunMonitor, PerceptionWatchdog, SlewRateLimiter, StaleStateWatchdog, TiltCutoff } from './rules.js';

/** One perception input the policy needs: its name, and how old (capture to now) its newest frame may grow. */
export interface PerceptionInputRule {
  input: string;
  holdMs: number;
}

export type { RuleName } from './decisions.js';

const DEG = 180 / Math.PI;

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
  readonly modeAgreement: ModeAgreement | null;
  /** One watchdog per perception input, in the order the runtime passes their stamps. */
  readonly perception: PerceptionWatchdog[];
  private readonly armMaxTiltRad: number;
  private clipping = false;
  private slewing = false;
  /** Result of the last shape() call, reused (no allocation per tick). */
  readonly shaped = { clipped: false, slewLimited: false, scale: 0 };

  /** Torque the arming ramp's limit rises to: the clip, or the robot's motor limit. */
  private readonly fullTorqueNm: number;

  constructor(readonly cfg: DeployConfig['safety'], actionSize: number, robotMaxTorqueNm = cfg.actionClip.maxTorqueNm, perception: readonly PerceptionInputRule[] = []) {
    this.perception = perception.map((p) => new PerceptionWatchdog(p.input, p.holdMs));
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
    this.modeAgreement = cfg.modeAgreement.enabled ? new ModeAgreement(cfg.modeAgreement.maxMs) : null;
    this.armMaxTiltRad = cfg.armMaxTiltDeg / DEG;
  }

  /**
   * The state checks that latch the e-stop, in order; the first violated one, or null.
   * `obs` is the observation built from `state`. Allocates only on a violation.
   */
  checkState(state: TimedSensorState | null, health: LinkHealth, nowMs: number, tiltRad: number, obs: Float32Array): EstopReason | null {
    const stamp = state ? state.stampMs : undefined;
    if (this.stale.violated(stamp, nowMs)) return { rule: 'staleState', ageMs: this.stale.ageMs(stamp, nowMs), limitMs: this.stale.timeoutMs };
    if (this.link && this.link.violated(health.ok, health.silenceMs)) {
      return { rule: 'linkHealth', ok: health.ok, silenceMs: health.silenceMs, limitMs: this.link.maxSilenceMs, linkDetail: health.detail ?? null };
    }
    if (!state) return null;
    if (this.robotFault && state.faultFlags) return { rule: 'robotFault', flags: state.faultFlags };
    if (this.nonFinite) {
      const bad = firstNonFinite(obs);
      if (bad >= 0) return { rule: 'nonFinite', where: 'observation', index: bad, value: obs[bad] };
    }
    if (this.tilt && this.tilt.violated(tiltRad)) return { rule: 'tiltCutoff', tiltDeg: tiltRad * DEG, limitDeg: this.tilt.maxTiltRad * DEG };
    return null;
  }

  /**
   * Perception inputs: `stamps[k]` is the capture stamp of input k's newest frame (NaN: none),
   * `frames[k]` its values. Too old a frame, or a NaN/Inf value in one, latches the e-stop.
   */
  checkPerception(stamps: ArrayLike<number>, frames: readonly (Float32Array | null)[], nowMs: number): EstopReason | null {
    for (let k = 0; k < this.perception.length; k++) {
      const w = this.perception[k];
      if (w.violated(stamps[k], nowMs)) return { rule: 'perceptionStale', input: w.input, ageMs: w.ageMs(stamps[k], nowMs), holdMs: w.holdMs };
      const frame = frames[k];
      if (this.nonFinite && frame) {
        const bad = firstNonFinite(frame);
        if (bad >= 0) return { rule: 'nonFinite', where: `input ${w.input}`, index: bad, value: frame[bad] };
      }
    }
    return null;
  }

  /** What keeps an arm request waiting: a failed state or perception check, or too much lean. */
  armBlocker(state: TimedSensorState | null, health: LinkHealth, nowMs: number, tiltRad: number, obs: Float32Array,
    perceptionStamps: ArrayLike<number> = [], perceptionFrames: readonly (Float32Array | null)[] = []): ArmBlocker | null {
    const problem = this.checkState(state, health, nowMs, tiltRad, obs) ?? this.checkPerception(perceptionStamps, perceptionFrames, nowMs);
    if (problem) return problem;
    if (!(tiltRad <= this.armMaxTiltRad)) return { rule: 'armTilt', tiltDeg: tiltRad * DEG, limitDeg: this.cfg.armMaxTiltDeg };
    return null;
  }

  /** The policy's action must be finite. */
  checkAction(action: Float32Array): EstopReason | null {
    if (!this.nonFinite) return null;
    const bad = firstNonFinite(action);
    return bad >= 0 ? { rule: 'nonFinite', where: 'action', index: bad, value: action[bad] } : null;
  }

  /**
   * While the host commands torque the robot must report ARMED (links that report no mode
   * return null and are not judged). Call once per tick with torque allowed.
   */
  checkMode(robotMode: RobotMode | null, hostMode: string, nowMs: number): EstopReason | null {
    const m = this.modeAgreement;
    if (!m || robotMode === null) return null;
    if (!m.violated(robotMode === 'ARMED', nowMs)) return null;
    return { rule: 'modeAgreement', hostMode, robotMode, forMs: m.disagreeingForMs(nowMs), limitMs: m.maxMs };
  }

  /** Feed the consecutive-overrun rule with `count` bad ticks (0 = a good one). */
  checkOverruns(count: number): EstopReason | null {
    const mon = this.overruns;
    if (!mon) return null;
    return mon.record(count > 0, Math.max(1, count)) ? { rule: 'deadlineOverruns', run: mon.run, limit: mon.maxConsecutive } : null;
  }

  /** Arming: start the ramp from zero torque. */
  onArm(nowMs: number): void {
    this.ramp.start(nowMs);
    this.slew?.reset();
    this.overruns?.reset();
    this.modeAgreement?.reset();
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
