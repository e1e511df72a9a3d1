// The `ballbot` command: a table of subcommands, each in its own module, loaded lazily so
// `ballbot --help` is instant and a missing optional dependency only affects its command.
import { ConfigError } from '../sim/config/yaml.js';
import { UsageError } from './args.js';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  sim: { summary: 'run the ballbot simulation with a controller (LQR, zero, or a policy)', load: () => import('./commands/sim.js') },
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
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`ballbot ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
