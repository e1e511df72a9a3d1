// `ballbot deploy`: run a policy (or the LQR baseline) in the real-time control loop with the
// safety layer, on the sim link, a serial port or ROS 2. See docs/deploy.md.
import cliProgress from 'cli-progress';
import { numberFlag, parseCommand, printJsonLine, UsageError, inputFileFlag } from '../args.js';
import { DEFAULT_DEPLOY_CONFIG, loadDeployConfig } from '../../deploy/config.js';
import { parseExcitation } from '../../deploy/excitation.js';
import { FAULT_HELP, parseFault } from '../../deploy/faults.js';
import { startDeploy, type DeployHandle, type DeploySummary } from '../../deploy/index.js';
import type { LinkKind } from '../../deploy/links/link-factory.js';
import { attachOperator, confirmArm } from '../../deploy/operator.js';
import { applyRealtime } from '../../deploy/realtime.js';
import { loadRobotConfig } from '../../sim/config/robot.js';

const usage = `usage: ballbot deploy (--policy FILE.onnx | --controller lqr) [--link sim|serial|ros2] [options]

  --policy FILE        ONNX policy artifact (refused before arming if made for another robot, rate or observation)
  --controller lqr     run the LQR baseline through the same runtime instead
  --link KIND          sim (default; the simulator in real time), serial (--port), ros2
  --robot FILE         robot config of the simulated plant (--link sim only; default: the deploy config's robot,
                       the one the policy or LQR was made for); a different robot tests a policy off its model
  --port PATH          serial device (or the virtual robot's pty) for --link serial
  --baud N             serial baud rate
  --ros2-config FILE   ROS 2 link config (default configs/deploy/ros2.yaml)
  --arm                arm at start without asking (scripts, CI); otherwise the terminal asks
  --seconds S          stop after S seconds (default: until q / Ctrl-C / SIGTERM)
  --config FILE        deploy config (default configs/deploy/default.yaml)
  --set KEY=VALUE      override a config key, e.g. --set rateHz=200 --set safety.tiltCutoff.maxTiltDeg=20 (repeatable)
  --record FILE.mcap   telemetry to MCAP (every tick; open it in Foxglove or ballbot view)
  --inject KIND@T[:A]  fault injection (repeatable): ${Object.keys(FAULT_HELP).join(', ')}
  --realtime           raise the process priority, SCHED_FIFO and pin to a CPU where permitted (docs/deploy.md)
  --excite KIND[:A]    identification excitation added to the command before the safety layer: chirp
                       (0.5-4 Hz sweep) or prbs (50 ms bits), amplitude A N m per wheel (default 0.3,
                       at most half the motor torque); see docs/sysid.md
  --json               print one JSON summary on the last line of stdout

Exit code (docs/deploy.md): 0 the run ended armed or disarmed with every arm request honoured and
the robot upright; 3 it ended e-stopped, an arm or re-arm was refused, or the robot fell; 2 bad
usage or it could not start; 1 an uncaught error (after the e-stop); 128+N on signal N (SIGHUP 129,
SIGINT 130, SIGQUIT 131, SIGTERM 143), after the e-stop, the ESTOP frame and the recording's footer.`;

/** Signals that end a run: every one e-stops, sends ESTOP, closes the recording, then exits 128+N. */
const TERMINATING_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 } as const;

/** The documented exit code of a run that ended by itself or by the operator (docs/deploy.md). */
export function runExitCode(s: Pick<DeploySummary, 'finalMode' | 'armRefusals' | 'fell'>): number {
  return s.finalMode === 'ESTOP' || s.armRefusals.length > 0 || s.fell ? 3 : 0;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand({
    usage,
    options: {
      policy: { type: 'string' }, controller: { type: 'string' }, link: { type: 'string' }, robot: { type: 'string' }, port: { type: 'string' },
      baud: { type: 'string' }, 'ros2-config': { type: 'string' }, arm: { type: 'boolean' }, seconds: { type: 'string' },
      config: { type: 'string' }, set: { type: 'string', multiple: true }, record: { type: 'string' },
      inject: { type: 'string', multiple: true }, excite: { type: 'string' }, json: { type: 'boolean' }, realtime: { type: 'boolean' },
    },
  }, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (!v.policy && !v.controller) throw new UsageError(`give --policy FILE.onnx or --controller lqr\n${usage}`);
  if (v.policy && v.controller) throw new UsageError('give either --policy or --controller, not both');
  if (v.controller && v.controller !== 'lqr') throw new UsageError(`--controller must be 'lqr', got '${v.controller}'`);
  const kind = (v.link ?? 'sim') as LinkKind;
  if (!['sim', 'serial', 'ros2'].includes(kind)) throw new UsageError(`--link must be sim, serial or ros2, got '${v.link}'`);
  const otherLink = [['port', 'serial'], ['baud', 'serial'], ['ros2-config', 'ros2']].filter(([flag, link]) => v[flag as 'port' | 'baud' | 'ros2-config'] !== undefined && kind !== link);
  if (otherLink.length) throw new UsageError(otherLink.map(([flag, link]) => `--${flag} is for --link ${link}, not ${kind}`).join('; '));
  const seconds = v.seconds === undefined ? undefined : numberFlag(v.seconds, 'seconds', 0, { min: 0.01 });
  let faults;
  try {
    faults = (v.inject ?? []).map(parseFault);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const never = seconds === undefined ? [] : faults.filter((f) => f.atS >= seconds);
  if (never.length) {
    const which = never.map((f) => `'${v.inject![faults.indexOf(f)]}'`).join(', ');
    throw new UsageError(`--inject ${which} can never fire: the run stops after --seconds ${seconds}; inject before that or raise --seconds`);
  }
  const config = loadDeployConfig(v.config ?? DEFAULT_DEPLOY_CONFIG, v.set ?? []);
  // A dropped SSH session closes stderr: a failed log write must not become a second error.
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  const log = (line: string) => { try { process.stderr.write(line + '\n'); } catch { /* terminal gone */ } };
  if (v.realtime) for (const line of applyRealtime()) log(`deploy: --realtime: ${line}`);
  let excitation;
  try {
    excitation = v.excite === undefined ? undefined : parseExcitation(v.excite, config.safety.actionClip.maxTorqueNm);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  let handle: DeployHandle;
  try {
    handle = await startDeploy({
      policy: inputFileFlag(v.policy, 'policy'), controller: v.controller as 'lqr' | undefined, config, faults, excitation, seconds, record: v.record, arm: v.arm, log,
      link: { kind, plantRobot: v.robot ? loadRobotConfig(v.robot) : undefined, port: v.port, baud: v.baud === undefined ? undefined : numberFlag(v.baud, 'baud', 0, { min: 1, integer: true }), ros2ConfigFile: v['ros2-config'] },
    });
  } catch (err) {
    console.error(`ballbot deploy: ${(err as Error).message}`);
    return 2;
  }

  // From here on every way out goes through an e-stop first.
  let exitCode: number | null = null;
  // The mode when the operator asked to stop: the quit's own e-stop does not make the run a failure.
  let modeAtQuit: DeploySummary['finalMode'] | null = null;
  const quit = (code: number | null, why: string, rule: 'signal' | 'error' | 'operator') => {
    if (exitCode === null) exitCode = code;
    if (rule === 'operator') modeAtQuit ??= handle.mode;
    handle.estop(why, rule);
    void handle.stop();
  };
  const signalHandlers = Object.entries(TERMINATING_SIGNALS).map(([name, n]) => {
    const handler = () => quit(128 + n, name, 'signal');
    process.on(name, handler);
    return [name, handler] as const;
  });
  const onError = (err: unknown) => {
    log(`deploy: uncaught error: ${(err as Error)?.stack ?? err}`);
    quit(1, `uncaught error: ${(err as Error)?.message ?? err}`, 'error');
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  const operator = {
    estop: (reason: string) => handle.estop(reason, 'operator'),
    requestArm: (reason: string) => handle.requestArm(reason),
    quit: () => quit(null, 'operator quit', 'operator'),
  };
  let detach = attachOperator(operator, log);

  if (!v.arm) {
    if (process.stdin.isTTY) {
      detach();
      const yes = await confirmArm(handle.link.name, handle.policy.name);
      if (yes) handle.arm('operator confirmed');
      else log('deploy: not armed; press r to arm later');
      detach = attachOperator(operator, log);
    } else {
      log("deploy: not armed (no --arm and no terminal to confirm); send 'arm' on stdin to arm");
    }
  }

  const bar = seconds !== undefined && process.stderr.isTTY && !v.json
    ? new cliProgress.SingleBar({ format: 'deploy [{bar}] {value}/{total} s | {mode} | ETA {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : null;
  const started = performance.now();
  bar?.start(Math.ceil(seconds ?? 0), 0, { mode: handle.mode });
  const progress = bar ? setInterval(() => bar.update(Math.min(seconds ?? 0, Math.floor((performance.now() - started) / 1000)), { mode: handle.mode }), 500) : null;

  const summary: DeploySummary = await handle.done;
  if (progress) clearInterval(progress);
  bar?.stop();
  for (const [name, handler] of signalHandlers) process.off(name, handler);
  process.off('uncaughtException', onError);
  process.off('unhandledRejection', onError);
  detach();
  process.stdin.unref?.();

  if (v.json) printJsonLine(summary);
  else printHuman(summary);
  if (exitCode !== null) return exitCode;
  return runExitCode({ ...summary, finalMode: modeAtQuit ?? summary.finalMode });
}

function printHuman(s: DeploySummary): void {
  const lines = [
    `deploy: ${s.policy} on ${s.link} at ${s.rateHz} Hz for ${s.seconds.toFixed(2)} s, ended ${s.finalMode}${s.fell ? ' (the robot fell)' : ''}`,
    `  ticks ${s.ticks}, missed deadlines ${s.missedDeadlines} (${(100 * s.missedFraction).toFixed(2)}%), overruns ${s.overruns}`,
    `  lateness p50 ${s.latenessUsP50} us, p99 ${s.latenessUsP99} us; compute p99 ${s.computeUsP99} us; inference p50 ${s.inferenceUsP50} us; state-to-command p50 ${s.stateToCommandUsP50} us`,
    ...s.estops.map((e) => `  E-STOP at tick ${e.atTick} (${e.atS.toFixed(2)} s): ${e.reason}`),
    ...s.armRefusals.map((r) => `  ARM REFUSED at tick ${r.atTick}: ${r.reason}`),
    `  link frames ok ${s.linkCounters.framesOk}, lost ${s.linkCounters.gaps}, stale ${s.linkCounters.stale}, malformed ${s.linkCounters.malformed}, bad CRC ${s.linkCounters.badCrc}, unknown type ${s.linkCounters.unknownType}, too long ${s.linkCounters.tooLong}`,
  ];
  if (s.telemetryError) lines.push(`  telemetry stopped early: ${s.telemetryError}`);
  if (s.record) lines.push(`  telemetry: ${s.record} (${s.telemetryMessages} messages)`);
  console.log(lines.join('\n'));
}
