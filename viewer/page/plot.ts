// A small SVG line plot: a few series over a shared x axis, a cursor line and event markers.
// SVG keeps every drawn point inspectable (the e2e test counts them) and needs no library.
const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 1000;
const H = 200;

export interface SeriesStyle {
  name: string;
  color: string;
  dashed?: boolean;
}

export interface Marker {
  x: number;
  color: string;
  label: string;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e5) ? v.toExponential(2) : v.toFixed(a < 1 ? 3 : a < 100 ? 2 : 0);
}

export class SvgPlot {
  readonly element: HTMLDivElement;
  private readonly svgEl: SVGSVGElement;
  private readonly lines: SVGPolylineElement[];
  private readonly cursor: SVGLineElement;
  private readonly markerGroup: SVGGElement;
  private readonly maxLabel: HTMLDivElement;
  private readonly minLabel: HTMLDivElement;
  private x0 = 0;
  private x1 = 1;

  constructor(parent: HTMLElement, id: string, title: string, unit: string, readonly series: SeriesStyle[]) {
    this.element = document.createElement('div');
    this.element.className = 'plot';
    this.element.dataset.plot = id;
    const head = document.createElement('div');
    head.className = 'plot-head';
    const name = document.createElement('span');
    name.innerHTML = `<b></b> <span></span>`;
    (name.firstChild as HTMLElement).textContent = title;
    (name.lastChild as HTMLElement).textContent = unit ? `(${unit})` : '';
    const legend = document.createElement('span');
    legend.className = 'plot-legend';
    for (const s of series) {
      const item = document.createElement('span');
      item.style.color = s.color;
      item.textContent = `${s.dashed ? '┄' : '━'} ${s.name}`;
      legend.append(item);
    }
    head.append(name, legend);
    const body = document.createElement('div');
    body.className = 'plot-body';
    this.svgEl = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' });
    this.svgEl.append(svg('line', { x1: '0', x2: String(W), y1: String(H / 2), y2: String(H / 2), stroke: '#2c323c', 'vector-effect': 'non-scaling-stroke', class: 'zero' }));
    this.markerGroup = svg('g', { class: 'markers' });
    this.svgEl.append(this.markerGroup);
    this.lines = series.map((s, i) => {
      const line = svg('polyline', {
        fill: 'none',
        stroke: s.color,
        'stroke-width': '1.4',
        'vector-effect': 'non-scaling-stroke',
        'data-series': s.name,
        'data-index': String(i),
        points: '',
      });
      if (s.dashed) line.setAttribute('stroke-dasharray', '5 3');
      this.svgEl.append(line);
      return line;
    });
    this.cursor = svg('line', { y1: '0', y2: String(H), stroke: '#e8e8e8', 'stroke-width': '1', 'vector-effect': 'non-scaling-stroke', class: 'cursor', visibility: 'hidden' });
    this.svgEl.append(this.cursor);
    this.maxLabel = document.createElement('div');
    this.maxLabel.className = 'plot-range';
    this.maxLabel.style.top = '2px';
    this.minLabel = document.createElement('div');
    this.minLabel.className = 'plot-range';
    this.minLabel.style.bottom = '2px';
    body.append(this.svgEl, this.maxLabel, this.minLabel);
    this.element.append(head, body);
    parent.append(this.element);
  }

  private px(x: number): number {
    return ((x - this.x0) / (this.x1 - this.x0 || 1)) * W;
  }

  /**
   * Draw samples [start, end) of each series over the x range [x0, x1]. Non-finite values are
   * skipped. The y range covers the drawn data (and zero, so signs read at a glance).
   */
  draw(xs: ArrayLike<number>, ys: Array<ArrayLike<number>>, start: number, end: number, x0: number, x1: number): void {
    this.x0 = x0;
    this.x1 = x1 > x0 ? x1 : x0 + 1;
    let lo = 0, hi = 0;
    for (const y of ys) for (let i = start; i < end; i++) if (Number.isFinite(y[i])) { lo = Math.min(lo, y[i]); hi = Math.max(hi, y[i]); }
    if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
    const pad = (hi - lo) * 0.08;
    lo -= pad;
    hi += pad;
    const py = (v: number) => H - ((v - lo) / (hi - lo)) * H;
    ys.forEach((y, s) => {
      const parts: string[] = [];
      for (let i = start; i < end; i++) if (Number.isFinite(y[i]) && Number.isFinite(xs[i])) parts.push(`${this.px(xs[i]).toFixed(1)},${py(y[i]).toFixed(1)}`);
      this.lines[s].setAttribute('points', parts.join(' '));
      this.lines[s].dataset.points = String(parts.length);
    });
    const zero = this.svgEl.querySelector('line.zero')!;
    zero.setAttribute('y1', py(0).toFixed(1));
    zero.setAttribute('y2', py(0).toFixed(1));
    this.maxLabel.textContent = fmt(hi);
    this.minLabel.textContent = fmt(lo);
  }

  setCursor(x: number | null): void {
    if (x === null) return void this.cursor.setAttribute('visibility', 'hidden');
    const p = this.px(x).toFixed(1);
    this.cursor.setAttribute('x1', p);
    this.cursor.setAttribute('x2', p);
    this.cursor.setAttribute('visibility', 'visible');
  }

  setMarkers(markers: Marker[]): void {
    this.markerGroup.replaceChildren(
      ...markers
        .filter((m) => m.x >= this.x0 && m.x <= this.x1)
        .map((m) => {
          const p = this.px(m.x).toFixed(1);
          const line = svg('line', { x1: p, x2: p, y1: '0', y2: String(H), stroke: m.color, 'stroke-width': '2', 'stroke-dasharray': '4 3', 'vector-effect': 'non-scaling-stroke', class: 'marker' });
          const tip = svg('title', {});
          tip.textContent = m.label;
          line.append(tip);
          return line;
        }),
    );
  }
}
