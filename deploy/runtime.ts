// The real-time control loop. Each tick (timed by the ticker worker, run on this thread):
// read the newest state, check it, build the observation with the sim's own code, run the
// policy, shape the command through the safety layer, send it, then log telemetry. Every
// e-stop rule zeroes the command of the tick that detects it and latches ESTOP until an
// explicit re-arm. Everything on the tick's path is preallocated.
import type { Excitation } from './excitation.js';
import { buildObservation, OBS_SIZE, ACTION_SIZE, tiltFromQuaternion } from '../sim/observation.js';
import type { RobotConfig } from '../sim/config/robot.js';
import type { DeployConfig } from './config.js';
import type { FaultSpec } from './faults.js';
import type { Policy } from './policy.js';
import type { LinkHealth, RobotLink, TimedSensorState } from './robot-link.js';
import { ArmingStateMachine, type Mode, type Transition } from './safety/state-machine.js';
import { SafetyLayer, type RuleName } from './safety/safety-layer.js';
import { firstNonFinite } from './safety/rules.js';
import { simControlsOf, type SimControls } from './links/sim-link.js';
import { SampleStats, r1 } from './stats.js';
import type { Telemetry } from './telemetry.js';
import { Ticker, type TickInfo } from './ticker.js';

export interface SafetyEvent {
  tick: number;
  tMs: number;
  rule: RuleName;
  effect: 'estop' | 'limit' | 'info' | 'refused';
  detail: string;
  mode: Mode;
}

/** One tick as seen by the loop. Reused between ticks: copy what you keep. */
export interface TickRecord {
  tick: number;
  mode: Mode;
  /** Time since the first tick, ms. */
  elapsedMs: number;
  hasState: boolean;
  stateAgeMs: number;
  /** What the link said about itself this tick. */
  linkOk: boolean;
  linkSilenceMs: number;
  tiltRad: number;
  obs: Float32Array;
  rawAction: Float32Array;
  safeTorqueNm: Float64Array;
  latenessUs: number;
  computeUs: number;
}

export interface LoopSummary {
  ticks: number;
  missedDeadlines: number;
  missedFraction: number;
  overruns: number;
  latenessUsP50: number | null;
  latenessUsP99: number | null;
  latenessUsMax: number | null;
  wakeLatenessUsP50: number | null;
  wakeLatenessUsP99: number | null;
  computeUsP50: number | null;
  computeUsP99: number | null;
  inferenceUsP50: number | null;
  inferenceUsP99: number | null;
  stateToCommandUsP50: number | null;
  stateToCommandUsP99: number | null;
  estops: { reason: string; rule: RuleName; atTick: number; atS: number }[];
  safetyEvents: Record<string, number>;
  clippedTicks: number;
  slewLimitedTicks: number;
  armedTicks: number;
  finalMode: Mode;
  fell: boolean;
  maxTiltDeg: number | null;
}

export interface ControlLoopOptions {
  cfg: DeployConfig;
  robot: RobotConfig;
  policy: Policy;
  link: RobotLink;
  telemetry?: Telemetry | null;
  faults?: FaultSpec[];
  /** Stop after this many seconds of ticks (default: run until stop()). */
  seconds?: number;
  onTick?: (rec: TickRecord) => void;
  onEvent?: (e: SafetyEvent) => void;
  log?: (line: string) => void;
  /** Identification excitation added to the command before the safety layer (deploy/excitation.ts). */
  excitation?: Excitation;
}

const DEG = 180 / Math.PI;

export class ControlLoop {
  readonly periodMs: number;
  private readonly ticker: Ticker;
  private readonly sm: ArmingStateMachine;
  private readonly safety: SafetyLayer;
  private readonly obs = new Float32Array(OBS_SIZE);
  private readonly action = new Float32Array(ACTION_SIZE);
  private readonly prevAction = new Float32Array(ACTION_SIZE);
  private readonly command: Float64Array;
  private readonly rawTorque = new Float64Array(ACTION_SIZE);
  private readonly torque = new Float64Array(ACTION_SIZE);
  private readonly zero = new Float64Array(ACTION_SIZE);
  private readonly record: TickRecord;
  private readonly lateness = new SampleStats();
  private readonly wakeLateness = new SampleStats();
  private readonly compute = new SampleStats();
  private readonly inference = new SampleStats();
  private readonly stateToCommand = new SampleStats();
  private readonly events: SafetyEvent[] = [];
  private readonly estops: LoopSummary['estops'] = [];
  private readonly ruleCounts: Record<string, number> = {};
  private readonly faultsFired: boolean[];
  private seq = 0;
  private ticks = 0;
  private mainMissed = 0;
  private lastWorkerMissed = 0;
  private overrunCount = 0;
  private clippedTicks = 0;
  private slewTicks = 0;
  private armedTicks = 0;
  private maxTiltRad = 0;
  private firstTickMs = NaN;
  private currentTick = 0;
  private armRequestedMs = NaN;
  private armReason = '';
  private stallMs = 0;
  private nanAction = false;
  private reportedFell = false;
  private running = false;
  private finish: ((s: LoopSummary) => void) | null = null;
  private readonly finished: Promise<LoopSummary>;
  /** Fault injection and ground truth, when the link is a simulated robot. */
  private readonly sim: SimControls | null;

  constructor(private readonly o: ControlLoopOptions) {
    this.periodMs = 1000 / o.cfg.rateHz;
    this.sim = simControlsOf(o.link);
    this.ticker = new Ticker(this.periodMs, o.cfg.timing.spinUs / 1000);
    this.safety = new SafetyLayer(o.cfg.safety, ACTION_SIZE, o.robot.motor.maxTorque);
    this.sm = new ArmingStateMachine((t) => this.onTransition(t));
    this.command = Float64Array.from(o.cfg.command);
    this.faultsFired = (o.faults ?? []).map(() => false);
    this.record = {
      tick: 0, mode: 'DISARMED', elapsedMs: 0, hasState: false, stateAgeMs: NaN, linkOk: false, linkSilenceMs: NaN, tiltRad: NaN,
      obs: this.obs, rawAction: this.action, safeTorqueNm: this.torque, latenessUs: 0, computeUs: 0,
    };
    this.finished = new Promise((resolve) => { this.finish = resolve; });
  }

  get mode(): Mode { return this.sm.mode; }
  get done(): Promise<LoopSummary> { return this.finished; }
  get safetyEvents(): readonly SafetyEvent[] { return this.events; }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.policy.reset();
    this.ticker.start((t) => this.tick(t), (err) => {
      // Without a clock nothing commands the robot: e-stop and end the run.
      this.estop('error', `control clock failed: ${err.message}`);
      void this.stop();
    });
  }

  /** Ask to arm; it happens at a tick with a fresh, upright, finite state (or is refused after armWaitMs). */
  arm(reason = 'operator arm'): void {
    if (this.sm.mode !== 'DISARMED') {
      this.event('arm', 'refused', `cannot arm from ${this.sm.mode}${this.sm.mode === 'ESTOP' ? ' (re-arm explicitly)' : ''}`);
      return;
    }
    this.armRequestedMs = performance.now();
    this.armReason = reason;
  }

  /** One explicit operator request (a key, a ROS 2 service): re-arm after an e-stop, or arm. */
  requestArm(reason: string): { ok: boolean; message: string } {
    if (!this.running) return { ok: false, message: 'the control loop is not running' };
    if (this.sm.mode === 'ESTOP') { this.rearm(reason); return { ok: true, message: 'e-stop cleared; arming at the next good state' }; }
    if (this.sm.mode === 'DISARMED') { this.arm(reason); return { ok: true, message: 'arming at the next good state' }; }
    return { ok: true, message: `already ${this.sm.mode}` };
  }

  /** Leave a latched e-stop and arm again (explicit, never automatic). */
  rearm(reason = 'operator re-arm'): void {
    if (this.sm.clearEstop(reason)) {
      this.o.link.sendArm();
      this.arm(reason);
    }
  }

  /** Latched e-stop now (operator key, signal, error): zero torque sent immediately. */
  estop(rule: RuleName, detail: string): void {
    this.trip(rule, detail);
    if (this.running) this.o.link.sendCommand(this.zero, this.seq++);
  }

  /** Stop ticking: zero torque first, then stop the clock. Returns the summary. */
  async stop(): Promise<LoopSummary> {
    if (this.running) {
      this.running = false;
      this.o.link.sendCommand(this.zero, this.seq++);
      await this.ticker.stop();
      this.finish?.(this.summary());
    }
    return this.finished;
  }

  /** Shaping rules are logged when they start and stop acting, not every tick. */
  private readonly onShapingChange = (rule: RuleName, active: boolean): void => {
    this.event(rule, active ? 'limit' : 'info', active ? 'started limiting the command' : 'stopped limiting');
  };

  private onTransition(t: Transition): void {
    this.o.log?.(`deploy: ${t.from} -> ${t.to} (${t.reason})`);
    this.o.telemetry?.log('mode', performance.now(), { tick: this.currentTick, from: t.from, to: t.to, reason: t.reason });
  }

  private event(rule: RuleName, effect: SafetyEvent['effect'], detail: string): void {
    const e: SafetyEvent = { tick: this.currentTick, tMs: performance.now(), rule, effect, detail, mode: this.sm.mode };
    this.events.push(e);
    this.ruleCounts[rule] = (this.ruleCounts[rule] ?? 0) + 1;
    this.o.telemetry?.log('safety', e.tMs, { tick: e.tick, rule, effect, detail, mode: e.mode });
    this.o.onEvent?.(e);
    if (effect !== 'limit') this.o.log?.(`deploy: [${rule}] ${effect}: ${detail}`);
  }

  /** Latch the e-stop (once) and tell the robot. */
  private trip(rule: RuleName, detail: string): void {
    if (this.sm.mode === 'ESTOP') return;
    this.armRequestedMs = NaN;
    this.sm.estop(`${rule}: ${detail}`);
    this.estops.push({ reason: `${rule}: ${detail}`, rule, atTick: this.currentTick, atS: Number.isNaN(this.firstTickMs) ? 0 : (performance.now() - this.firstTickMs) / 1000 });
    this.event(rule, 'estop', detail);
    this.o.link.sendEstop(`${rule}: ${detail}`);
  }

  private fireFaults(elapsedS: number): void {
    const faults = this.o.faults ?? [];
    for (let i = 0; i < faults.length; i++) {
      if (this.faultsFired[i] || elapsedS < faults[i].atS) continue;
      this.faultsFired[i] = true;
      const f = faults[i];
      this.event('operator', 'info', `injected fault ${f.kind}${f.arg !== undefined ? `:${f.arg}` : ''} at ${elapsedS.toFixed(3)} s`);
      const sim = this.sim;
      if (f.kind === 'stall') this.stallMs = f.arg ?? 0;
      else if (f.kind === 'nan-action') this.nanAction = true;
      else if (sim) {
        if (f.kind === 'push') sim.push(f.arg ?? 0, 0);
        else sim.inject(f.kind);
      }
    }
  }

  /** The state checks that latch the e-stop: "rule|detail" for the first violated one, or null. Allocates only on a violation. */
  private checkState(state: TimedSensorState | null, health: LinkHealth, now: number, tiltRad: number): string | null {
    const s = this.safety;
    const stamp = state ? state.stampMs : undefined;
    if (s.stale.violated(stamp, now)) return `staleState|newest state is ${state ? (now - state.stampMs).toFixed(1) + ' ms' : 'missing,'} old (limit ${s.stale.timeoutMs} ms)`;
    if (s.link && s.link.violated(health.ok, health.silenceMs)) return `linkHealth|link ${health.ok ? `silent for ${health.silenceMs.toFixed(0)} ms (limit ${s.link.maxSilenceMs} ms)` : `unhealthy: ${health.detail ?? 'not ok'}`}`;
    if (s.robotFault && state && state.faultFlags) return `robotFault|robot reports fault flags 0x${state.faultFlags.toString(16)}`;
    if (s.nonFinite && state) {
      const bad = firstNonFinite(this.obs);
      if (bad >= 0) return `nonFinite|observation[${bad}] is ${this.obs[bad]}`;
    }
    if (s.tilt && state && s.tilt.violated(tiltRad)) return `tiltCutoff|tilt ${(tiltRad * DEG).toFixed(1)} deg > ${(s.tilt.maxTiltRad * DEG).toFixed(1)} deg`;
    return null;
  }

  private tick(t: TickInfo): void {
    if (!this.running) return;
    const tStart = performance.now();
    if (Number.isNaN(this.firstTickMs)) this.firstTickMs = t.deadlineMs;
    this.currentTick = t.k;
    const rec = this.record;
    // Deadlines the worker skipped since the last tick count as missed (and as bad ticks in a row).
    const workerMissed = this.ticker.workerMissed;
    const newlyMissed = workerMissed - this.lastWorkerMissed;
    this.lastWorkerMissed = workerMissed;
    if (newlyMissed > 0) this.noteBadTicks(newlyMissed);
    if (t.superseded) {
      // Main reached this tick after the next one was due: skip it, the newer tick sends.
      this.mainMissed++;
      this.noteBadTicks(1);
      return;
    }
    this.ticks++;
    const elapsedMs = t.deadlineMs - this.firstTickMs;
    this.fireFaults(elapsedMs / 1000);

    const link = this.o.link;
    const state = link.latestState();
    const health = link.health();
    const tiltRad = state ? tiltFromQuaternion(state.orientation) : NaN;
    if (tiltRad > this.maxTiltRad) this.maxTiltRad = tiltRad;
    if (state) buildObservation(state, this.prevAction, this.command, this.obs);

    // Pending arm request: arm only from a state that passes every check.
    if (this.sm.mode === 'DISARMED' && !Number.isNaN(this.armRequestedMs)) {
      const maxArmTilt = this.o.cfg.safety.armMaxTiltDeg / DEG;
      const problem = this.checkState(state, health, tStart, tiltRad)
        ?? (tiltRad <= maxArmTilt ? null : `arm|tilt ${(tiltRad * DEG).toFixed(1)} deg > ${this.o.cfg.safety.armMaxTiltDeg} deg allowed for arming`);
      if (!problem) {
        this.armRequestedMs = NaN;
        this.safety.onArm(tStart);
        this.o.policy.reset();
        this.prevAction.fill(0);
        if (state) buildObservation(state, this.prevAction, this.command, this.obs);
        link.sendArm();
        this.sm.arm(this.armReason);
      } else if (tStart - this.armRequestedMs > this.o.cfg.safety.armWaitMs) {
        this.armRequestedMs = NaN;
        this.event('arm', 'refused', `not armed after ${this.o.cfg.safety.armWaitMs} ms: ${problem.split('|')[1]}`);
      }
    }

    let inferUs = NaN;
    const shaped = this.safety.shaped;
    if (this.sm.torqueAllowed) {
      const problem = this.checkState(state, health, tStart, tiltRad);
      if (problem) {
        const bar = problem.indexOf('|');
        this.trip(problem.slice(0, bar) as RuleName, problem.slice(bar + 1));
      }
    }
    if (this.sm.torqueAllowed) {
      const t0 = performance.now();
      this.o.policy.act(this.obs, this.action);
      inferUs = (performance.now() - t0) * 1000;
      if (this.nanAction) this.action[0] = NaN;
      const bad = this.safety.nonFinite ? firstNonFinite(this.action) : -1;
      if (bad >= 0) this.trip('nonFinite', `action[${bad}] is ${this.action[bad]}`);
    } else {
      this.action.fill(0);
    }
    if (this.sm.torqueAllowed) {
      const maxT = this.o.policy.maxTorqueNm;
      for (let i = 0; i < ACTION_SIZE; i++) { this.rawTorque[i] = this.action[i] * maxT; this.torque[i] = this.rawTorque[i]; }
      this.o.excitation?.addTo(this.torque, elapsedMs / 1000);
      this.safety.shape(this.torque, tStart, this.periodMs / 1000, this.onShapingChange);
      if (shaped.clipped) this.clippedTicks++;
      if (shaped.slewLimited) this.slewTicks++;
      if (this.sm.mode === 'ARMING' && shaped.scale >= 1) this.sm.rampDone();
      this.armedTicks++;
    } else {
      this.rawTorque.fill(0);
      this.torque.fill(0);
      this.safety.onZeroSent();
    }
    if (this.stallMs > 0) { const until = performance.now() + this.stallMs; while (performance.now() < until) { /* injected stall */ } }

    link.sendCommand(this.torque, this.seq++);
    const tSent = performance.now();
    const maxT = this.o.policy.maxTorqueNm;
    for (let i = 0; i < ACTION_SIZE; i++) this.prevAction[i] = this.torque[i] / maxT;

    // Timing, then the overrun rule (its zero command goes out at once).
    const latenessUs = (tStart - t.deadlineMs) * 1000;
    const computeUs = (tSent - tStart) * 1000;
    this.lateness.add(latenessUs);
    this.wakeLateness.add((t.wakeMs - t.deadlineMs) * 1000);
    this.compute.add(computeUs);
    if (!Number.isNaN(inferUs)) this.inference.add(inferUs);
    const s2c = state ? (tSent - state.stampMs) * 1000 : NaN;
    this.stateToCommand.add(s2c);
    const overrun = tSent > t.deadlineMs + this.periodMs;
    if (overrun) this.overrunCount++;
    this.noteBadTicks(overrun ? 1 : 0);

    rec.tick = t.k;
    rec.mode = this.sm.mode;
    rec.elapsedMs = elapsedMs;
    rec.hasState = state !== null;
    rec.stateAgeMs = state ? tStart - state.stampMs : NaN;
    rec.tiltRad = tiltRad;
    rec.linkOk = health.ok;
    rec.linkSilenceMs = health.silenceMs;
    rec.latenessUs = latenessUs;
    rec.computeUs = computeUs;
    this.o.onTick?.(rec);
    this.logTelemetry(t, state, tiltRad, shaped, latenessUs, computeUs, inferUs, s2c, overrun, tStart);

    if (this.sim && !this.reportedFell && this.sim.everFell) {
      this.reportedFell = true;
      this.event('operator', 'info', 'the simulated robot fell');
    }
    if (this.o.seconds !== undefined && elapsedMs + this.periodMs >= this.o.seconds * 1000) void this.stop();
  }

  /** Feed the consecutive-overrun rule; e-stops when the run reaches the limit. */
  private noteBadTicks(count: number): void {
    const mon = this.safety.overruns;
    if (!mon) return;
    if (mon.record(count > 0, Math.max(1, count)) && this.sm.torqueAllowed) {
      this.estop('deadlineOverruns', `${mon.run} consecutive ticks missed or overran (limit ${mon.maxConsecutive})`);
    }
  }

  private logTelemetry(t: TickInfo, state: TimedSensorState | null, tiltRad: number, shaped: { clipped: boolean; slewLimited: boolean; scale: number },
    latenessUs: number, computeUs: number, inferUs: number, s2c: number, overrun: boolean, now: number): void {
    const tel = this.o.telemetry;
    if (!tel) return;
    const tick = t.k;
    if (state) {
      tel.log('state', now, {
        tick, stampMs: state.stampMs, ageMs: now - state.stampMs, orientation: Array.from(state.orientation), gyro: Array.from(state.gyro),
        wheelVelocity: Array.from(state.wheelVelocity), tiltDeg: tiltRad * DEG, faultFlags: state.faultFlags ?? 0,
      });
      tel.log('observation', now, { tick, obs: Array.from(this.obs) });
    }
    tel.log('action', now, {
      tick, mode: this.sm.mode, raw: Array.from(this.action), rawTorqueNm: Array.from(this.rawTorque), safeTorqueNm: Array.from(this.torque),
      rampScale: shaped.scale, clipped: shaped.clipped, slewLimited: shaped.slewLimited,
    });
    tel.log('timing', now, {
      tick, deadlineMs: t.deadlineMs, wakeLatenessUs: (t.wakeMs - t.deadlineMs) * 1000, latenessUs, computeUs,
      inferenceUs: Number.isNaN(inferUs) ? null : inferUs, stateToCommandUs: Number.isNaN(s2c) ? null : s2c,
      missedDeadlines: this.missed, overrun,
    });
    if (this.sim && tel.has('truth')) {
      const tr = this.sim.truth();
      tel.log('truth', now, {
        tick, simTimeS: tr.timeS, tiltDeg: tr.tiltRad * DEG, ballPosition: Array.from(tr.ballPosition), ballVelocity: Array.from(tr.ballVelocity),
        bodyOrientation: Array.from(tr.bodyOrientation), ballOrientation: Array.from(tr.ballOrientation), wheelTorque: Array.from(tr.wheelTorque),
      });
    }
  }

  private get missed(): number { return this.lastWorkerMissed + this.mainMissed; }

  summary(): LoopSummary {
    const [l50, l99] = this.lateness.percentiles(50, 99);
    const [w50, w99] = this.wakeLateness.percentiles(50, 99);
    const [c50, c99] = this.compute.percentiles(50, 99);
    const [i50, i99] = this.inference.percentiles(50, 99);
    const [s50, s99] = this.stateToCommand.percentiles(50, 99);
    const total = this.ticks + this.missed;
    return {
      ticks: this.ticks,
      missedDeadlines: this.missed,
      missedFraction: total ? this.missed / total : 0,
      overruns: this.overrunCount,
      latenessUsP50: r1(l50), latenessUsP99: r1(l99), latenessUsMax: r1(this.lateness.max()),
      wakeLatenessUsP50: r1(w50), wakeLatenessUsP99: r1(w99),
      computeUsP50: r1(c50), computeUsP99: r1(c99),
      inferenceUsP50: r1(i50), inferenceUsP99: r1(i99),
      stateToCommandUsP50: r1(s50), stateToCommandUsP99: r1(s99),
      estops: this.estops,
      safetyEvents: { ...this.ruleCounts },
      clippedTicks: this.clippedTicks,
      slewLimitedTicks: this.slewTicks,
      armedTicks: this.armedTicks,
      finalMode: this.sm.mode,
      fell: this.sim ? this.sim.everFell : this.maxTiltRad > (this.o.cfg.safety.tiltCutoff.maxTiltDeg / DEG),
      maxTiltDeg: r1(this.maxTiltRad * DEG),
    };
  }
}
