// Per-iteration metrics: one CSV row (fixed columns, so plots and spreadsheets read it) and
// the same numbers as TensorBoard scalars. Kept in memory too for the final learning-curve plot.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWriteFile } from '../../common/atomic-write.js';
import { dropEventsAfter, TensorBoardWriter } from './tensorboard.js';

export const METRIC_COLUMNS = [
  'iteration', 'env_steps', 'wall_s', 'episode_return', 'episode_length', 'episodes',
  'policy_loss', 'value_loss', 'entropy', 'approx_kl', 'clip_frac', 'explained_var',
  'lr', 'sps', 'q_loss', 'alpha', 'updates', 'policy_lag', 'dropped_stale', 'imitation_weight', 'imitation_loss', 'curriculum_level',
] as const;

export type MetricName = (typeof METRIC_COLUMNS)[number];
export type MetricRow = Partial<Record<MetricName, number>>;

export class MetricsLogger {
  readonly csvFile: string;
  readonly rows: MetricRow[] = [];
  private readonly tb: TensorBoardWriter;

  /** On resume, rows after `resumeIteration` (work lost since the checkpoint) are dropped. */
  constructor(readonly dir: string, resumeIteration?: number) {
    this.csvFile = join(dir, 'metrics.csv');
    const header = METRIC_COLUMNS.join(',');
    if (resumeIteration !== undefined && existsSync(this.csvFile)) {
      const lines = readFileSync(this.csvFile, 'utf8').split('\n').filter((l) => l.length > 0);
      const kept = lines.slice(1).filter((l) => Number(l.split(',')[0]) <= resumeIteration);
      for (const line of kept) {
        const cells = line.split(',');
        const row: MetricRow = {};
        METRIC_COLUMNS.forEach((c, i) => {
          if (cells[i] !== '' && cells[i] !== undefined) row[c] = Number(cells[i]);
        });
        this.rows.push(row);
      }
      atomicWriteFile(this.csvFile, [header, ...kept].join('\n') + '\n');
    } else {
      atomicWriteFile(this.csvFile, header + '\n');
    }
    if (resumeIteration !== undefined) dropEventsAfter(join(dir, 'tb'), Math.max(0, ...this.rows.map(tbStep)));
    this.tb = new TensorBoardWriter(join(dir, 'tb'));
  }

  log(row: MetricRow): void {
    this.rows.push(row);
    const line = METRIC_COLUMNS.map((c) => (row[c] === undefined || Number.isNaN(row[c]) ? '' : formatNumber(row[c]!))).join(',');
    appendFileSync(this.csvFile, line + '\n');
    const scalars: Record<string, number> = {};
    for (const [k, v] of Object.entries(row)) if (k !== 'iteration' && k !== 'env_steps' && v !== undefined) scalars[tbTag(k)] = v;
    this.tb.scalars(tbStep(row), scalars);
  }

  close(): void {
    this.tb.close();
  }
}

/** The TensorBoard step of a row: env steps (so runs of different batch sizes line up). */
function tbStep(row: MetricRow): number {
  return row.env_steps ?? row.iteration ?? 0;
}

function tbTag(key: string): string {
  if (key.startsWith('episode_')) return `rollout/${key}`;
  if (key === 'sps' || key === 'wall_s' || key === 'lr') return `time/${key}`;
  return `train/${key}`;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6);
}
