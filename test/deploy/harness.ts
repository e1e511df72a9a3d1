// Run the real deploy runtime (onnxruntime, ticker worker, sim link worker) and keep a copy
// of every tick and every command the robot was sent, for assertions after the run.
import { runDeploy, startDeploy, type DeployHandle, type DeployOptions, type DeploySummary } from '../../deploy/index.js';
import { defaultDeployConfig, type DeployConfig } from '../../deploy/config.js';
import type { LinkHealth, RobotLink, TimedSensorState } from '../../deploy/robot-link.js';
import { SimLink, type SimControls, type SimFault, type SimTruthSample } from '../../deploy/links/sim-link.js';
import { loadRobotConfig, type RobotConfig } from '../../sim/config/robot.js';
import type { Mode } from '../../deploy/safety/state-machine.js';

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
}

/** A RobotLink decorator over the real sim link that remembers what was sent, in order. */
export class RecordingLink implements RobotLink, SimControls {
  readonly name: string;
  readonly sent: { kind: 'command' | 'estop' | 'arm'; seq: number; torques: number[] }[] = [];
  constructor(readonly inner: SimLink) { this.name = inner.name; }
  connect(): Promise<void> { return this.inner.connect(); }
  latestState(): TimedSensorState | null { return this.inner.latestState(); }
  sendCommand(torques: Float64Array, seq: number): void {
    this.sent.push({ kind: 'command', seq, torques: Array.from(torques) });
    this.inner.sendCommand(torques, seq);
  }
  sendEstop(reason: string): void { this.sent.push({ kind: 'estop', seq: -1, torques: [] }); this.inner.sendEstop(reason); }
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
  summary: DeploySummary;
  ticks: TickCopy[];
  link: RecordingLink;
}

export function copyTicks(into: TickCopy[]): DeployOptions['onTick'] {
  return (r) => into.push({
    tick: r.tick, mode: r.mode, elapsedMs: r.elapsedMs, stateAgeMs: r.stateAgeMs, linkOk: r.linkOk, tiltRad: r.tiltRad,
    obsHasNonFinite: Array.from(r.obs).some((v) => !Number.isFinite(v)),
    rawAction: Array.from(r.rawAction), torque: Array.from(r.safeTorqueNm),
  });
}

export async function runOnSim(options: Omit<DeployOptions, 'link'> & { config: DeployConfig }): Promise<Run> {
  const link = new RecordingLink(new SimLink({ robot, ...options.config.sim }));
  const ticks: TickCopy[] = [];
  const summary = await runDeploy({ robot, log: () => {}, ...options, link, onTick: copyTicks(ticks) });
  return { summary, ticks, link };
}

export async function startOnSim(options: Omit<DeployOptions, 'link'> & { config: DeployConfig }): Promise<{ handle: DeployHandle; ticks: TickCopy[]; link: RecordingLink }> {
  const link = new RecordingLink(new SimLink({ robot, ...options.config.sim }));
  const ticks: TickCopy[] = [];
  const handle = await startDeploy({ robot, log: () => {}, ...options, link, onTick: copyTicks(ticks) });
  return { handle, ticks, link };
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

/**
 * Run balance assertions; when they fail on a run the machine starved (see starvedBy), the
 * test is marked skipped with the reason and the failure instead of failing.
 */
export function balanceCheck(t: { skip(message?: string): void }, summary: DeploySummary, assertions: () => void): void {
  try {
    assertions();
  } catch (err) {
    const starved = starvedBy(summary);
    if (!starved) throw err;
    t.skip(`${starved} (and the balance check failed: ${(err as Error).message.split('\n')[0]})`);
  }
}

/**
 * A closed-loop balance check needs the machine to give the loop and the simulated robot
 * their time: returns why this run could not (too many missed deadlines or states arriving
 * late), or null. Balance assertions are skipped, with that reason, on a starved run.
 */
export function starvedBy(summary: DeploySummary): string | null {
  if (summary.missedFraction > 0.03) return `the machine was too busy for a real-time balance check: ${(100 * summary.missedFraction).toFixed(1)}% of deadlines missed`;
  if ((summary.stateToCommandUsP99 ?? 0) > 50_000) return `the machine was too busy for a real-time balance check: state-to-command p99 ${summary.stateToCommandUsP99} us`;
  return null;
}
