// Run the real deploy runtime (onnxruntime, safety layer, the sim's Plant) and keep a copy of
// every tick and every command the robot was sent, for assertions after the run. By default a
// run is lockstep: the same loop on a simulated clock, the robot stepped up to each tick, so
// the outcome does not depend on the machine's load. `realTime: true` runs the ticker worker
// and the sim link worker instead, for what is about real time (deadline overruns).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runDeploy, startDeploy, type DeployHandle, type DeployOptions } from '../../deploy/index.js';
import { defaultDeployConfig, type DeployConfig } from '../../deploy/config.js';
import type { LinkHealth, RobotLink, TimedSensorState } from '../../deploy/robot-link.js';
import type { EstopRule } from '../../deploy/safety/decisions.js';
import { SimClock } from '../../deploy/clock.js';
import { LockstepSimLink } from '../../deploy/lockstep.js';
import { SimLink, type SimControls, type SimFault, type SimTruthSample } from '../../deploy/links/sim-link.js';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import type { Mode } from '../../deploy/safety/state-machine.js';
import { perceptionOf, type PerceptionSource } from '../../deploy/perception.js';
import type { TaskPerception } from '../../sim/perception/config.js';
import type { Policy } from '../../deploy/policy.js';

export interface TickCopy {
  tick: number;
  mode: Mode;
  elapsedMs: number;
  stateAgeMs: number;
  linkOk: boolean;
  tiltRad: number;
  obsHasNonFinite: boolean;
  rawAction: number[];
  torque: number[];
  computeUs: number;
  perceptionAgeMs: number[];
}

/** A RobotLink decorator over a sim link (real-time or lockstep) that remembers what was sent, in order. */
export class RecordingLink implements RobotLink, SimControls {
  readonly name: string;
  readonly sent: { kind: 'command' | 'estop' | 'arm'; seq: number; torques: number[]; rule?: EstopRule }[] = [];
  constructor(readonly inner: SimLink | LockstepSimLink) { this.name = inner.name; }
  /** The sim link's perception frames, when it renders any. */
  get perception(): PerceptionSource | null { return perceptionOf(this.inner); }
  /** Lockstep only: step the robot up to the clock. */
  advance(): void { (this.inner as LockstepSimLink).advance(); }
  connect(): Promise<void> { return this.inner.connect(); }
  latestState(): TimedSensorState | null { return this.inner.latestState(); }
  sendCommand(torques: Float64Array, seq: number): void {
    this.sent.push({ kind: 'command', seq, torques: Array.from(torques) });
    this.inner.sendCommand(torques, seq);
  }
  sendEstop(reason: string, rule?: EstopRule): void { this.sent.push({ kind: 'estop', seq: -1, torques: [], rule }); this.inner.sendEstop(reason); }
  sendArm(): void { this.sent.push({ kind: 'arm', seq: -1, torques: [] }); this.inner.sendArm(); }
  health(): LinkHealth { return this.inner.health(); }
  close(): Promise<void> { return this.inner.close(); }
  inject(fault: SimFault): void { this.inner.inject(fault); }
  push(dvx: number, dvy: number): void { this.inner.push(dvx, dvy); }
  truth(): SimTruthSample { return this.inner.truth(); }
  get everFell(): boolean { return this.inner.everFell; }
}

export const robot: RobotConfig = loadRobotConfig(new URL('../../../configs/robot/default.yaml', import.meta.url).pathname);

/** CLI flags giving the timing rules wide limits (a busy CI machine must not trip them). */
export const WIDE_TIMING_FLAGS = [
  '--set', 'safety.staleState.timeoutMs=1000', '--set', 'safety.linkHealth.maxSilenceMs=2000', '--set', 'safety.deadlineOverruns.maxConsecutive=100',
];

/**
 * Deterministic sim: no randomization, upright start, no dropouts. The timing rules get wide
 * limits so a busy CI machine cannot trip them; a test tightens the rule it is about.
 */
export function testConfig(overrides: string[] = []): DeployConfig {
  return defaultDeployConfig([
    'sim.randomize=false', 'sim.initTiltDeg=0', 'sim.dropoutProb=0',
    'safety.staleState.timeoutMs=1000', 'safety.linkHealth.maxSilenceMs=2000', 'safety.deadlineOverruns.maxConsecutive=100',
    ...overrides,
  ]);
}

export interface Run {
  summary: Awaited<ReturnType<typeof runDeploy>>;
  ticks: TickCopy[];
  link: RecordingLink;
}

export function copyTicks(into: TickCopy[]): DeployOptions['onTick'] {
  return (r) => into.push({
    tick: r.tick, mode: r.mode, elapsedMs: r.elapsedMs, stateAgeMs: r.stateAgeMs, linkOk: r.linkOk, tiltRad: r.tiltRad,
    obsHasNonFinite: Array.from(r.obs).some((v) => !Number.isFinite(v)),
    rawAction: Array.from(r.rawAction), torque: Array.from(r.safeTorqueNm), computeUs: r.computeUs, perceptionAgeMs: Array.from(r.perceptionAgeMs),
  });
}

/** `perception`: the inputs the simulated robot renders (its robot config must carry the sensors). */
type SimRunOptions = Omit<DeployOptions, 'link'> & { config: DeployConfig; realTime?: boolean; perception?: TaskPerception };

function simLinkFor(options: SimRunOptions): { link: RecordingLink; lockstep: Pick<DeployOptions, 'lockstep' | 'clock'> } {
  const sim = { robot: options.robot ?? robot, ...options.config.sim, perception: options.perception };
  if (options.realTime) return { link: new RecordingLink(new SimLink(sim)), lockstep: {} };
  const clock = new SimClock();
  return { link: new RecordingLink(new LockstepSimLink(sim, clock)), lockstep: { lockstep: true, clock } };
}

export async function runOnSim(options: SimRunOptions): Promise<Run> {
  const { link, lockstep } = simLinkFor(options);
  const ticks: TickCopy[] = [];
  const summary = await runDeploy({ robot, log: () => {}, ...options, ...lockstep, link, onTick: copyTicks(ticks) });
  return { summary, ticks, link };
}

/** Started, not run: lockstep runs advance with `handle.step(n)`, real-time ones by waiting. */
export async function startOnSim(options: SimRunOptions): Promise<{ handle: DeployHandle; ticks: TickCopy[]; link: RecordingLink }> {
  const { link, lockstep } = simLinkFor(options);
  const ticks: TickCopy[] = [];
  const handle = await startDeploy({ robot, log: () => {}, ...options, ...lockstep, link, onTick: copyTicks(ticks) });
  return { handle, ticks, link };
}

/** `inner`, handing the extra inputs of every act() call to `seen`: what the loop fed it, for a test to check. */
export function spyOnExtras(inner: Policy, seen: (extras: Readonly<Record<string, Float32Array>> | undefined) => void): Policy {
  return {
    name: inner.name, obsSize: inner.obsSize, actionSize: inner.actionSize, maxTorqueNm: inner.maxTorqueNm, extraInputs: inner.extraInputs,
    reset: () => inner.reset(), close: () => inner.close(),
    act(obs, out, extras) {
      inner.act(obs, out, extras);
      seen(extras);
    },
  };
}

export const isZero = (t: number[]) => t.every((v) => v === 0);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond()` holds (a loaded CI machine starts slowly); throws after timeoutMs. */
export async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const BIN = fileURLToPath(new URL('../../../bin/ballbot.js', import.meta.url));

/** `ballbot deploy ARGS` in a child process; its output is collected. */
export function spawnDeploy(args: string[], nodeArgs: string[] = []) {
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'deploy', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, exited, out: () => stdout, err: () => stderr };
}

/** The JSON summary a `--json` run prints on its last stdout line. */
export function lastJsonLine(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}
