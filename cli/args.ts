// Small helpers over node:util parseArgs so every subcommand handles flags the same way.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options> {
  usage: string;
  options: O;
}

/** Parse argv; prints usage and returns null on --help; throws UsageError on bad flags. */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]) {
  const config = { args: argv, options: spec.options, strict: true as const, allowPositionals: true as const };
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
  return parsed;
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

/** Print the machine-readable result as one JSON object on the last line of stdout. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}
