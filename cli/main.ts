// The `ballbot` command: a table of subcommands, each in its own module, loaded lazily so
// `ballbot --help` is instant and a missing optional dependency only affects its command.
import { ConfigError } from '../sim/config/yaml.js';
import { PolicyMismatchError } from '../sim/artifact-check.js';
import { UsageError } from './args.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  sim: { summary: 'run the ballbot simulation with a controller (LQR, zero, or a policy)', load: () => import('./commands/sim.js') },
  train: { summary: 'train a policy with PPO or SAC (or A2C, TD3, DDPG)', load: () => import('./commands/train.js') },
  actor: { summary: 'join a distributed PPO run in Redis and collect rollouts for its learner', load: () => import('./commands/actor.js') },
  eval: { summary: 'evaluate a run or an ONNX policy on held-out randomized episodes', load: () => import('./commands/eval.js') },
  export: { summary: 'export a trained run to a single ONNX policy artifact', load: () => import('./commands/export.js') },
  deploy: { summary: 'run an ONNX policy in the real-time control loop with safety and e-stop', load: () => import('./commands/deploy.js') },
  'virtual-robot': { summary: 'run the simulated robot behind a pseudo-terminal (or ROS 2), as firmware would', load: () => import('./commands/virtual-robot.js') },
  hil: { summary: 'run the hardware-in-the-loop scenario suite against a port or the virtual robot', load: () => import('./commands/hil.js') },
  view: { summary: 'open the browser 3D viewer for a rollout, a recording, telemetry or a run', load: () => import('./commands/view.js') },
  replay: { summary: 'replay a deploy recording in the simulator and report the sim-to-robot gap per signal', load: () => import('./commands/replay.js') },
  sysid: { summary: 'fit robot parameters to deploy recordings (system identification)', load: () => import('./commands/sysid.js') },
  sim2sim: { summary: 'run a policy in Rapier and in MuJoCo on the same seeds and compare', load: () => import('./commands/sim2sim.js') },
  compare: { summary: 'train several algorithms over seeds and compare them in a table and a plot', load: () => import('./commands/compare.js') },
  sweep: { summary: 'enqueue a sweep of training runs in Redis (BullMQ), or report its results', load: () => import('./commands/sweep.js') },
  worker: { summary: 'run sweep jobs from Redis, one training run at a time', load: () => import('./commands/worker.js') },
};

function printHelp(): void {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  console.log('usage: ballbot <command> [options]\n\ncommands:');
  for (const [name, cmd] of Object.entries(commands)) console.log(`  ${name.padEnd(width)}  ${cmd.summary}`);
  console.log('\nrun `ballbot <command> --help` for the options of one command');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`ballbot: unknown command '${name}'`);
    printHelp();
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof PolicyMismatchError) {
      console.error(`ballbot ${name}: ${err.message}`);
      return 2;
    }
    // Anything else: one clear line (the stack only when asked for, BALLBOT_DEBUG=1).
    console.error(`ballbot ${name}: ${(err as Error).message ?? String(err)}`);
    if (process.env.BALLBOT_DEBUG) console.error((err as Error).stack);
    return 1;
  }
}
