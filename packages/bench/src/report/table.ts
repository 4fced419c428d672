import type { ResultRow } from './rows';

const fmt = (v: number | null, digits: number): string => (v === null || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const fmtQps = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : v >= 100 ? Math.round(v).toString() : v.toFixed(1));
const fmtBytes = (v: number | null): string => (v === null ? '-' : `${(v / 1048576).toFixed(1)} MiB`);

/** A plain-text results table (for stdout). */
export function resultsTable(rows: ResultRow[]): string {
  const header = ['impl', 'mode', 'threads', 'recall@k', 'R@1', 'qps', 'p50 ms', 'p95 ms', 'p99 ms', 'GFLOP/s', '% peak', 'vs FAISS', 'build s', 'memory', 'label diffs'];
  const body = rows.map((r) => [
    r.impl + (r.params && r.params !== 'Flat' ? ` ${r.params}` : ''),
    r.mode,
    String(r.threads),
    fmt(r.recall, 4),
    fmt(r.r1, 4),
    fmtQps(r.qps),
    fmt(r.p50, 2),
    fmt(r.p95, 2),
    fmt(r.p99, 2),
    fmt(r.gflops, 1),
    r.peakFraction === null ? '-' : `${(r.peakFraction * 100).toFixed(0)}%`,
    r.ratioVsFaiss === null ? '-' : `${r.ratioVsFaiss.toFixed(2)}x`,
    fmt(r.buildSeconds, 3),
    fmtBytes(r.memoryBytes),
    r.labelMismatches === null ? '-' : `${r.labelMismatches} (+${r.labelTies} ties)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}
