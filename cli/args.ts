// Small helpers over node:util parseArgs so every subcommand handles flags the same way.
import { statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  usage: string;
  options: O;
  /** The command takes positional arguments (file paths); without this a stray one is a usage error. */
  positionals?: boolean;
  /**
   * String flags whose value may be left out (`--randomize` or `--randomize FILE`): given alone
   * (last, or followed by another flag) the flag gets this value instead.
   */
  valueWhenAlone?: Partial<Record<keyof O & string, string>>;
}

/** Parse argv; prints usage and returns null on --help; throws UsageError on bad flags. */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]) {
  const args = fillOptionalValues(argv, spec.valueWhenAlone ?? {});
  const config = { args, options: spec.options, strict: true as const, allowPositionals: true as const };
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs({ ...config, options: { ...spec.options, help: { type: 'boolean', short: 'h' } } }) as typeof parsed;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${spec.usage}`);
  }
  if ((parsed.values as Record<string, unknown>).help) {
    console.log(spec.usage);
    return null;
  }
  if (!spec.positionals && parsed.positionals.length > 0) {
    const list = parsed.positionals.map((p) => `'${p}'`).join(', ');
    throw new UsageError(`unexpected argument${parsed.positionals.length > 1 ? 's' : ''} ${list} (every option is a --flag)\n${spec.usage}`);
  }
  return parsed;
}

function fillOptionalValues(argv: string[], valueWhenAlone: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    out.push(argv[i]);
    if (argv[i] === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    const fill = argv[i].startsWith('--') ? valueWhenAlone[argv[i].slice(2)] : undefined;
    if (fill !== undefined && (i + 1 === argv.length || argv[i + 1].startsWith('-'))) out.push(fill);
  }
  return out;
}

export function numberFlag(value: string | undefined, name: string, fallback: number, check?: { min?: number; max?: number; integer?: boolean }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  if (check?.integer && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  if (check?.min !== undefined && n < check.min) throw new UsageError(`--${name} must be >= ${check.min}, got ${n}`);
  if (check?.max !== undefined && n > check.max) throw new UsageError(`--${name} must be <= ${check.max}, got ${n}`);
  return n;
}

/** A flag naming a file to read: a usage error, naming the flag, when it is missing or not a regular file. */
export function inputFileFlag<T extends string | undefined>(value: T, name: string): T {
  if (value === undefined) return value;
  let stats;
  try {
    stats = statSync(value);
  } catch {
    throw new UsageError(`--${name} ${value}: no such file`);
  }
  if (!stats.isFile()) throw new UsageError(`--${name} ${value}: ${stats.isDirectory() ? 'is a directory' : 'is not a regular file'}, expected a file`);
  return value;
}

/** Seeds are 32-bit (sim/rng.ts): a larger or negative one would silently alias another. */
export const MAX_SEED = 0xffffffff;

export function seedFlag(value: string | undefined, fallback: number): number {
  return numberFlag(value, 'seed', fallback, { integer: true, min: 0, max: MAX_SEED });
}

/** Print the machine-readable result as one JSON object on the last line of stdout. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
