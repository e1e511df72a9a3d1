// `ballbot deploy`: run a policy (or the LQR baseline) in the real-time control loop with the
// safety layer, on the sim link, a serial port or ROS 2. See docs/deploy.md.
import cliProgress from 'cli-progress';
import { numberFlag, parseCommand, printJsonLine, UsageError } from '../args.js';
import { DEFAULT_DEPLOY_CONFIG, loadDeployConfig } from '../../deploy/config.js';
import { parseExcitation } from '../../deploy/excitation.js';
import { FAULT_HELP, parseFault } from '../../deploy/faults.js';
import { startDeploy, type DeployHandle, type DeploySummary } from '../../deploy/index.js';
import type { LinkKind } from '../../deploy/links/link-factory.js';
import { attachOperator, confirmArm } from '../../deploy/operator.js';
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
  --excite KIND[:A]    identification excitation added to the command before the safety layer: chirp
                       (0.5-4 Hz sweep) or prbs (50 ms bits), amplitude A N m per wheel (default 0.3,
                       at most half the motor torque); see docs/sysid.md
  --json               print one JSON summary on the last line of stdout

Exit code: 0 when the run ended without an e-stop, 3 when it ended e-stopped, 130/143 on SIGINT/SIGTERM.`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand({
    usage,
    options: {
      policy: { type: 'string' }, controller: { type: 'string' }, link: { type: 'string' }, robot: { type: 'string' }, port: { type: 'string' },
      baud: { type: 'string' }, 'ros2-config': { type: 'string' }, arm: { type: 'boolean' }, seconds: { type: 'string' },
      config: { type: 'string' }, set: { type: 'string', multiple: true }, record: { type: 'string' },
      inject: { type: 'string', multiple: true }, excite: { type: 'string' }, json: { type: 'boolean' },
    },
  }, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  if (parsed.positionals.length) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'\n${usage}`);
  if (!v.policy && !v.controller) throw new UsageError(`give --policy FILE.onnx or --controller lqr\n${usage}`);
  if (v.policy && v.controller) throw new UsageError('give either --policy or --controller, not both');
  if (v.controller && v.controller !== 'lqr') throw new UsageError(`--controller must be 'lqr', got '${v.controller}'`);
  const kind = (v.link ?? 'sim') as LinkKind;
  if (!['sim', 'serial', 'ros2'].includes(kind)) throw new UsageError(`--link must be sim, serial or ros2, got '${v.link}'`);
  const seconds = v.seconds === undefined ? undefined : numberFlag(v.seconds, 'seconds', 0, { min: 0.01 });
  let faults;
  try {
    faults = (v.inject ?? []).map(parseFault);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = loadDeployConfig(v.config ?? DEFAULT_DEPLOY_CONFIG, v.set ?? []);
  let excitation;
  try {
    excitation = v.excite === undefined ? undefined : parseExcitation(v.excite, config.safety.actionClip.maxTorqueNm);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const log = (line: string) => process.stderr.write(line + '\n');

  let handle: DeployHandle;
  try {
    handle = await startDeploy({
      policy: v.policy, controller: v.controller as 'lqr' | undefined, config, faults, excitation, seconds, record: v.record, arm: v.arm, log,
      link: { kind, plantRobot: v.robot ? loadRobotConfig(v.robot) : undefined, port: v.port, baud: v.baud === undefined ? undefined : numberFlag(v.baud, 'baud', 0, { min: 1, integer: true }), extra: v['ros2-config'] ? { configFile: v['ros2-config'] } : undefined },
    });
  } catch (err) {
    console.error(`ballbot deploy: ${(err as Error).message}`);
    return 2;
  }

  // From here on every way out goes through an e-stop first.
  let exitCode: number | null = null;
  const quit = (code: number | null, why: string, rule: 'signal' | 'error' | 'operator') => {
    if (exitCode === null) exitCode = code;
    handle.estop(why, rule);
    void handle.stop();
  };
  const onSigint = () => quit(130, 'SIGINT', 'signal');
  const onSigterm = () => quit(143, 'SIGTERM', 'signal');
  const onError = (err: unknown) => {
    log(`deploy: uncaught error: ${(err as Error)?.stack ?? err}`);
    quit(1, `uncaught error: ${(err as Error)?.message ?? err}`, 'error');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
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
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  process.off('uncaughtException', onError);
  process.off('unhandledRejection', onError);
  detach();
  process.stdin.unref?.();

  if (v.json) printJsonLine(summary);
  else printHuman(summary);
  if (exitCode !== null) return exitCode;
  return summary.finalMode === 'ESTOP' ? 3 : 0;
}

function printHuman(s: DeploySummary): void {
  const lines = [
    `deploy: ${s.policy} on ${s.link} at ${s.rateHz} Hz for ${s.seconds.toFixed(2)} s, ended ${s.finalMode}${s.fell ? ' (the robot fell)' : ''}`,
    `  ticks ${s.ticks}, missed deadlines ${s.missedDeadlines} (${(100 * s.missedFraction).toFixed(2)}%), overruns ${s.overruns}`,
    `  lateness p50 ${s.latenessUsP50} us, p99 ${s.latenessUsP99} us; compute p99 ${s.computeUsP99} us; inference p50 ${s.inferenceUsP50} us; state-to-command p50 ${s.stateToCommandUsP50} us`,
    ...s.estops.map((e) => `  E-STOP at tick ${e.atTick} (${e.atS.toFixed(2)} s): ${e.reason}`),
  ];
  if (s.record) lines.push(`  telemetry: ${s.record} (${s.telemetryMessages} messages)`);
  console.log(lines.join('\n'));
}
