// A sweep file (YAML) and its expansion into training runs: a grid (cartesian product) and/or
// random samples over any training-config key, times seeds. Every key and value is validated
// against the training config before anything is enqueued; errors name the sweep file and key.
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { Rng } from '../../sim/rng.js';
import { ConfigError, loadYamlFile } from '../../sim/config/yaml.js';
import { loadTrainConfig, type TrainConfig } from '../config.js';

const int = (min = 0) => z.number().int().min(min);
const range = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, 'expected [low, high] with low <= high');

const DistributionSchema = z.union([
  z.strictObject({ uniform: range }),
  z.strictObject({ logUniform: range.refine(([lo]) => lo > 0, 'logUniform bounds must be > 0') }),
  z.strictObject({ int: z.tuple([z.number().int(), z.number().int()]) }),
  z.strictObject({ choice: z.array(z.unknown()).min(1) }),
]);
export type Distribution = z.output<typeof DistributionSchema>;

export const SweepSchema = z.strictObject({
  /** Names the sweep's jobs and run directories. */
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, _ and - only'),
  /** Training config every run starts from (relative to the sweep file). */
  config: z.string().min(1),
  /** Overrides every run gets (key.path: value). */
  set: z.record(z.string(), z.unknown()).default({}),
  /** key.path: [values...]; every combination is a variant. */
  grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  /** `samples` draws of the listed distributions (per grid combination). */
  random: z.strictObject({ samples: int(1), seed: int().default(0), params: z.record(z.string(), DistributionSchema) }).optional(),
  seeds: z.array(int()).min(1).default([1]),
  /** Evaluations along each run (the last at the end) and held-out episodes per evaluation. */
  evals: int(1).default(2),
  episodes: int(1).default(10),
  evalSeed: int().default(0),
  /** Attempts per job before it counts as failed (a crash or a killed worker uses one). */
  attempts: int(1).default(3),
});
export type SweepSpec = z.output<typeof SweepSchema>;

export interface SweepRun {
  /** Stable job id: `<sweep>--v<variant index>--s<seed>`. */
  id: string;
  /** Human label of the variant, e.g. `ppo.lr=0.001 ppo.epochs=5` (the row of the report). */
  variant: string;
  seed: number;
  /** `key.path=value` overrides on top of the base config (seed included). */
  overrides: string[];
  config: TrainConfig;
}

export interface SweepPlan {
  spec: SweepSpec;
  file: string;
  configFile: string;
  runs: SweepRun[];
}

function override(key: string, value: unknown): string {
  return `${key}=${JSON.stringify(value)}`;
}

function sample(d: Distribution, rng: Rng): unknown {
  if ('uniform' in d) return rng.uniform(d.uniform[0], d.uniform[1]);
  if ('logUniform' in d) return Math.exp(rng.uniform(Math.log(d.logUniform[0]), Math.log(d.logUniform[1])));
  if ('int' in d) return d.int[0] + rng.int(d.int[1] - d.int[0] + 1);
  return d.choice[rng.int(d.choice.length)];
}

function gridCombinations(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return combos;
}

function label(variant: Record<string, unknown>): string {
  const parts = Object.entries(variant).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : JSON.stringify(v)}`);
  return parts.length ? parts.join(' ') : 'base';
}

/** Load, validate and expand a sweep file. */
export function loadSweep(file: string): SweepPlan {
  const spec = loadYamlFile(SweepSchema, file);
  const configFile = isAbsolute(spec.config) ? spec.config : resolve(dirname(file), spec.config);
  const base = Object.entries(spec.set).map(([k, v]) => override(k, v));
  const check = (where: string, overrides: string[]) => {
    try {
      return loadTrainConfig(configFile, overrides);
    } catch (err) {
      const detail = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
      throw new ConfigError(file, [`${where}: ${detail}`]);
    }
  };
  // `set` is the base every variant starts from; a key swept by both grid and random has no one value.
  const both = Object.keys(spec.grid).filter((k) => k in (spec.random?.params ?? {}));
  if (both.length) throw new ConfigError(file, [`${both.join(', ')}: in both grid and random.params; sweep each key in one of them`]);
  check('config', []);
  for (const k of Object.keys(spec.set)) check(`set.${k}`, [override(k, spec.set[k])]);
  for (const [k, values] of Object.entries(spec.grid)) for (const v of values) check(`grid.${k} (value ${JSON.stringify(v)})`, [...base, override(k, v)]);

  const rng = new Rng(spec.random?.seed ?? 0);
  const variants: Record<string, unknown>[] = [];
  for (const combo of gridCombinations(spec.grid)) {
    if (!spec.random) variants.push(combo);
    else for (let s = 0; s < spec.random.samples; s++) {
      const drawn: Record<string, unknown> = { ...combo };
      for (const [k, d] of Object.entries(spec.random.params)) drawn[k] = sample(d, rng);
      variants.push(drawn);
    }
  }
  const runs: SweepRun[] = [];
  variants.forEach((variant, i) => {
    for (const seed of spec.seeds) {
      const overrides = [...base, ...Object.entries(variant).map(([k, v]) => override(k, v)), `seed=${seed}`, 'evalEpisodes=0'];
      const where = Object.keys(variant).map((k) => (k in spec.grid ? `grid.${k}` : `random.params.${k}`)).join(', ') || 'config';
      runs.push({ id: `${spec.name}--v${i}--s${seed}`, variant: label(variant), seed, overrides, config: check(where, overrides) });
    }
  });
  return { spec, file, configFile, runs };
}
