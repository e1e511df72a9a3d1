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
 * stateToCommandUsP50/P99, estops [{reason, rule, atTick, atS}], fell, finalMode and more.
 */
import { loadRobotConfig, robotIdentity, type RobotConfig } from '../sim/config/robot.js';
import { assertArtifactMatches } from './artifact-check.js';
import { defaultDeployConfig, loadDeployConfig, type DeployConfig } from './config.js';
import type { Excitation } from './excitation.js';
import { LINK_FAULTS, type FaultSpec } from './faults.js';
import { createLink, type LinkRequest } from './links/link-factory.js';
import { LqrPolicy } from './lqr-policy.js';
import { OnnxPolicy } from './onnx-policy.js';
import type { Policy } from './policy.js';
import type { RobotLink } from './robot-link.js';
import { ControlLoop, type LoopSummary, type SafetyEvent, type TickRecord } from './runtime.js';
import { simControlsOf } from './links/sim-link.js';
import { Telemetry, type ChannelName } from './telemetry.js';
import type { Mode } from './safety/state-machine.js';
import type { RuleName } from './safety/safety-layer.js';

export type { LoopSummary, SafetyEvent, TickRecord } from './runtime.js';
export type { Policy } from './policy.js';
export type { DeployConfig } from './config.js';
export { PolicyMismatchError } from './artifact-check.js';
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
  estop(reason: string, rule?: RuleName): void;
  /** Zero torque, stop, close link and telemetry; resolves with the summary. */
  stop(): Promise<DeploySummary>;
  /** Resolves when the run ends (after `seconds`, or stop()). */
  readonly done: Promise<DeploySummary>;
}

function resolveConfig(o: DeployOptions): { cfg: DeployConfig; robot: RobotConfig } {
  const cfg = o.config ?? (o.configFile ? loadDeployConfig(o.configFile, o.overrides ?? []) : defaultDeployConfig(o.overrides ?? []));
  return { cfg, robot: o.robot ?? loadRobotConfig(cfg.robotFile) };
}

/** Load the policy and refuse it before anything is armed when it was made for something else. */
export async function loadPolicy(o: Pick<DeployOptions, 'policy' | 'controller'>, cfg: DeployConfig, robot: RobotConfig): Promise<Policy> {
  if (o.policy && o.controller) throw new Error('give either a policy file or --controller, not both');
  if (o.controller === 'lqr') return LqrPolicy.create(robot, cfg.rateHz);
  if (o.controller) throw new Error(`unknown controller '${o.controller}' (available: lqr)`);
  if (!o.policy) throw new Error('no policy: give --policy FILE.onnx or --controller lqr');
  if (typeof o.policy !== 'string') return o.policy;
  const policy = await OnnxPolicy.load(o.policy);
  try {
    assertArtifactMatches(o.policy, policy.artifact.metadata, {
      rateHz: cfg.rateHz, robot, graphInputSize: policy.obsSize, graphOutputSize: policy.actionSize,
    });
  } catch (err) {
    policy.close();
    throw err;
  }
  return policy;
}

export async function startDeploy(o: DeployOptions): Promise<DeployHandle> {
  const { cfg, robot } = resolveConfig(o);
  const policy = await loadPolicy(o, cfg, robot);
  const log = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  // Links with their own operator inputs (the ROS 2 arm service and e-stop topic) reach the
  // loop through these hooks, bound once the loop exists.
  let loopRef: ControlLoop | null = null;
  const hooks = {
    onArmRequest: () => loopRef ? loopRef.requestArm('link arm request') : { ok: false, message: 'deploy is not running yet' },
    onEstop: (reason: string) => loopRef?.estop('operator', `link: ${reason}`),
    log,
  };
  let link: RobotLink;
  try {
    link = 'connect' in o.link ? o.link : await createLink({ ...o.link, extra: { ...hooks, ...o.link.extra } }, cfg, robot);
  } catch (err) {
    policy.close();
    throw err;
  }
  const faults = o.faults ?? [];
  const needsSim = faults.find((f) => LINK_FAULTS.has(f.kind));
  if (needsSim && !simControlsOf(link)) {
    policy.close();
    throw new Error(`--inject ${needsSim.kind} needs --link sim (the ${link.name} link cannot fake that fault)`);
  }
  let telemetry: Telemetry | null = null;
  try {
    await link.connect();
    if (o.record) {
      const channels: ChannelName[] = ['state', 'observation', 'action', 'timing', 'safety', 'mode'];
      if (simControlsOf(link)) channels.push('truth');
      telemetry = await Telemetry.open(o.record, {
        chunkBytes: cfg.telemetry.chunkBytes, channels,
        metadata: { policy: policy.name, excitation: o.excitation ? `${o.excitation.kind}:${o.excitation.amplitudeNm}` : 'none', link: link.name, rateHz: String(cfg.rateHz), robot: robot.name, robotHash: robotIdentity(robot).hash, robotConfig: JSON.stringify(robot), config: JSON.stringify(cfg) },
      });
    }
  } catch (err) {
    policy.close();
    await link.close().catch(() => {});
    throw err;
  }

  warmUp(policy);
  const loop = new ControlLoop({ cfg, robot, policy, link, telemetry, faults, excitation: o.excitation, seconds: o.seconds, onTick: o.onTick, onEvent: o.onEvent, log });
  loopRef = loop;
  let closing: Promise<DeploySummary> | null = null;
  const finish = (s: LoopSummary): Promise<DeploySummary> => {
    closing ??= (async () => {
      let telemetryError: Error | null = null;
      try { await telemetry?.close(); } catch (err) { telemetryError = err as Error; }
      await link.close().catch((err: Error) => log(`deploy: closing the ${link.name} link failed: ${err.message}`));
      policy.close();
      if (telemetryError) log(`deploy: ${telemetryError.message}`);
      const messages = telemetry ? Object.values(telemetry.counts).reduce((a, b) => a + b, 0) : null;
      return {
        ...s, policy: policy.name, link: link.name, rateHz: cfg.rateHz, seconds: s.ticks / cfg.rateHz,
        record: o.record ?? null, telemetryMessages: messages,
      };
    })();
    return closing;
  };
  const done = loop.done.then(finish);
  loop.start();
  if (o.arm) loop.arm('--arm');
  return {
    get mode() { return loop.mode; },
    config: cfg, link, policy,
    arm: (reason) => loop.arm(reason),
    rearm: (reason) => loop.rearm(reason),
    requestArm: (reason) => loop.requestArm(reason),
    estop: (reason, rule = 'operator') => loop.estop(rule, reason),
    stop: async () => { await loop.stop(); return done; },
    done,
  };
}

/** Run the policy a few hundred times before the clock starts, so the first armed ticks are not the JIT's. */
function warmUp(policy: Policy): void {
  const obs = new Float32Array(policy.obsSize);
  const out = new Float32Array(policy.actionSize);
  obs[2] = -1; // upright gravity
  for (let i = 0; i < 300; i++) policy.act(obs, out);
  policy.reset();
}

/** Run until `seconds` have passed (or forever) and return the summary. */
export async function runDeploy(o: DeployOptions): Promise<DeploySummary> {
  const handle = await startDeploy(o);
  return handle.done;
}
