// `ballbot compare` as a function: train each algorithm on one task for several seeds
// (sequentially: the sim and tfjs already fill the cores), evaluating the policy on the same
// held-out episodes at `evalPoints` points along the way, then write
//   compare.md (table)  compare-summary.csv  compare-curves.csv  compare.svg (plot)  compare.json
// Training is cut into chunks with train()'s maxIterations and continued with --resume
// semantics (exact continuation), so an evaluation never perturbs the training run.
// The LQR baseline is evaluated by the same evaluate() on the same episodes.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { configPath } from '../sim/config/paths.js';
import { atomicWriteFile } from '../common/atomic-write.js';
import { loadCheckpoint } from './io/checkpoint.js';
import { loadTrainConfig, type TrainConfig } from './config.js';
import { evaluateLqr, type EvalResult } from './evaluate.js';
import { exportRunPolicy } from './io/export-policy.js';
import { loadRunPolicy } from './io/run-policy.js';
import { SAC_LOG_INTERVAL } from './runners/sac-runner.js';
import { isBallbotTask, makeVecEnv } from './tasks.js';
import { evaluateRunPolicy, train } from './train.js';
import { compareSvg } from './io/compare-plot.js';

export const COMPARE_ALGOS = ['ppo', 'sac', 'a2c', 'td3', 'ddpg'] as const;

export interface CompareOptions {
  algos: string[];
  task: string;
  steps: number;
  seeds: number;
  outDir: string;
  /** Evaluations per run (the last one at the end of training). */
  evalPoints: number;
  evalEpisodes: number;
  /** Held-out seed block shared by every evaluation (same episodes for every algorithm). */
  evalSeed: number;
  /**
   * Ballbot tasks: a randomization YAML the final policies and the LQR are also evaluated on
   * (rows "<ALGO> (stress)"); default configs/randomization/stress.yaml, null for none.
   */
  stressRandomization?: string | null;
  /** Extra `key=value` overrides applied to every algorithm's config. */
  overrides: string[];
  progress: boolean;
  /** Config file of an algorithm (default configs/train/<algo>-<task>.yaml). */
  configFile?: (algo: string, task: string) => string;
  log?: (msg: string) => void;
}

export interface CurvePoint {
  algo: string;
  seed: number;
  envSteps: number;
  wallSeconds: number;
  successRate: number;
  meanReturn: number;
  meanActionChange: number;
}

export interface SummaryRow {
  name: string;
  seeds: number;
  envSteps: number | null;
  wallSeconds: number | null;
  successRate: Stat;
  meanReturn: Stat;
  meanActionChange: Stat;
}

export interface Stat {
  mean: number;
  std: number;
}

export interface CompareResult {
  points: CurvePoint[];
  summary: SummaryRow[];
  files: { markdown: string; summaryCsv: string; curvesCsv: string; plot: string; json: string };
}

/** Env steps of one runner iteration (the unit of train()'s maxIterations). */
function stepsPerIteration(config: TrainConfig): number {
  if (config.algo === 'ppo') return config.numEnvs * config.ppo.stepsPerEnv;
  if (config.algo === 'a2c') return config.numEnvs * config.a2c.nSteps;
  return SAC_LOG_INTERVAL;
}

/** Mean and population standard deviation. */
export function stat(xs: number[]): Stat {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean: m, std: Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length) };
}

export function defaultConfigFile(algo: string, task: string): string {
  return configPath('train', `${algo}-${task}.yaml`);
}

/** The config of one algorithm and seed in a comparison (throws naming the file and key on bad input). */
function compareConfig(algo: string, seed: number, opts: CompareOptions): TrainConfig {
  const file = (opts.configFile ?? defaultConfigFile)(algo, opts.task);
  if (!existsSync(file)) throw new Error(`no config for ${algo} on ${opts.task}: ${file} does not exist`);
  const config = loadTrainConfig(file, [...opts.overrides, `seed=${seed}`, `totalSteps=${opts.steps}`, 'evalEpisodes=0']);
  if (config.algo !== algo) throw new Error(`${file} has algo '${config.algo}', expected '${algo}'`);
  return config;
}

async function trainAndEvaluate(algo: string, seed: number, opts: CompareOptions, log: (m: string) => void): Promise<CurvePoint[]> {
  const config = compareConfig(algo, seed, opts);
  const runDir = join(opts.outDir, 'runs', `${algo}-seed${seed}`);
  rmSync(runDir, { recursive: true, force: true }); // a fresh run each comparison
  return trainWithEvaluations(config, runDir, opts, (p) => log(`${algo} seed ${seed}: ${p.envSteps} steps, ${p.wallSeconds.toFixed(0)} s train: success ${(100 * p.successRate).toFixed(0)}%, return ${p.meanReturn.toFixed(1)}, action change ${p.meanActionChange.toFixed(4)}`));
}

/**
 * Train `config` in a fresh `runDir`, evaluating the policy at `evalPoints` points along the way
 * (the last at the end), and export policy.onnx. Used by compare and by sweep jobs.
 */
export async function trainWithEvaluations(
  config: TrainConfig, runDir: string, plan: Pick<CompareOptions, 'evalPoints' | 'evalEpisodes' | 'evalSeed' | 'progress'>, onPoint: (p: CurvePoint) => void,
): Promise<CurvePoint[]> {
  const totalIters = Math.ceil(config.totalSteps / stepsPerIteration(config));
  const chunk = Math.max(1, Math.ceil(totalIters / plan.evalPoints));
  const points: CurvePoint[] = [];
  let first = true;
  for (;;) {
    const r = await train({ config, outDir: runDir, resume: !first, progress: plan.progress, maxIterations: chunk, skipFinish: true });
    first = false;
    if (r.interrupted) throw new Error('training interrupted');
    const policy = loadRunPolicy(runDir);
    const wallSeconds = (loadCheckpoint<{ wallSeconds: number }>(runDir).state.wallSeconds as number) ?? r.wallSeconds;
    const ev = await evaluateRunPolicy(policy, plan.evalEpisodes, plan.evalSeed);
    const p: CurvePoint = { algo: config.algo, seed: config.seed, envSteps: policy.envSteps, wallSeconds, successRate: ev.successRate, meanReturn: ev.meanReturn, meanActionChange: ev.meanActionChange };
    points.push(p);
    onPoint(p);
    if (r.envSteps >= config.totalSteps || r.iteration >= totalIters) {
      exportRunPolicy(policy, join(runDir, 'policy.onnx'));
      return points;
    }
  }
}

export interface CompareReport {
  points: CurvePoint[];
  summary: SummaryRow[];
  lqr: EvalResult | null;
  /** Row keys of the plot (the `algo` of the points), in order. */
  rowNames: string[];
  title: string;
  table: Pick<CompareOptions, 'task' | 'steps' | 'seeds' | 'evalEpisodes'>;
  /** Recorded as `options` in compare.json. */
  options: unknown;
}

/** Write compare.md, compare-summary.csv, compare-curves.csv, compare.svg and compare.json (atomically). */
export function writeCompareFiles(outDir: string, report: CompareReport): CompareResult['files'] {
  const files = {
    markdown: join(outDir, 'compare.md'),
    summaryCsv: join(outDir, 'compare-summary.csv'),
    curvesCsv: join(outDir, 'compare-curves.csv'),
    plot: join(outDir, 'compare.svg'),
    json: join(outDir, 'compare.json'),
  };
  atomicWriteFile(files.markdown, summaryMarkdown(report.summary, report.table));
  atomicWriteFile(files.summaryCsv, summaryCsv(report.summary));
  atomicWriteFile(files.curvesCsv, curvesCsv(report.points));
  atomicWriteFile(files.plot, compareSvg(report.points, report.rowNames, report.lqr, report.title));
  atomicWriteFile(files.json, JSON.stringify({ options: report.options, summary: report.summary, points: report.points, lqr: report.lqr }, null, 2) + '\n');
  return files;
}

/** The stress randomization file a comparison uses (null: none, or not a ballbot task). */
export function stressFile(opts: Pick<CompareOptions, 'task' | 'stressRandomization'>): string | null {
  if (!isBallbotTask(opts.task)) return null;
  return opts.stressRandomization === undefined ? configPath('randomization', 'stress.yaml') : opts.stressRandomization;
}

/** Each algorithm's final policies (every seed) on the stress randomization: one row per algorithm. */
async function stressRows(opts: CompareOptions, file: string, log: (m: string) => void): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = [];
  for (const algo of opts.algos) {
    const evs: EvalResult[] = [];
    for (let k = 1; k <= opts.seeds; k++) {
      const policy = loadRunPolicy(join(opts.outDir, 'runs', `${algo}-seed${k}`));
      evs.push(await evaluateRunPolicy(policy, opts.evalEpisodes, opts.evalSeed, { randomize: file }));
    }
    rows.push(evalRow(`${algo.toUpperCase()} (stress)`, evs, opts.steps));
    log(`${algo} on ${file}: success ${(100 * rows[rows.length - 1].successRate.mean).toFixed(0)}%`);
  }
  return rows;
}

function evalRow(name: string, evs: EvalResult[], envSteps: number | null): SummaryRow {
  return {
    name, seeds: evs.length, envSteps, wallSeconds: null,
    successRate: stat(evs.map((e) => e.successRate)), meanReturn: stat(evs.map((e) => e.meanReturn)), meanActionChange: stat(evs.map((e) => e.meanActionChange)),
  };
}

/** The LQR baseline as a row of the summary table. */
export function lqrRow(lqr: EvalResult): SummaryRow {
  return {
    name: 'LQR (baseline)', seeds: 1, envSteps: null, wallSeconds: null,
    successRate: { mean: lqr.successRate, std: 0 }, meanReturn: { mean: lqr.meanReturn, std: 0 }, meanActionChange: { mean: lqr.meanActionChange, std: 0 },
  };
}

/** Per-algorithm summary of the final evaluation of each seed. */
export function summarize(points: CurvePoint[], algos: string[]): SummaryRow[] {
  return algos.map((algo) => {
    const mine = points.filter((p) => p.algo === algo);
    const seeds = [...new Set(mine.map((p) => p.seed))];
    const finals = seeds.map((s) => mine.filter((p) => p.seed === s).reduce((a, b) => (b.envSteps >= a.envSteps ? b : a)));
    return {
      name: algo.toUpperCase(),
      seeds: seeds.length,
      envSteps: Math.max(...finals.map((f) => f.envSteps)),
      wallSeconds: stat(finals.map((f) => f.wallSeconds)).mean,
      successRate: stat(finals.map((f) => f.successRate)),
      meanReturn: stat(finals.map((f) => f.meanReturn)),
      meanActionChange: stat(finals.map((f) => f.meanActionChange)),
    };
  });
}

function pm(s: Stat, digits: number, scale = 1): string {
  return `${(s.mean * scale).toFixed(digits)} ± ${(s.std * scale).toFixed(digits)}`;
}

export function summaryMarkdown(rows: SummaryRow[], opts: Pick<CompareOptions, 'task' | 'steps' | 'seeds' | 'evalEpisodes' | 'stressRandomization'>): string {
  const lines = [
    `Task \`${opts.task}\`, ${opts.steps} env steps per run, ${opts.seeds} seed(s), ${opts.evalEpisodes} held-out episodes per evaluation (the same episodes for every row). Mean ± std over seeds of the final evaluation.${rows.some((r) => r.name.endsWith('(stress)')) ? ` Rows marked (stress) use ${opts.stressRandomization ?? 'configs/randomization/stress.yaml'} instead of the default randomization.` : ''}`,
    '',
    '| algorithm | seeds | env steps | train wall-clock (s) | success rate (%) | mean return | action change / step |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.seeds} | ${r.envSteps ?? '-'} | ${r.wallSeconds === null ? '-' : r.wallSeconds.toFixed(0)} | ${pm(r.successRate, 1, 100)} | ${pm(r.meanReturn, 1)} | ${pm(r.meanActionChange, 4)} |`);
  }
  return lines.join('\n') + '\n';
}

export function summaryCsv(rows: SummaryRow[]): string {
  const head = 'algorithm,seeds,env_steps,train_wall_s,success_mean,success_std,return_mean,return_std,action_change_mean,action_change_std';
  const body = rows.map((r) =>
    [r.name, r.seeds, r.envSteps ?? '', r.wallSeconds === null ? '' : r.wallSeconds.toFixed(1), r.successRate.mean, r.successRate.std, r.meanReturn.mean, r.meanReturn.std, r.meanActionChange.mean, r.meanActionChange.std].join(','),
  );
  return [head, ...body].join('\n') + '\n';
}

export function curvesCsv(points: CurvePoint[]): string {
  const head = 'algorithm,seed,env_steps,train_wall_s,success_rate,mean_return,mean_action_change';
  return [head, ...points.map((p) => [p.algo, p.seed, p.envSteps, p.wallSeconds.toFixed(2), p.successRate, p.meanReturn, p.meanActionChange].join(','))].join('\n') + '\n';
}

export async function runComparison(opts: CompareOptions): Promise<CompareResult> {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  for (const algo of opts.algos) compareConfig(algo, 1, opts); // every config valid before hours of training
  const points: CurvePoint[] = [];
  for (const algo of opts.algos) {
    for (let k = 0; k < opts.seeds; k++) points.push(...(await trainAndEvaluate(algo, k + 1, opts, log)));
  }
  const summary = summarize(points, opts.algos);
  let lqr: EvalResult | null = null;
  if (isBallbotTask(opts.task)) {
    lqr = await evaluateLqr(opts.task, opts.evalEpisodes, opts.evalSeed);
    summary.push(lqrRow(lqr));
    log(`LQR: success ${(100 * lqr.successRate).toFixed(0)}%, return ${lqr.meanReturn.toFixed(1)}, action change ${lqr.meanActionChange.toFixed(4)}`);
  }
  const stress = stressFile(opts);
  if (stress) {
    summary.push(...(await stressRows(opts, stress, log)));
    summary.push(evalRow('LQR (stress)', [await evaluateLqr(opts.task, opts.evalEpisodes, opts.evalSeed, stress)], null));
  }
  const title = `${opts.algos.map((a) => a.toUpperCase()).join(' / ')} on ${opts.task} (${opts.seeds} seed(s), ${opts.evalEpisodes} held-out episodes per point)`;
  const files = writeCompareFiles(opts.outDir, { points, summary, lqr, rowNames: opts.algos, title, table: opts, options: { ...opts, log: undefined, configFile: undefined } });
  return { points, summary, files };
}
