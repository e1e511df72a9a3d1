// The comparison plot: a self-contained SVG (no scripts, no CDN) with one panel per
// (metric, x axis): success rate, mean return and action change against env steps and
// against training wall-clock. Per algorithm a line through the mean over seeds and a band
// from the seeds' min to max; the LQR baseline as a dashed horizontal line.
import type { EvalResult } from '../evaluate.js';
import type { CurvePoint } from '../compare.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const W = 380;
const H = 230;
const M = { l: 58, r: 12, t: 26, b: 38 };

type Metric = 'successRate' | 'meanReturn' | 'meanActionChange';
type XAxis = 'envSteps' | 'wallSeconds';

interface Series {
  algo: string;
  color: string;
  /** Per eval index: x mean over seeds and y mean/min/max over seeds. */
  pts: { x: number; y: number; lo: number; hi: number }[];
}

/** Aggregate the k-th evaluation of every seed of one algorithm. */
export function aggregate(points: CurvePoint[], algo: string, x: XAxis, metric: Metric): { x: number; y: number; lo: number; hi: number }[] {
  const bySeed = new Map<number, CurvePoint[]>();
  for (const p of points) if (p.algo === algo) bySeed.set(p.seed, [...(bySeed.get(p.seed) ?? []), p]);
  const runs = [...bySeed.values()].map((r) => r.sort((a, b) => a.envSteps - b.envSteps));
  const len = Math.min(...runs.map((r) => r.length));
  const out = [];
  for (let k = 0; k < len; k++) {
    const ys = runs.map((r) => r[k][metric]);
    out.push({ x: runs.reduce((s, r) => s + r[k][x], 0) / runs.length, y: ys.reduce((s, v) => s + v, 0) / ys.length, lo: Math.min(...ys), hi: Math.max(...ys) });
  }
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e4) return `${(v / 1000).toFixed(0)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1 || a === 0) return v.toFixed(1).replace(/\.0$/, '');
  return v.toPrecision(2);
}

function panel(series: Series[], baseline: number | null, title: string, xLabel: string, ox: number, oy: number): string {
  const all = series.flatMap((s) => s.pts);
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => [p.lo, p.hi]);
  if (baseline !== null) ys.push(baseline);
  let x0 = Math.min(0, ...xs);
  let x1 = Math.max(...xs, 1);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (!(y1 > y0)) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  if (!(x1 > x0)) x1 = x0 + 1;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const sx = (x: number) => ox + M.l + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => oy + M.t + (1 - (y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${ox + W / 2}" y="${oy + 16}" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<rect x="${ox + M.l}" y="${oy + M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${sx(t)}" y1="${oy + M.t}" x2="${sx(t)}" y2="${oy + M.t + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(t)}" y="${oy + M.t + ph + 14}" text-anchor="middle" font-size="10">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${ox + M.l}" y1="${sy(t)}" x2="${ox + M.l + pw}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${ox + M.l - 4}" y="${sy(t) + 3}" text-anchor="end" font-size="10">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${ox + M.l + pw / 2}" y="${oy + H - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`);
  for (const s of series) {
    if (s.pts.length === 0) continue;
    const band = [...s.pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.hi).toFixed(1)}`), ...s.pts.slice().reverse().map((p) => `${sx(p.x).toFixed(1)},${sy(p.lo).toFixed(1)}`)].join(' ');
    parts.push(`<polygon points="${band}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    parts.push(`<polyline points="${s.pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const p of s.pts) parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
  }
  if (baseline !== null) parts.push(`<line x1="${ox + M.l}" y1="${sy(baseline)}" x2="${ox + M.l + pw}" y2="${sy(baseline)}" stroke="#000" stroke-dasharray="5,4" stroke-width="1.5"/>`);
  return parts.join('\n');
}

export function compareSvg(points: CurvePoint[], algos: string[], lqr: EvalResult | null, title: string): string {
  const metrics: { key: Metric; label: string; scale: number }[] = [
    { key: 'successRate', label: 'eval success rate (%)', scale: 100 },
    { key: 'meanReturn', label: 'eval mean return', scale: 1 },
    { key: 'meanActionChange', label: 'action change per step', scale: 1 },
  ];
  const axes: { key: XAxis; label: string }[] = [
    { key: 'envSteps', label: 'env steps' },
    { key: 'wallSeconds', label: 'training wall-clock (s)' },
  ];
  const legendH = 28;
  const width = W * axes.length;
  const height = 30 + legendH + H * metrics.length;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  let lx = 20;
  algos.forEach((a, i) => {
    out.push(`<rect x="${lx}" y="32" width="14" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 18}" y="41" font-size="12">${esc(a.toUpperCase())}</text>`);
    lx += 30 + a.length * 9;
  });
  if (lqr) out.push(`<line x1="${lx}" y1="37" x2="${lx + 22}" y2="37" stroke="#000" stroke-dasharray="5,4" stroke-width="1.5"/><text x="${lx + 26}" y="41" font-size="12">LQR baseline</text>`);
  out.push(`<text x="${width - 10}" y="41" text-anchor="end" font-size="11" fill="#555">line: mean over seeds; band: min..max over seeds</text>`);
  metrics.forEach((m, r) => {
    axes.forEach((ax, c) => {
      const series: Series[] = algos.map((algo, i) => ({
        algo,
        color: COLORS[i % COLORS.length],
        pts: aggregate(points, algo, ax.key, m.key).map((p) => ({ x: p.x, y: p.y * m.scale, lo: p.lo * m.scale, hi: p.hi * m.scale })),
      }));
      const base = lqr ? lqr[m.key] * m.scale : null;
      out.push(panel(series, base, `${m.label} vs ${ax.label}`, ax.label, c * W, 30 + legendH + r * H));
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
