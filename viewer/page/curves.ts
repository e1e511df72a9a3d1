// Training curves for a run directory: every numeric column of metrics.csv against env steps
// (or the iteration, or the row number), refreshed while training appends rows.
import type { MetricsData } from './episode.js';
import { SvgPlot } from './plot.js';

const X_CANDIDATES = ['env_steps', 'iteration', 'step', 'global_step'];
const REFRESH_MS = 10_000;

function xColumn(data: MetricsData): string | null {
  return X_CANDIDATES.find((c) => data.columns.includes(c)) ?? null;
}

export async function startCurves(sourceId: number): Promise<void> {
  const view = document.getElementById('curves-view')!;
  view.hidden = false;
  const draw = (data: MetricsData) => {
    const xName = xColumn(data);
    const xs = xName ? data.values[xName].map((v) => v ?? NaN) : Array.from({ length: data.rows }, (_, i) => i);
    const finiteX = xs.filter(Number.isFinite);
    const x0 = finiteX.length ? Math.min(...finiteX) : 0;
    const x1 = finiteX.length ? Math.max(...finiteX) : 1;
    view.replaceChildren();
    view.dataset.rows = String(data.rows);
    view.dataset.x = xName ?? 'row';
    for (const col of data.columns) {
      if (col === xName) continue;
      const plot = new SvgPlot(view, col, col, `vs ${xName ?? 'row'}`, [{ name: col, color: '#5aa9ff' }]);
      plot.draw(xs, [data.values[col].map((v) => v ?? NaN)], 0, data.rows, x0, x1);
    }
    document.getElementById('title')!.textContent = `${data.title}: ${data.rows} rows`;
  };
  const load = async () => {
    const res = await fetch(`/api/metrics/${sourceId}`);
    if (!res.ok) throw new Error(`metrics: ${(await res.json() as { error: string }).error}`);
    draw((await res.json()) as MetricsData);
  };
  await load();
  setInterval(() => void load().catch(() => undefined), REFRESH_MS);
}
