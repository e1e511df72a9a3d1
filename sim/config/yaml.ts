// Load a YAML file and validate it against a zod schema. Every error names the file,
// the key path and what was expected, so a user can fix the config without reading code.
import { readFileSync, statSync } from 'node:fs';
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

/** Keys that would reach an object's prototype when assigned: never valid in a config. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function prototypeKeyProblem(path: readonly string[]): string | null {
  const bad = path.find((key) => PROTOTYPE_KEYS.has(key));
  return bad === undefined ? null : `${path.join('.')}: '${bad}' is not allowed as a config key`;
}

/** Every key path (at any depth) of a parsed config that names a prototype key. */
function prototypeKeyProblems(value: unknown, path: string[] = []): string[] {
  if (!value || typeof value !== 'object') return [];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    const here = [...path, key];
    const problem = prototypeKeyProblem(here);
    if (problem) problems.push(problem);
    else problems.push(...prototypeKeyProblems((value as Record<string, unknown>)[key], here));
  }
  return problems;
}

/** Validate an already-parsed value; `source` names where it came from in errors. */
export function validateConfig<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const unsafe = prototypeKeyProblems(value);
  if (unsafe.length) throw new ConfigError(source, unsafe);
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(source, doc.errors.map((e) => e.message));
  const value: unknown = doc.toJS() ?? {};
  const unsafe = prototypeKeyProblems(value);
  if (unsafe.length) throw new ConfigError(source, unsafe);
  return value;
}

/** Larger than any config: a bigger file is a wrong path (a log, a dataset), not a config. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Read and parse a YAML file; a missing, special (a FIFO, /dev/zero) or huge file is a ConfigError. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) throw new Error(stats.isDirectory() ? 'it is a directory' : 'it is not a regular file');
    if (stats.size > MAX_CONFIG_BYTES) throw new Error(`it has ${stats.size} bytes, more than a config can (${MAX_CONFIG_BYTES})`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read file: ${(err as Error).message}`]);
  }
  return parseYaml(text, file);
}

/** Load a YAML config, apply `key.path=value` overrides, validate; errors name the file, the overrides and the key. */
export function loadYamlFile<S extends z.ZodType>(schema: S, file: string, overrides: readonly string[] = []): z.output<S> {
  const raw = readYamlFile(file);
  if (overrides.length === 0) return validateConfig(schema, raw, file);
  return validateConfig(schema, applyOverrides(raw, overrides), `${file} (with overrides ${overrides.join(' ')})`);
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
    const unsafe = prototypeKeyProblem(path);
    if (unsafe) throw new ConfigError('command line', [`override '${item}': ${unsafe}`]);
    if (path.some((key) => key === '')) throw new ConfigError('command line', [`override '${item}': empty key in '${path.join('.')}'`]);
    if (item.slice(eq + 1).trim() === '') throw new ConfigError('command line', [`override '${item}' has no value after '='`]);
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
