// Load a YAML file and validate it against a zod schema. Every error names the file,
// the key path and what was expected, so a user can fix the config without reading code.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`invalid config ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Format zod issues as "key.path: message" lines. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const key = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      return `${key === '(top level)' ? '' : key + ': '}unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}${key === '(top level)' ? ' at top level' : ''}`;
    }
    return `${key}: ${issue.message}`;
  });
}

/** Validate an already-parsed value; `source` names where it came from in errors. */
export function validateConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(source, doc.errors.map((e) => e.message));
  return doc.toJS() ?? {};
}

export function loadYamlFile<S extends z.ZodType>(schema: S, file: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  return validateConfig(schema, parseYaml(text, file), file);
}

/**
 * Apply "a.b.c=value" overrides (from the command line) onto a plain object. Values are
 * parsed as YAML scalars so numbers, booleans and lists keep their types; the schema
 * then validates the result, so a typo in a key is reported as an unknown key.
 */
export function applyOverrides(base: unknown, overrides: readonly string[]): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  for (const item of overrides) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('command line', [`override '${item}' must look like key.path=value`]);
    const path = item.slice(0, eq).split('.');
    const value = parseYaml(item.slice(eq + 1), `override ${item}`);
    let node = root;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return root;
}
