// `ballbot virtual-robot`: the simulated robot behind a pseudo-terminal, speaking the serial
// protocol through the C firmware core, as a real board would; with `--ros2`, the simulated
// robot on ROS 2 topics (hil/ros2-virtual-robot.ts, loaded only when asked for).
import { loadRobotConfig } from '../../sim/config/robot.js';
import { ConfigError } from '../../sim/config/yaml.js';
import { parseCommand, numberFlag, printJsonLine, UsageError, seedFlag } from '../args.js';

const spec = {
  usage: `usage: ballbot virtual-robot [--link-file PATH] [--robot FILE] [--seed N] [--watchdog-ms MS] [--init-tilt DEG] [--randomize] [--seconds S]
       ballbot virtual-robot --ros2 [options of the ROS 2 virtual robot]

Runs the ballbot simulation in real time behind a pty pair. Point deploy at the printed port:
  ballbot deploy --policy P.onnx --link serial --port /dev/pts/N

  --link-file PATH   write the port path to PATH (atomically) once ready
  --robot FILE       robot config of the simulated plant (default configs/robot/default.yaml); it may
                     differ from the robot the controller was made for (deploy's --config robot)
  --watchdog-ms MS   firmware command watchdog (default 100)
  --seconds S        stop after S seconds (default: run until Ctrl-C)
  --ros2             serve ROS 2 topics instead of a serial port`,
  options: {
    'link-file': { type: 'string' },
    robot: { type: 'string' },
    seed: { type: 'string' },
    'watchdog-ms': { type: 'string' },
    'init-tilt': { type: 'string' },
    randomize: { type: 'boolean' },
    seconds: { type: 'string' },
    ros2: { type: 'boolean' },
  },
} as const;

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--ros2')) return runRos2(argv.filter((a) => a !== '--ros2'));
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  const { VirtualRobot } = await import('../../hil/serial-virtual-robot.js');
  const vr = await VirtualRobot.start({
    robot: v.robot ? loadRobotConfig(v.robot) : undefined,
    seed: seedFlag(v.seed, 1),
    watchdogMs: numberFlag(v['watchdog-ms'], 'watchdog-ms', 100, { min: 1, max: 60000, integer: true }),
    initTiltDeg: numberFlag(v['init-tilt'], 'init-tilt', 0, { min: -30, max: 30 }),
    randomize: v.randomize ?? false,
    linkFile: v['link-file'],
    log: (line) => process.stderr.write(`virtual-robot: ${line}\n`),
  });
  const seconds = numberFlag(v.seconds, 'seconds', Infinity, { min: 0 });
  process.stderr.write(`virtual-robot: running at ${Math.round(1 / vr.controlDt)} Hz; connect to ${vr.hostPort}\n`);
  process.stdout.write(vr.hostPort + '\n');
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (Number.isFinite(seconds)) setTimeout(done, seconds * 1000);
  });
  const r = vr.report;
  process.stderr.write(`virtual-robot: stopping after ${vr.ticks} ticks (${vr.missedTicks} missed); firmware got ${r.rxFramesOk} frames (${r.rxBad} bad), watchdog trips ${r.watchdogTrips}\n`);
  await vr.close();
  return 0;
}

const ros2Usage = `usage: ballbot virtual-robot --ros2 [--ros2-config FILE] [--robot FILE] [--seed N] [--init-tilt DEG] [--randomize] [--command-timeout-ms MS] [--seconds S] [--json]

Simulates the ballbot on ROS 2 topics (from the ROS 2 config): publishes sensor_msgs/Imu and
sensor_msgs/JointState, applies std_msgs/Float64MultiArray efforts, cuts torque while deploy's
e-stop lock (std_msgs/Bool) is engaged. Needs a sourced ROS 2 (see docs/ros2.md).

  --ros2-config FILE        ROS 2 link config (default configs/deploy/ros2.yaml)
  --robot FILE              robot config (default configs/robot/default.yaml)
  --command-timeout-ms MS   zero torque when commands stop for this long (default 100)
  --seconds S               stop after S seconds (default: until Ctrl-C)
  --json                    print the report as one JSON object on the last line of stdout`;

async function runRos2(argv: string[]): Promise<number> {
  const { runRos2VirtualRobot } = await import('../../hil/ros2-virtual-robot.js');
  const { Ros2UnavailableError } = await import('../../deploy/links/ros2/rcl-api.js');
  const parsed = parseCommand({
    usage: ros2Usage,
    options: {
      'ros2-config': { type: 'string' }, robot: { type: 'string' }, seed: { type: 'string' }, 'init-tilt': { type: 'string' },
      randomize: { type: 'boolean' }, 'command-timeout-ms': { type: 'string' }, seconds: { type: 'string' }, json: { type: 'boolean' },
    },
  }, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  let report;
  try {
    report = await runRos2VirtualRobot({
      configFile: v['ros2-config'],
      robotFile: v.robot,
      seed: seedFlag(v.seed, 1),
      initTiltDeg: numberFlag(v['init-tilt'], 'init-tilt', 0, { min: -30, max: 30 }),
      randomize: v.randomize ?? false,
      commandTimeoutMs: numberFlag(v['command-timeout-ms'], 'command-timeout-ms', 100, { min: 1, max: 60_000 }),
      seconds: numberFlag(v.seconds, 'seconds', Number.POSITIVE_INFINITY, { min: 0 }),
    });
  } catch (err) {
    if (!(err instanceof Ros2UnavailableError || err instanceof ConfigError)) throw err;
    process.stderr.write(`ballbot virtual-robot --ros2: ${err.message}\n`);
    return 2;
  }
  if (v.json) printJsonLine(report);
  else process.stderr.write(`virtual-robot(ros2): ${JSON.stringify(report)}\n`);
  return 0;
}
