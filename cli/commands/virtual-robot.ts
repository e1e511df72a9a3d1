// `ballbot virtual-robot`: the simulated robot behind a pseudo-terminal, speaking the serial
// protocol through the C firmware core, as a real board would. `--ros2` hands over to the
// ROS 2 bridge (hil/ros2-virtual-robot.ts, loaded only when asked for).
import { loadRobotConfig } from '../../sim/config/robot.js';
import { parseCommand, numberFlag, UsageError } from '../args.js';

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
  if (argv.includes('--ros2')) {
    // Hook for the ROS 2 bridge: its module parses the remaining flags itself.
    const specifier = '../../hil/ros2-virtual-robot.js';
    let mod: { run(argv: string[]): Promise<number> };
    try {
      mod = (await import(specifier)) as typeof mod;
    } catch (err) {
      throw new UsageError(`--ros2: the ROS 2 virtual robot is not available in this build (${(err as Error).message})`);
    }
    return mod.run(argv.filter((a) => a !== '--ros2'));
  }
  const parsed = parseCommand(spec, argv);
  if (!parsed) return 0;
  const v = parsed.values;
  const { VirtualRobot } = await import('../../hil/serial-virtual-robot.js');
  const vr = await VirtualRobot.start({
    robot: v.robot ? loadRobotConfig(v.robot) : undefined,
    seed: numberFlag(v.seed, 'seed', 1, { integer: true }),
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
