// The learning curves as one self-contained SVG (no scripts, no CDN): a small multiple per
// metric against env steps. Opens in any browser.
import type { MetricName, MetricRow } from './metrics.js';

const PANELS: { key: MetricName; title: string }[] = [
  { key: 'episode_return', title: 'episode return' },
  { key: 'episode_length', title: 'episode length' },
  { key: 'policy_loss', title: 'policy loss' },
  { key: 'value_loss', title: 'value / Q loss' },
  { key: 'entropy', title: 'entropy' },
  { key: 'approx_kl', title: 'approx KL' },
  { key: 'sps', title: 'env steps / s' },
  { key: 'lr', title: 'learning rate' },
];

export function learningCurvesSvg(rows: MetricRow[], title: string): string {
  const W = 320;
  const H = 200;
  const cols = 4;
  const pad = { l: 58, r: 10, t: 24, b: 30 };
  const panels = PANELS.map((p) => ({ ...p, key: p.key === 'value_loss' && rows.every((r) => r.value_loss === undefined) ? ('q_loss' as MetricName) : p.key }));
  const rowsN = Math.ceil(panels.length / cols);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W * cols}" height="${H * rowsN + 30}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/><text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  panels.forEach((panel, idx) => {
    const ox = (idx % cols) * W;
    const oy = 30 + Math.floor(idx / cols) * H;
    const pts = rows.filter((r) => r.env_steps !== undefined && r[panel.key] !== undefined && Number.isFinite(r[panel.key]!)).map((r) => [r.env_steps!, r[panel.key]!] as const);
    parts.push(`<g transform="translate(${ox},${oy})"><text x="${pad.l}" y="14" font-weight="bold">${panel.title}</text>`);
    const pw = W - pad.l - pad.r;
    const ph = H - pad.t - pad.b;
    parts.push(`<rect x="${pad.l}" y="${pad.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    if (pts.length > 0) {
      let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
      let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
      if (x1 === x0) x1 = x0 + 1;
      if (y1 === y0) {
        y0 -= 1;
        y1 += 1;
      }
      const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * pw;
      const sy = (y: number) => pad.t + ph - ((y - y0) / (y1 - y0)) * ph;
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`);
      parts.push(`<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end">${fmt(y1)}</text><text x="${pad.l - 4}" y="${pad.t + ph}" text-anchor="end">${fmt(y0)}</text>`);
      parts.push(`<text x="${pad.l}" y="${H - 12}">${fmt(x0)}</text><text x="${pad.l + pw}" y="${H - 12}" text-anchor="end">${fmt(x1)} steps</text>`);
    } else {
      parts.push(`<text x="${pad.l + 8}" y="${pad.t + 20}" fill="#999">no data</text>`);
    }
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(2) : v.toPrecision(4);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
