import { describe, expect, it } from 'vitest';
import { parseCsv, resultsCsv, toCsv } from '../src/report/csv';
import { applyFaissRatios, emptyRow } from '../src/report/rows';
import { barChart, coverTicks, formatNumber, lineChart, logTicks, niceTicks } from '../src/report/svg';
import { resultsTable } from '../src/report/table';

/** A small XML well-formedness check: balanced tags, quoted attributes, no raw '<' or '&' in text. Returns element names. */
function parseXmlish(svg: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const re = /<\/?([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(svg)) !== null) {
    const between = svg.slice(last, m.index);
    expect(between).not.toMatch(/[<>]/);
    expect(between).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    last = re.lastIndex;
    if (!m[1]) continue;
    if (m[0].startsWith('</')) {
      expect(stack.pop()).toBe(m[1]);
    } else {
      names.push(m[1]);
      if (m[3] !== '/') stack.push(m[1]);
    }
  }
  expect(svg.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
  return names;
}

const row = (impl: string, mode: 'batch' | 'single', qps: number, recall = 1) => {
  const r = emptyRow({ scenario: 'flat', dataset: 'toy', impl, mode, params: 'Flat', threads: 2, nq: 100, k: 10 });
  r.qps = qps;
  r.recall = recall;
  return r;
};

describe('CSV', () => {
  it('escapes commas, quotes and newlines and parses back', () => {
    const text = toCsv(['a', 'b', 'c'], [{ a: 'x,y', b: 'say "hi"', c: 'two\nlines' }, { a: 1.5, b: null, c: NaN }]);
    expect(parseCsv(text)).toEqual([['a', 'b', 'c'], ['x,y', 'say "hi"', 'two\nlines'], ['1.5', '', '']]);
  });

  it('writes one header and one line per result row with the ratio vs FAISS', () => {
    const rows = [row('metalfaiss', 'batch', 5000), row('faiss', 'batch', 2500), row('metalfaiss', 'single', 100)];
    applyFaissRatios(rows);
    expect(rows[0].ratioVsFaiss).toBe(2);
    expect(rows[1].ratioVsFaiss).toBe(1);
    expect(rows[2].ratioVsFaiss).toBeNull();
    const parsed = parseCsv(resultsCsv(rows));
    expect(parsed).toHaveLength(4);
    const header = parsed[0];
    for (const col of ['scenario', 'impl', 'params', 'threads', 'recall_at_k', 'qps', 'latency_p50_ms', 'latency_p95_ms', 'latency_p99_ms', 'build_s', 'memory_bytes', 'ratio_vs_faiss']) {
      expect(header).toContain(col);
    }
    expect(parsed.every((r) => r.length === header.length)).toBe(true);
    expect(parsed[1][header.indexOf('ratio_vs_faiss')]).toBe('2');
    expect(resultsTable(rows)).toContain('2.00x');
  });
});

describe('SVG charts', () => {
  it('bar chart: well-formed, one bar per value, axes labelled, legend, title', () => {
    const svg = barChart({
      title: 'flat: qps <batch> & co',
      subtitle: 'toy on test machine',
      yLabel: 'queries per second',
      bars: [{ label: 'metalfaiss', value: 5000 }, { label: 'faiss', value: 2500 }, { label: 'usearch', value: 800 }],
    });
    const names = parseXmlish(svg);
    expect(names[0]).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('flat: qps &lt;batch&gt; &amp; co');
    expect(svg.match(/<rect [^>]*fill="#(?!ffffff)/g)?.length).toBe(3 + 3); // 3 bars + 3 legend swatches
    expect(svg).toContain('queries per second');
    expect(svg).toContain('class="legend"');
    expect(svg).toContain('toy on test machine');
  });

  it('recall-vs-qps chart: log y axis, one polyline per series with several points', () => {
    const svg = lineChart({
      title: 'ivf: recall vs qps',
      xLabel: 'recall@10',
      yLabel: 'queries per second',
      series: [
        { name: 'metalfaiss', points: [{ x: 0.8, y: 20000, label: 'nprobe=4' }, { x: 0.95, y: 6000, label: 'nprobe=16' }, { x: 0.99, y: 1500 }] },
        { name: 'faiss', points: [{ x: 0.81, y: 15000 }, { x: 0.96, y: 4000 }] },
      ],
      xMax: 1,
    });
    const names = parseXmlish(svg);
    expect(names.filter((n) => n === 'polyline')).toHaveLength(2);
    expect(names.filter((n) => n === 'circle')).toHaveLength(5 + 2); // points + legend markers
    expect(svg).toContain('(log scale)');
    expect(svg).toContain('nprobe=16');
    for (const tick of ['1000', '10k', '100k']) expect(svg).toContain(`>${tick}</text>`);
  });

  it('bar chart axis covers the largest bar', () => {
    const svg = barChart({ title: 't', yLabel: 'qps', bars: [{ label: 'a', value: 22111 }, { label: 'b', value: 300 }] });
    const ticks = [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);
    expect(ticks[ticks.length - 1]).toBe('25k');
    const bars = svg.slice(svg.indexOf('<g class="bars">'), svg.indexOf('</g>', svg.indexOf('<g class="bars">')));
    const heights = [...bars.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#(?!ffffff)/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(2);
    for (const y of heights) expect(y).toBeGreaterThanOrEqual(60); // no bar above the plot area
  });

  it('tick helpers', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(coverTicks(0, 23880, 5)).toEqual([0, 5000, 10000, 15000, 20000, 25000]);
    expect(logTicks(100, 10000)).toEqual([100, 200, 500, 1000, 2000, 5000, 10000]);
    expect(logTicks(1, 1e6)).toEqual([1, 10, 100, 1000, 10000, 100000, 1000000]);
    expect(formatNumber(3750)).toBe('3750');
    expect(formatNumber(12345)).toBe('12.3k');
    expect(formatNumber(0.25)).toBe('0.25');
  });
});
