/**
 * Hand-written SVG charts (no chart library): a grouped bar chart and a
 * scatter/line chart with an optional log-scale y axis (recall vs qps, the
 * plot FAISS's benchmark pages use for IVF/HNSW parameter sweeps).
 */

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
/** Fixed colours so an implementation looks the same in every chart. */
const IMPL_COLORS: Record<string, string> = { metalfaiss: '#1f77b4', faiss: '#d62728', usearch: '#2ca02c', 'hnswlib-node': '#9467bd' };

/** Shades per implementation for charts with one line per pipeline ("faiss BHNSW32"). */
const IMPL_SHADES: Record<string, string[]> = {
  metalfaiss: ['#1f77b4', '#6baed6', '#08306b', '#9ecae1'],
  faiss: ['#d62728', '#fb6a4a', '#67000d', '#fcae91'],
  usearch: ['#2ca02c', '#74c476', '#00441b'],
  'hnswlib-node': ['#9467bd', '#bcbddc', '#3f007d'],
};
const shadeIndex = new Map<string, number>();

export function colorFor(name: string, index: number): string {
  if (IMPL_COLORS[name]) return IMPL_COLORS[name];
  const sp = name.indexOf(' ');
  const impl = sp > 0 ? name.slice(0, sp) : '';
  const shades = IMPL_SHADES[impl];
  if (shades) {
    if (!shadeIndex.has(name)) shadeIndex.set(name, [...shadeIndex.keys()].filter((k) => k.startsWith(impl + ' ')).length);
    return shades[shadeIndex.get(name)! % shades.length];
  }
  return PALETTE[index % PALETTE.length];
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Compact number: 1234 -> "1.23k", 0.5 -> "0.5", 2.5e6 -> "2.5M". */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s);
  if (a >= 1e9) return trim((v / 1e9).toFixed(2)) + 'G';
  if (a >= 1e6) return trim((v / 1e6).toFixed(2)) + 'M';
  if (a >= 1e4) return trim((v / 1e3).toFixed(1)) + 'k';
  if (a >= 100) return String(Math.round(v));
  if (a >= 1) return trim(v.toFixed(2));
  if (a === 0) return '0';
  return trim(v.toPrecision(3));
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.ceil(lo / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** niceTicks extended by one step when needed so the last tick is >= hi (an axis that covers every value). */
export function coverTicks(lo: number, hi: number, count = 5): number[] {
  const t = niceTicks(lo, hi, count);
  if (t.length >= 2 && t[t.length - 1] < hi) t.push(Number((t[t.length - 1] + (t[1] - t[0])).toPrecision(12)));
  return t;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ' ' + attrs : ''}>${escapeXml(s)}</text>`;
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function open(f: Frame, title: string, subtitle: string | undefined): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${f.width}" height="${f.height}" fill="#ffffff"/>`,
    text(f.width / 2, 22, title, 'text-anchor="middle" font-size="15" font-weight="bold"'),
    ...(subtitle ? [text(f.width / 2, 40, subtitle, 'text-anchor="middle" font-size="11" fill="#555555"')] : []),
  ];
}

function legend(f: Frame, entries: Array<{ name: string; color: string }>, marker: 'rect' | 'line'): string[] {
  const out = ['<g class="legend">'];
  const x = f.width - f.right + 12;
  entries.forEach((e, i) => {
    const y = f.top + 8 + i * 18;
    out.push(
      marker === 'rect'
        ? `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${e.color}"/>`
        : `<line x1="${x}" y1="${y - 3}" x2="${x + 14}" y2="${y - 3}" stroke="${e.color}" stroke-width="2"/><circle cx="${x + 7}" cy="${y - 3}" r="3.5" fill="${e.color}"/>`,
      text(x + 20, y + 1, e.name),
    );
  });
  out.push('</g>');
  return out;
}

export interface Bar {
  /** category on the x axis (e.g. the implementation) */
  label: string;
  value: number;
  /** series within a category (grouped bars); default: one series per label */
  series?: string;
  /** text above the bar (default: the value) */
  annotation?: string;
}

export interface BarChartOptions {
  title: string;
  /** second line: dataset and machine */
  subtitle?: string;
  yLabel: string;
  xLabel?: string;
  bars: Bar[];
  width?: number;
  height?: number;
}

/** A (grouped) bar chart on a linear y axis starting at 0. */
export function barChart(o: BarChartOptions): string {
  const f: Frame = { width: o.width ?? 760, height: o.height ?? 440, left: 80, right: 170, top: 60, bottom: 70 };
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const labels = [...new Set(o.bars.map((b) => b.label))];
  const seriesNames = [...new Set(o.bars.map((b) => b.series ?? b.label))];
  const max = Math.max(0, ...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const ticks = coverTicks(0, max > 0 ? max * 1.08 : 1, 5);
  const top = ticks[ticks.length - 1] || 1;
  const y = (v: number): number => f.top + plotH - (v / top) * plotH;
  const out = open(f, o.title, o.subtitle);
  out.push('<g class="axes" stroke="#333333">');
  out.push(`<line x1="${f.left}" y1="${f.top + plotH}" x2="${f.left + plotW}" y2="${f.top + plotH}"/>`);
  out.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.top + plotH}"/>`);
  out.push('</g>');
  out.push('<g class="y-ticks">');
  for (const t of ticks) {
    out.push(`<line x1="${f.left - 4}" y1="${y(t).toFixed(1)}" x2="${f.left + plotW}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(text(f.left - 8, y(t) + 4, formatNumber(t), 'text-anchor="end"'));
  }
  out.push('</g>');
  const groupW = plotW / Math.max(1, labels.length);
  const barW = Math.min(60, (groupW * 0.75) / Math.max(1, seriesNames.length));
  out.push('<g class="bars">');
  labels.forEach((label, li) => {
    const inGroup = o.bars.filter((b) => b.label === label);
    const x0 = f.left + li * groupW + (groupW - barW * inGroup.length) / 2;
    inGroup.forEach((b, bi) => {
      const si = seriesNames.indexOf(b.series ?? b.label);
      const v = Number.isFinite(b.value) ? Math.max(0, b.value) : 0;
      const x = x0 + bi * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(f.top + plotH - y(v)).toFixed(1)}" fill="${colorFor(b.series ?? b.label, si)}"><title>${escapeXml(`${label}${b.series ? ' ' + b.series : ''}: ${formatNumber(b.value)}`)}</title></rect>`,
      );
      out.push(text(x + (barW - 2) / 2, y(v) - 4, b.annotation ?? formatNumber(b.value), 'text-anchor="middle" font-size="11"'));
    });
    out.push(text(f.left + li * groupW + groupW / 2, f.top + plotH + 18, label, 'text-anchor="middle"'));
  });
  out.push('</g>');
  out.push(text(f.left + plotW / 2, f.height - 18, o.xLabel ?? 'implementation', 'text-anchor="middle" class="x-label"'));
  out.push(text(18, f.top + plotH / 2, o.yLabel, `text-anchor="middle" class="y-label" transform="rotate(-90 18 ${(f.top + plotH / 2).toFixed(1)})"`));
  out.push(...legend(f, seriesNames.map((n, i) => ({ name: n, color: colorFor(n, i) })), 'rect'));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface Point {
  x: number;
  y: number;
  /** small label beside the point (e.g. "nprobe=16") */
  label?: string;
}

export interface Series {
  name: string;
  points: Point[];
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** log10 y axis (default true: qps spans decades) */
  yLog?: boolean;
  xMin?: number;
  xMax?: number;
  width?: number;
  height?: number;
}

/** Log-axis ticks: powers of ten, plus 2x and 5x when the range is under three decades. */
export function logTicks(lo: number, hi: number): number[] {
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi));
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    for (const m of b - a < 3 ? [1, 2, 5] : [1]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(Number(v.toPrecision(6)));
    }
  }
  return ticks;
}

/** Scatter plot with points of a series joined in x order; y on a log scale by default. */
export function lineChart(o: LineChartOptions): string {
  const f: Frame = { width: o.width ?? 760, height: o.height ?? 460, left: 80, right: 170, top: 60, bottom: 60 };
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const yLog = o.yLog ?? true;
  const pts = o.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!yLog || p.y > 0));
  const xsMin = pts.length ? Math.min(...pts.map((p) => p.x)) : 0;
  const xsMax = pts.length ? Math.max(...pts.map((p) => p.x)) : 1;
  const span = xsMax - xsMin || Math.max(0.5, Math.abs(xsMax) * 0.5); // one x value: show a band around it
  let x0 = o.xMin ?? xsMin - 0.1 * span;
  let x1 = o.xMax ?? xsMax + 0.1 * span;
  const xt = niceTicks(x0, x1, 6);
  if (o.xMin === undefined) x0 = Math.min(x0, xt[0]);
  if (o.xMax === undefined) x1 = Math.max(x1, xt[xt.length - 1]);
  const ysMin = pts.length ? Math.min(...pts.map((p) => p.y)) : 1;
  const ysMax = pts.length ? Math.max(...pts.map((p) => p.y)) : 10;
  let y0: number;
  let y1: number;
  let yt: number[];
  if (yLog) {
    y0 = 10 ** Math.floor(Math.log10(ysMin));
    y1 = 10 ** Math.ceil(Math.log10(ysMax));
    if (y1 <= y0) y1 = y0 * 10;
    yt = logTicks(y0, y1);
  } else {
    yt = coverTicks(Math.min(0, ysMin), ysMax * 1.08, 5);
    y0 = yt[0];
    y1 = yt[yt.length - 1];
  }
  const X = (v: number): number => f.left + ((v - x0) / (x1 - x0)) * plotW;
  const Y = (v: number): number =>
    yLog ? f.top + plotH - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * plotH : f.top + plotH - ((v - y0) / (y1 - y0)) * plotH;
  const out = open(f, o.title, o.subtitle);
  out.push('<g class="grid" stroke="#e5e5e5">');
  for (const t of xt) if (t >= x0 && t <= x1) out.push(`<line x1="${X(t).toFixed(1)}" y1="${f.top}" x2="${X(t).toFixed(1)}" y2="${f.top + plotH}"/>`);
  for (const t of yt) out.push(`<line x1="${f.left}" y1="${Y(t).toFixed(1)}" x2="${f.left + plotW}" y2="${Y(t).toFixed(1)}"/>`);
  out.push('</g>');
  out.push('<g class="axes" stroke="#333333">');
  out.push(`<line x1="${f.left}" y1="${f.top + plotH}" x2="${f.left + plotW}" y2="${f.top + plotH}"/>`);
  out.push(`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.top + plotH}"/>`);
  out.push('</g>');
  out.push('<g class="ticks">');
  for (const t of xt) if (t >= x0 && t <= x1) out.push(text(X(t), f.top + plotH + 16, formatNumber(t), 'text-anchor="middle"'));
  for (const t of yt) out.push(text(f.left - 8, Y(t) + 4, formatNumber(t), 'text-anchor="end"'));
  out.push('</g>');
  o.series.forEach((s, si) => {
    const color = colorFor(s.name, si);
    const ps = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!yLog || p.y > 0)).sort((a, b) => a.x - b.x);
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (ps.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${ps.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of ps) {
      out.push(`<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="4" fill="${color}"><title>${escapeXml(`${s.name}${p.label ? ' ' + p.label : ''}: x=${formatNumber(p.x)}, y=${formatNumber(p.y)}`)}</title></circle>`);
      if (p.label) out.push(text(X(p.x) + 6, Y(p.y) - 6, p.label, 'font-size="10" fill="#444444"'));
    }
    out.push('</g>');
  });
  out.push(text(f.left + plotW / 2, f.height - 16, o.xLabel, 'text-anchor="middle" class="x-label"'));
  out.push(text(18, f.top + plotH / 2, o.yLabel + (yLog ? ' (log scale)' : ''), `text-anchor="middle" class="y-label" transform="rotate(-90 18 ${(f.top + plotH / 2).toFixed(1)})"`));
  out.push(...legend(f, o.series.map((s, i) => ({ name: s.name, color: colorFor(s.name, i) })), 'line'));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
