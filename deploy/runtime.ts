// The control loop. Each tick (timed by the ticker worker in real time, or driven by the
// caller in lockstep): read the newest state, build the observation with the sim's own code,
// ask the safety layer, run the policy, shape the command, send it, then log telemetry. Every
// decision comes from deploy/safety as a typed EstopReason; an e-stop zeroes the command of
// the tick that detects it and latches until an explicit re-arm. Fault injection, if any,
// wraps the link and the policy (deploy/fault-injection.ts): the tick has no fault branches.
// Everything on the tick's path is preallocated.
import { buildObservation, OBS_SIZE, ACTION_SIZE, tiltFromQuaternion, actionToTorque, torqueToAction } from '../sim/observation.js';
import type { Excitation } from './excitation.js';
import type { RobotConfig } from '../sim/config/robot.js';
import { realClock, type Clock } from './clock.js';
import { DEFAULT_PERCEPTION_HOLD_PERIODS, type DeployConfig } from './config.js';
import type { PerceptionSource } from './perception.js';
import type { PerceptionInputRule } from './safety/safety-layer.js';
import type { ArtifactInput } from '../sim/policy-artifact.js';
import { isPerceptionInput, perceptionRateHz, perceptionShape, robotPerceptionInputs } from '../sim/perception/layout.js';
import type { Policy } from './policy.js';
import type { LinkCounters, RobotLink, TimedSensorState } from './robot-link.js';
import { ArmingStateMachine, type Mode, type Transition } from './safety/state-machine.js';
import { SafetyLayer } from './safety/safety-layer.js';
import { describeReason, reasonLine, type ArmBlocker, type EstopReason, type RuleName } from './safety/decisions.js';
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
  /** The decision behind an e-stop or a refused arm, with the values it judged. */
  decision?: ArmBlocker;
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
  /** Age of each perception input's newest frame (order of LoopSummary.perception), ms; NaN: none yet. */
  perceptionAgeMs: Float64Array;
}

/** Per perception input: its sensor period and hold limit, frames fed, the oldest frame fed while armed, frames the source refused. */
export interface PerceptionSummary {
  input: string;
  periodMs: number;
  holdMs: number;
  frames: number;
  maxAgeMs: number | null;
  /** Frames the source refused (wrong size, encoding, layout), when it counts them. */
  refused: number | null;
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
  estops: { reason: string; rule: EstopReason['rule']; atTick: number; atS: number; decision: EstopReason }[];
  /** Arm or re-arm requests that timed out unhonoured (armWaitMs), with why. */
  armRefusals: { atTick: number; reason: string }[];
  safetyEvents: Record<string, number>;
  /** The link's frame counters at the end of the run. */
  linkCounters: LinkCounters;
  clippedTicks: number;
  slewLimitedTicks: number;
  armedTicks: number;
  finalMode: Mode;
  fell: boolean;
  maxTiltDeg: number | null;
  /** Perceptive policies only (empty otherwise). */
  perception: PerceptionSummary[];
}

export interface ControlLoopOptions {
  cfg: DeployConfig;
  robot: RobotConfig;
  policy: Policy;
  link: RobotLink;
  /** Where the perception frames of a perceptive policy come from (policy.extraInputs); required for one. */
  perception?: PerceptionSource | null;
  telemetry?: Telemetry | null;
  /** Ground truth and the `fell` verdict of a simulated robot (default: the link's own, if it is one). */
  sim?: SimControls | null;
  /** Time source; lockstep runs pass a SimClock. */
  clock?: Clock;
  /** Ticks are driven by the caller through step(), not by the ticker worker. */
  lockstep?: boolean;
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
  private readonly armRefusals: LoopSummary['armRefusals'] = [];
  private readonly ruleCounts: Record<string, number> = {};
  private readonly clock: Clock;
  private readonly lockstepTick: TickInfo = { k: 0, deadlineMs: 0, wakeMs: 0, superseded: false };
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
  private lastCountersTick = 0;
  private reportedFell = false;
  private running = false;
  private finish: ((s: LoopSummary) => void) | null = null;
  private readonly finished: Promise<LoopSummary>;
  /** Fault injection and ground truth, when the link is a simulated robot. */
  private readonly sim: SimControls | null;
  /** Perception inputs of the policy, in one order: rules, stamps, frames, extras. */
  private readonly perceptionRules: (PerceptionInputRule & { periodMs: number })[];
  private readonly perceptionStamps: Float64Array;
  private readonly perceptionFrames: (Float32Array | null)[];
  private readonly perceptionSeqs: Float64Array;
  private readonly perceptionStats: PerceptionSummary[];
  /** Each input's shape without the batch dimension, recorded with its frames. */
  private readonly perceptionShapes: number[][];
  private readonly extras: Record<string, Float32Array> = {};

  constructor(private readonly o: ControlLoopOptions) {
    this.periodMs = 1000 / o.cfg.rateHz;
    this.sim = o.sim !== undefined ? o.sim : simControlsOf(o.link);
    this.clock = o.clock ?? realClock;
    this.ticker = new Ticker(this.periodMs, o.cfg.timing.spinUs / 1000);
    this.perceptionRules = perceptionRules(o.policy.extraInputs ?? [], o.cfg, o.robot);
    if (this.perceptionRules.length && !o.perception) {
      throw new Error(`policy ${o.policy.name} needs ${this.perceptionRules.map((r) => `'${r.input}'`).join(', ')} every tick, and nothing delivers perception frames (docs/deploy.md, perception)`);
    }
    for (const r of this.perceptionRules) {
      if (!o.perception!.inputs.includes(r.input)) throw new Error(`policy ${o.policy.name} needs '${r.input}', which the perception source '${o.perception!.name}' does not deliver (it delivers ${o.perception!.inputs.map((n) => `'${n}'`).join(', ') || 'nothing'})`);
    }
    const nIn = this.perceptionRules.length;
    this.perceptionShapes = (o.policy.extraInputs ?? []).map((i) =>
      isPerceptionInput(i.name) && robotPerceptionInputs(o.robot).includes(i.name) ? perceptionShape(o.robot, i.name) : i.shape.slice(1));
    this.perceptionStamps = new Float64Array(nIn).fill(NaN);
    this.perceptionFrames = new Array(nIn).fill(null);
    this.perceptionSeqs = new Float64Array(nIn).fill(NaN);
    this.perceptionStats = this.perceptionRules.map((r) => ({ input: r.input, periodMs: r1(r.periodMs)!, holdMs: r.holdMs, frames: 0, maxAgeMs: null, refused: null }));
    this.safety = new SafetyLayer(o.cfg.safety, ACTION_SIZE, o.robot.motor.maxTorque, this.perceptionRules);
    this.sm = new ArmingStateMachine((t) => this.onTransition(t));
    this.command = Float64Array.from(o.cfg.command);
    this.record = {
      tick: 0, mode: 'DISARMED', elapsedMs: 0, hasState: false, stateAgeMs: NaN, linkOk: false, linkSilenceMs: NaN, tiltRad: NaN,
      obs: this.obs, rawAction: this.action, safeTorqueNm: this.torque, latenessUs: 0, computeUs: 0,
      perceptionAgeMs: new Float64Array(nIn).fill(NaN),
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
    if (this.o.lockstep) return;
    this.ticker.start((t) => this.tick(t), (err) => {
      // Without a clock nothing commands the robot: e-stop and end the run.
      this.estop({ rule: 'error', text: `control clock failed: ${err.message}` });
      void this.stop();
    }, 20, () => this.o.policy.warm?.());
  }

  /** Lockstep: run the next tick now; its deadline is the clock's time (the caller advanced it). */
  step(): void {
    if (!this.o.lockstep) throw new Error('step() is for lockstep runs; a real-time loop is ticked by its clock');
    const t = this.lockstepTick;
    t.deadlineMs = this.clock.now();
    t.wakeMs = t.deadlineMs;
    this.tick(t);
    t.k++;
  }


  /** Ask to arm; it happens at a tick with a fresh, upright, finite state (or is refused after armWaitMs). */
  arm(reason = 'operator arm'): void {
    if (this.sm.mode !== 'DISARMED') {
      this.event('arm', 'refused', `cannot arm from ${this.sm.mode}${this.sm.mode === 'ESTOP' ? ' (re-arm explicitly)' : ''}`);
      return;
    }
    this.armRequestedMs = this.clock.now();
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
  estop(reason: EstopReason): void {
    this.trip(reason);
    if (this.running) this.o.link.sendCommand(this.zero, this.seq++);
  }

  /** Stop ticking: zero torque first, then stop the clock. Returns the summary. */
  async stop(): Promise<LoopSummary> {
    if (this.running) {
      this.running = false;
      this.o.link.sendCommand(this.zero, this.seq++);
      this.o.telemetry?.log('link', this.clock.now(), { tick: this.currentTick, ...this.linkCounters() });
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
    this.o.telemetry?.log('mode', this.clock.now(), { tick: this.currentTick, from: t.from, to: t.to, reason: t.reason });
  }

  private event(rule: RuleName, effect: SafetyEvent['effect'], detail: string, decision?: ArmBlocker): void {
    const e: SafetyEvent = { tick: this.currentTick, tMs: this.clock.now(), rule, effect, detail, mode: this.sm.mode, decision };
    this.events.push(e);
    this.ruleCounts[rule] = (this.ruleCounts[rule] ?? 0) + 1;
    this.o.telemetry?.log('safety', e.tMs, { tick: e.tick, rule, effect, detail, mode: e.mode, values: decision ?? null });
    this.o.onEvent?.(e);
    if (effect !== 'limit') this.o.log?.(`deploy: [${rule}] ${effect}: ${detail}`);
  }

  /** Latch the e-stop (once), tell the robot, and forget the policy's state (a re-arm starts afresh). */
  private trip(reason: EstopReason): void {
    if (this.sm.mode === 'ESTOP') return;
    const line = reasonLine(reason);
    this.armRequestedMs = NaN;
    this.sm.estop(line);
    const atS = Number.isNaN(this.firstTickMs) ? 0 : (this.clock.now() - this.firstTickMs) / 1000;
    this.estops.push({ reason: line, rule: reason.rule, atTick: this.currentTick, atS, decision: reason });
    this.event(reason.rule, 'estop', describeReason(reason), reason);
    this.o.link.sendEstop(line, reason.rule);
    this.o.policy.reset();
  }

  private tick(t: TickInfo): void {
    if (!this.running) return;
    const tStart = this.clock.now();
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

    const link = this.o.link;
    const safety = this.safety;
    const state = link.latestState();
    const health = link.health();
    const tiltRad = state ? tiltFromQuaternion(state.orientation) : NaN;
    if (tiltRad > this.maxTiltRad) this.maxTiltRad = tiltRad;
    if (state) buildObservation(state, this.prevAction, this.command, this.obs);
    this.readPerception(tStart);

    // Pending arm request: arm only from a state that passes every check.
    if (this.sm.mode === 'DISARMED' && !Number.isNaN(this.armRequestedMs)) {
      const blocker = safety.armBlocker(state, health, tStart, tiltRad, this.obs, this.perceptionStamps, this.perceptionFrames);
      if (!blocker) {
        this.armRequestedMs = NaN;
        safety.onArm(tStart);
        this.o.policy.reset();
        this.prevAction.fill(0);
        if (state) buildObservation(state, this.prevAction, this.command, this.obs);
        link.sendArm();
        this.sm.arm(this.armReason);
      } else if (tStart - this.armRequestedMs > this.o.cfg.safety.armWaitMs) {
        this.armRequestedMs = NaN;
        const why = `not armed after ${this.o.cfg.safety.armWaitMs} ms: ${describeReason(blocker)}`;
        this.armRefusals.push({ atTick: t.k, reason: `${blocker.rule}: ${why}` });
        this.event('arm', 'refused', why, blocker);
      }
    }

    let inferUs = NaN;
    const shaped = safety.shaped;
    if (this.sm.torqueAllowed) {
      const problem = safety.checkState(state, health, tStart, tiltRad, this.obs)
        ?? safety.checkPerception(this.perceptionStamps, this.perceptionFrames, tStart)
        ?? safety.checkMode(link.robotMode?.() ?? null, this.sm.mode, tStart);
      if (problem) this.trip(problem);
    }
    if (this.sm.torqueAllowed) {
      const t0 = performance.now(); // a duration, measured on the real clock even in lockstep
      this.o.policy.act(this.obs, this.action, this.extras);
      inferUs = (performance.now() - t0) * 1000;
      const problem = safety.checkAction(this.action);
      if (problem) this.trip(problem);
    } else {
      this.action.fill(0);
    }
    if (this.sm.torqueAllowed) {
      actionToTorque(this.action, this.o.policy.maxTorqueNm, this.rawTorque);
      this.torque.set(this.rawTorque);
      this.o.excitation?.addTo(this.torque, elapsedMs / 1000);
      safety.shape(this.torque, tStart, this.periodMs / 1000, this.onShapingChange);
      if (shaped.clipped) this.clippedTicks++;
      if (shaped.slewLimited) this.slewTicks++;
      if (this.sm.mode === 'ARMING' && shaped.scale >= 1) this.sm.rampDone();
      this.armedTicks++;
    } else {
      this.rawTorque.fill(0);
      this.torque.fill(0);
      safety.onZeroSent();
    }

    link.sendCommand(this.torque, this.seq++);
    const tSent = this.clock.now();
    const maxT = this.o.policy.maxTorqueNm;
    torqueToAction(this.torque, maxT, this.prevAction);

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
      this.event('info', 'info', 'the simulated robot fell');
    }
    if (this.o.seconds !== undefined && elapsedMs + this.periodMs >= this.o.seconds * 1000) void this.stop();
  }

  /**
   * The newest frame of each perception input becomes the policy's extra input (by reference:
   * the policy copies it), again on every tick until a newer one arrives. A frame is recorded
   * once, when it is new.
   */
  private readPerception(nowMs: number): void {
    const source = this.o.perception;
    if (!source) return;
    for (let k = 0; k < this.perceptionRules.length; k++) {
      const rule = this.perceptionRules[k];
      const frame = source.latestFrame(rule.input);
      const stats = this.perceptionStats[k];
      this.perceptionStamps[k] = frame ? frame.stampMs : NaN;
      this.perceptionFrames[k] = frame ? frame.data : null;
      const ageMs = frame ? nowMs - frame.stampMs : NaN;
      this.record.perceptionAgeMs[k] = ageMs;
      if (!frame) continue;
      this.extras[rule.input] = frame.data;
      if (frame.seq !== this.perceptionSeqs[k]) {
        this.perceptionSeqs[k] = frame.seq;
        stats.frames++;
        this.o.telemetry?.logFrame(rule.input, nowMs, { tick: this.currentTick, stampMs: frame.stampMs, seq: frame.seq }, frame.data, this.perceptionShapes[k]);
      }
      if (this.sm.torqueAllowed && (stats.maxAgeMs === null || ageMs > stats.maxAgeMs)) stats.maxAgeMs = ageMs;
    }
  }

  /** Feed the consecutive-overrun rule; e-stops when the run reaches the limit. */
  private noteBadTicks(count: number): void {
    const problem = this.safety.checkOverruns(count);
    if (problem && this.sm.torqueAllowed) this.estop(problem);
  }

  /** The link's counters by kind (links without a wire protocol: frames and gaps only). */
  linkCounters(): LinkCounters {
    const link = this.o.link;
    if (link.frameCounters) return link.frameCounters();
    const h = link.health();
    return { framesOk: h.framesOk, malformed: 0, badCrc: 0, unknownType: 0, tooLong: 0, stale: 0, gaps: h.gaps };
  }

  private logTelemetry(t: TickInfo, state: TimedSensorState | null, tiltRad: number, shaped: { clipped: boolean; slewLimited: boolean; scale: number },
    latenessUs: number, computeUs: number, inferUs: number, s2c: number, overrun: boolean, now: number): void {
    const tel = this.o.telemetry;
    if (!tel) return;
    const tick = t.k;
    // Link counters once a second, and at the end (stop()).
    if (tick - this.lastCountersTick >= this.o.cfg.rateHz) {
      this.lastCountersTick = tick;
      tel.log('link', now, { tick, ...this.linkCounters() });
    }
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
      armRefusals: this.armRefusals,
      safetyEvents: { ...this.ruleCounts },
      linkCounters: this.linkCounters(),
      clippedTicks: this.clippedTicks,
      slewLimitedTicks: this.slewTicks,
      armedTicks: this.armedTicks,
      finalMode: this.sm.mode,
      fell: this.sim ? this.sim.everFell : this.maxTiltRad > (this.o.cfg.safety.tiltCutoff.maxTiltDeg / DEG),
      maxTiltDeg: r1(this.maxTiltRad * DEG),
      perception: this.perceptionStats.map((p) => ({
        ...p, maxAgeMs: p.maxAgeMs === null ? null : r1(p.maxAgeMs), refused: this.o.perception?.counters?.()[p.input]?.refused ?? null,
      })),
    };
  }
}

/**
 * The staleness rule of each extra input: its period from the artifact's rate (else the robot's
 * sensor), its hold from the deploy config (default 3 periods). A hold shorter than one period
 * would stop the robot between two on-time frames: refused, naming the key.
 */
function perceptionRules(inputs: readonly ArtifactInput[], cfg: DeployConfig, robot: RobotConfig): (PerceptionInputRule & { periodMs: number })[] {
  return inputs.map((input) => {
    const sensorHz = isPerceptionInput(input.name) && robotPerceptionInputs(robot).includes(input.name) ? perceptionRateHz(robot, input.name) : cfg.rateHz;
    const periodMs = 1000 / (input.rateHz ?? sensorHz);
    const configured = (cfg.perception.holdMs as Record<string, number | undefined>)[input.name];
    if (configured !== undefined && configured < periodMs) {
      throw new Error(`${cfg.source}: perception.holdMs.${input.name} ${configured} ms is shorter than one ${input.name} period (${periodMs.toFixed(1)} ms at ${Number((1000 / periodMs).toPrecision(6))} Hz): every frame would trip the e-stop before the next one`);
    }
    return { input: input.name, periodMs, holdMs: configured ?? Math.round(DEFAULT_PERCEPTION_HOLD_PERIODS * periodMs * 10) / 10 };
  });
}
