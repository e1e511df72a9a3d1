// Training metrics for the curves page: runs/NAME/metrics.csv (header row, one row per
// iteration) into numeric columns. Non-numeric columns are dropped; empty cells become null.
import { readFileSync } from 'node:fs';
import type { MetricsData } from '../page/episode.js';

export class MetricsError extends Error {
  override name = 'MetricsError';
}

export function parseMetricsCsv(text: string, file: string, title = file): MetricsData {
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new MetricsError(`${file}: empty, expected a header row`);
  const header = lines[0].split(',').map((h) => h.trim());
  if (header.some((h) => h === '')) throw new MetricsError(`${file}:1: header has an empty column name`);
  const cells: string[][] = [];
  for (let i = 1; i < lines.length; i++) {
    const row = lines[i].split(',');
    if (row.length !== header.length) {
      // The trainer may be appending the last row right now: skip a short final line.
      if (i === lines.length - 1 && row.length < header.length) break;
      throw new MetricsError(`${file}:${i + 1}: ${row.length} fields, header has ${header.length}`);
    }
    cells.push(row);
  }
  const values: Record<string, Array<number | null>> = {};
  const columns: string[] = [];
  header.forEach((name, c) => {
    const col = cells.map((row) => {
      const s = row[c].trim();
      const v = s === '' ? NaN : Number(s);
      return Number.isFinite(v) ? v : null;
    });
    if (col.some((v) => v !== null)) {
      columns.push(name);
      values[name] = col;
    }
  });
  return { title, columns, values, rows: cells.length };
}

export function readMetricsCsv(file: string, title?: string): MetricsData {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MetricsError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseMetricsCsv(text, file, title);
}
