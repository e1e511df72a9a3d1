// A run directory's metrics.csv as rows keyed by column name (cells as written).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function metricRows(runDir: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}
