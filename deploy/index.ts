/**
 * Programmatic deploy API (the CLI `ballbot deploy` and the HIL suite both use it).
 *
 *   import { runDeploy, startDeploy } from './deploy/index.js';
 *
 *   // Run for a fixed time and get the summary the CLI prints with --json:
 *   const summary = await runDeploy({ policy: 'policy.onnx', link: { kind: 'sim' }, arm: true, seconds: 10 });
 *
 *   // Or drive it: arm / e-stop / re-arm / stop while it runs (HIL scenarios).
 *   const run = await startDeploy({ controller: 'lqr', link: mySerialLink, record: 'run.mcap' });
 *   run.arm();               // arms at the next tick with a fresh, upright state (ramp, then RUNNING)
 *   run.estop('operator');   // latched e-stop, zero torque sent at once
 *   run.rearm();             // explicit re-arm after an e-stop
 *   const s = await run.stop();  // zero torque, stop the clock, close the link and the MCAP file
 *
 * Options: `policy` (ONNX file; refused before arming when its observation layout, control
 * rate or robot identity differs from the deploy config) or `controller: 'lqr'`; `link` is a
 * RobotLink instance or a LinkRequest ({kind: 'sim' | 'serial' | 'ros2', port}); `config` /
 * `configFile` + `overrides` (key=value) select the deploy config (configs/deploy/default.yaml);
 * `robot` overrides the robot config; `faults` are parsed `--inject` specs; `onTick` sees every
 * tick's record (reused object: copy what you keep); `log` receives human-readable lines.
 * The summary has ticks, missedDeadlines, latenessUsP50/P99, computeUsP99, inferenceUsP50/P99,
 * stateToCommandUsP50/P99, estops [{reason, rule, atTick, atS, decision}], armRefusals,
 * linkCounters, fell, finalMode and more.
 *
 * A perceptive policy (its artifact asks for 'depth' / 'height_scan') is fed from the link's
 * perception source (the sim plant, the ROS 2 perception topics) or a perception-only ROS 2
 * node (`perception.source: ros2`); deploy declares what it can feed before loading, so the
 * serial link alone refuses one (docs/deploy.md, perception inputs).
 *
 * `lockstep: true` (sim link only) runs the same loop on a simulated clock: nothing ticks by
 * itself; `await run.step(n)` runs n ticks (the simulated robot steps up to each), and
 * runDeploy() steps until `seconds`. Deterministic whatever the machine's load.
 */
import { loadRobotConfig, robotIdentity, type RobotConfig } from '../sim/config/robot.js';
import { ballbotCaller, PolicyMismatchError } from '../sim/artifact-check.js';
import { perceptionFeed } from './perception-feed.js';
import { perceptionOf, type PerceptionSource } from './perception.js';
import { sensorsFor } from './links/plant-perception.js';
import { defaultDeployConfig, loadDeployConfig, type DeployConfig } from './config.js';
import type { FaultSpec } from './faults.js';
import { injectFaults } from './fault-injection.js';
import type { Excitation } from './excitation.js';
import { createLink, type LinkRequest } from './links/link-factory.js';
import { realClock, SimClock } from './clock.js';
import { isSteppedLink, LockstepSimLink, type SteppedLink } from './lockstep.js';
import { LqrPolicy } from './lqr-policy.js';
import { OnnxPolicy } from './onnx-policy.js';
import type { Policy } from './policy.js';
import type { RobotLink } from './robot-link.js';
import { ControlLoop, type LoopSummary, type SafetyEvent, type TickRecord } from './runtime.js';
import { simControlsOf } from './links/sim-link.js';
import { Telemetry, TELEMETRY_CHANNELS, type ChannelName } from './telemetry.js';
import type { Ros2PerceptionNode } from './links/ros2/perception-node.js';
import type { Mode } from './safety/state-machine.js';

export type { LoopSummary, SafetyEvent, TickRecord } from './runtime.js';
export type { Policy } from './policy.js';
export type { DeployConfig } from './config.js';
export { PolicyMismatchError } from '../sim/artifact-check.js';
export { parseFault, type FaultSpec } from './faults.js';

export interface DeployOptions {
  policy?: string | Policy;
  controller?: 'lqr';
  link: RobotLink | LinkRequest;
  config?: DeployConfig;
  configFile?: string;
  overrides?: string[];
  robot?: RobotConfig;
  /** Arm as soon as a good state arrives (no operator confirmation). */
  arm?: boolean;
  seconds?: number;
  record?: string;
  faults?: FaultSpec[];
  /** Simulated clock, ticks driven by step(): the sim link, or a given SteppedLink on `clock`. */
  lockstep?: boolean;
  /** The lockstep clock (default: a new one); a SteppedLink passed as `link` must read the same. */
  clock?: SimClock;
  /** Identification excitation (`--excite`), added before the safety layer. */
  excitation?: Excitation;
  onTick?: (rec: TickRecord) => void;
  onEvent?: (e: SafetyEvent) => void;
  log?: (line: string) => void;
}

export interface DeploySummary extends LoopSummary {
  policy: string;
  link: string;
  rateHz: number;
  seconds: number;
  record: string | null;
  telemetryMessages: number | null;
  /** Telemetry messages not recorded (queue full, or the recording stopped on a write error). */
  telemetryDropped: number | null;
  /** Why the recording stopped early (disk full...), or null. */
  telemetryError: string | null;
}

export interface DeployHandle {
  readonly mode: Mode;
  readonly config: DeployConfig;
  readonly link: RobotLink;
  readonly policy: Policy;
  arm(reason?: string): void;
  rearm(reason?: string): void;
  /** Arm, or re-arm after an e-stop: what an operator key or service does. */
  requestArm(reason: string): { ok: boolean; message: string };
  estop(reason: string, rule?: 'operator' | 'signal' | 'error'): void;
  /** Lockstep runs: advance the simulated clock and run `ticks` ticks. */
  step(ticks?: number): Promise<void>;
  /** Zero torque, stop, close link and telemetry; resolves with the summary. */
  stop(): Promise<DeploySummary>;
  /** Resolves when the run ends (after `seconds`, or stop()). */
  readonly done: Promise<DeploySummary>;
}

function resolveConfig(o: DeployOptions): { cfg: DeployConfig; robot: RobotConfig } {
  const cfg = o.config ?? (o.configFile ? loadDeployConfig(o.configFile, o.overrides ?? []) : defaultDeployConfig(o.overrides ?? []));
  const robot = o.robot ?? loadRobotConfig(cfg.robotFile);
  const plant = 'connect' in o.link || o.link.kind !== 'sim' ? undefined : o.link.plantRobot;
  return { cfg, robot: plant && isSensorVariant(plant, robot) ? plant : robot };
}

/**
 * Sensors are hardware the plant carries: a simulated plant (`--robot FILE`) that is the deploy
 * robot plus a perception section (nothing but `name` and `perception` differ, as
 * configs/robot/ballbot-s1-perception.yaml and default.yaml) is that robot carrying those sensors,
 * so deploy drives its config, and the artifact check compares with it. A plant that differs in
 * anything physical stays a plant distinct from the robot the controller was made for.
 */
function isSensorVariant(plant: RobotConfig, robot: RobotConfig): boolean {
  if (!plant.perception || JSON.stringify(plant.perception) === JSON.stringify(robot.perception)) return false;
  const physical = (r: RobotConfig) => JSON.stringify({ ...r, name: undefined, perception: undefined });
  return physical(plant) === physical(robot);
}

/**
 * Load the policy and refuse it before anything is armed when it was made for something else,
 * or asks for perception inputs nothing in this run can feed.
 */
async function loadPolicy(o: Pick<DeployOptions, 'policy' | 'controller' | 'link'>, cfg: DeployConfig, robot: RobotConfig): Promise<Policy> {
  if (o.policy && o.controller) throw new Error('give either a policy file or --controller, not both');
  if (o.controller === 'lqr') return LqrPolicy.create(robot, cfg.rateHz);
  if (o.controller) throw new Error(`unknown controller '${o.controller}' (available: lqr)`);
  if (!o.policy) throw new Error('no policy: give --policy FILE.onnx or --controller lqr');
  if (typeof o.policy !== 'string') return o.policy;
  const feed = perceptionFeed(robot, cfg, o.link);
  try {
    return await OnnxPolicy.load(o.policy, ballbotCaller('deploy', robot, cfg.rateHz, { inputs: feed.inputs }));
  } catch (err) {
    if (err instanceof PolicyMismatchError && feed.why && err.differences.some((d) => /^input '.*': deploy cannot feed it/.test(d))) {
      throw new PolicyMismatchError(err.file, err.caller, [...err.differences, feed.why]);
    }
    throw err;
  }
}

/** Zero frames of every extra input, for warming a perceptive policy up before the clock starts. */
function zeroExtras(policy: Policy): Record<string, Float32Array> {
  return Object.fromEntries((policy.extraInputs ?? []).map((i) => [i.name, new Float32Array(i.layout.length)]));
}

export async function startDeploy(o: DeployOptions): Promise<DeployHandle> {
  const { cfg, robot } = resolveConfig(o);
  const clock = o.lockstep ? o.clock ?? new SimClock() : realClock;
  const basePolicy = await loadPolicy(o, cfg, robot);
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // Links with their own operator inputs (the ROS 2 arm service and e-stop topic) reach the
  // loop through these hooks, bound once the loop exists.
  let loopRef: ControlLoop | null = null;
  const hooks = {
    onArmRequest: () => loopRef ? loopRef.requestArm('link arm request') : { ok: false, message: 'deploy is not running yet' },
    onEstop: (reason: string) => loopRef?.estop({ rule: 'operator', text: `link: ${reason}` }),
    log,
  };
  let baseLink: RobotLink;
  let policy: Policy = basePolicy;
  let link: RobotLink;
  let perception: PerceptionSource | null = null;
  let separatePerception: Ros2PerceptionNode | null = null;
  const needed = (basePolicy.extraInputs ?? []).map((i) => i.name);
  try {
    // A simulated robot renders just the inputs the policy needs.
    const sensors = cfg.perception.source === 'link' ? sensorsFor(needed) : undefined;
    if (o.lockstep) {
      if ('connect' in o.link ? !isSteppedLink(o.link) : o.link.kind !== 'sim') throw new Error('lockstep runs need the sim link ({ kind: \'sim\' }) or a link with advance()');
      baseLink = 'connect' in o.link ? o.link : new LockstepSimLink({ ...cfg.sim, robot: o.link.plantRobot ?? robot, perception: sensors }, clock as SimClock);
    } else {
      baseLink = 'connect' in o.link ? o.link : await createLink({ ...o.link, perception: sensors }, cfg, robot, hooks);
    }
    if (needed.length && cfg.perception.source === 'ros2') {
      // Loaded only when asked for, as the ROS 2 link is (link-factory.ts).
      const { createRos2PerceptionNode } = await import('./links/ros2/perception-node.js');
      separatePerception = await createRos2PerceptionNode({ configFile: cfg.perceptionRos2File, robot, now: () => clock.now(), log });
    }
    perception = needed.length ? (separatePerception?.source ?? perceptionOf(baseLink)) : null;
    ({ link, policy, perception } = injectFaults(baseLink, basePolicy, perception, o.faults ?? [], { clock, sim: simControlsOf(baseLink), tiltDeg: cfg.sim.injectTiltDeg, log }));
  } catch (err) {
    basePolicy.close();
    throw err;
  }
  let telemetry: Telemetry | null = null;
  try {
    await link.connect();
    await separatePerception?.connect();
    if (o.record) {
      const channels: ChannelName[] = ['state', 'observation', 'action', 'timing', 'safety', 'link', 'mode'];
      if (simControlsOf(baseLink)) channels.push('truth');
      for (const input of needed) if (input in TELEMETRY_CHANNELS) channels.push(input as ChannelName);
      telemetry = await Telemetry.open(o.record, {
        chunkBytes: cfg.telemetry.chunkBytes, maxQueueBytes: cfg.telemetry.maxQueueBytes, channels, warn: log,
        metadata: { policy: policy.name, excitation: o.excitation ? `${o.excitation.kind}:${o.excitation.amplitudeNm}` : 'none', link: link.name, rateHz: String(cfg.rateHz), robot: robot.name, robotHash: robotIdentity(robot).hash, robotConfig: JSON.stringify(robot), config: JSON.stringify(cfg) },
      });
    }
  } catch (err) {
    policy.close();
    await link.close().catch(() => {});
    await separatePerception?.close().catch(() => {});
    throw err;
  }

  warmUp(policy);
  let loop: ControlLoop;
  try {
    loop = new ControlLoop({
      cfg, robot, policy, link, perception, telemetry, sim: simControlsOf(baseLink), clock, lockstep: o.lockstep, excitation: o.excitation, seconds: o.seconds, onTick: o.onTick, onEvent: o.onEvent, log,
    });
  } catch (err) {
    // Nothing ran: close what was opened (the link sends zero and its e-stop on close).
    await link.close().catch(() => {});
    await separatePerception?.close().catch(() => {});
    await telemetry?.close().catch(() => {});
    policy.close();
    throw err;
  }
  loopRef = loop;
  let closing: Promise<DeploySummary> | null = null;
  const finish = (s: LoopSummary): Promise<DeploySummary> => {
    closing ??= (async () => {
      // The robot first (ESTOP frame, port closed), then the recording: a hung disk must not
      // hold the link open.
      await link.close().catch((err: Error) => log(`deploy: closing the ${link.name} link failed: ${err.message}`));
      await separatePerception?.close().catch((err: Error) => log(`deploy: closing the perception node failed: ${err.message}`));
      let telemetryError: string | null = null;
      try { await closeWithin(telemetry, TELEMETRY_CLOSE_MS); } catch (err) { telemetryError = (err as Error).message; }
      policy.close();
      if (telemetryError) log(`deploy: ${telemetryError}`);
      const messages = telemetry ? Object.values(telemetry.counts).reduce((a, b) => a + b, 0) : null;
      return {
        ...s, policy: policy.name, link: link.name, rateHz: cfg.rateHz, seconds: s.ticks / cfg.rateHz,
        record: o.record ?? null, telemetryMessages: messages, telemetryDropped: telemetry ? telemetry.dropped : null, telemetryError,
      };
    })();
    return closing;
  };
  let ended = false;
  const done = loop.done.then((s) => { ended = true; return finish(s); });
  loop.start();
  if (o.arm) loop.arm('--arm');
  const periodMs = 1000 / cfg.rateHz;
  const step = async (ticks = 1): Promise<void> => {
    if (!o.lockstep) throw new Error('step() is for lockstep runs');
    const sim = baseLink as SteppedLink;
    for (let i = 0; i < ticks && !ended; i++) {
      (clock as SimClock).advance(periodMs);
      sim.advance();
      loop.step();
      // Let telemetry and other callbacks run now and then.
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
  };
  return {
    get mode() { return loop.mode; },
    config: cfg, link, policy,
    arm: (reason) => loop.arm(reason),
    rearm: (reason) => loop.rearm(reason),
    requestArm: (reason) => loop.requestArm(reason),
    estop: (reason, rule = 'operator') => loop.estop({ rule, text: reason }),
    step,
    stop: async () => { await loop.stop(); return done; },
    done,
  };
}

/** How long the end of a run waits for the recording's footer before giving up on a stuck disk. */
const TELEMETRY_CLOSE_MS = 10_000;

async function closeWithin(telemetry: Telemetry | null, ms: number): Promise<void> {
  if (!telemetry) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`telemetry ${telemetry.file}: the disk did not take the recording's end within ${ms / 1000} s; the file lacks its footer`)), ms);
  });
  try {
    await Promise.race([telemetry.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Run the policy a few hundred times before the clock starts, so the first armed ticks are not the JIT's. */
function warmUp(policy: Policy): void {
  const obs = new Float32Array(policy.obsSize);
  const out = new Float32Array(policy.actionSize);
  const extras = zeroExtras(policy);
  obs[2] = -1; // upright gravity
  for (let i = 0; i < 300; i++) policy.act(obs, out, extras);
  policy.reset();
}

/** Run until `seconds` have passed (or forever) and return the summary. */
export async function runDeploy(o: DeployOptions): Promise<DeploySummary> {
  if (o.lockstep && o.seconds === undefined) throw new Error('a lockstep run needs seconds');
  const handle = await startDeploy(o);
  if (o.lockstep) {
    await handle.step(Math.ceil(o.seconds! * handle.config.rateHz) + 1);
    return handle.stop();
  }
  return handle.done;
}
