/**
 * The demo: IndexFlatL2 on the default data (Fashion-MNIST when installed,
 * else synthetic 20000 x 128), 1000 queries, k = 10; prints recall@10, qps,
 * single-query latency and, when FAISS is installed, its figures and the
 * ratio beside ours.
 */
import { runBench, defaultSettings, type BenchReport } from './run';
import type { BenchSettings } from './scenarios/types';
import type { ResultRow } from './report/rows';

export async function runDemo(overrides: Partial<BenchSettings> = {}): Promise<BenchReport> {
  const settings = defaultSettings({ dataset: 'default', nq: 1000, k: 10, peers: false, singleQueries: 100, ...overrides });
  return runBench('flat', settings);
}

const f2 = (v: number | null | undefined, d = 2): string => (v === null || v === undefined ? '-' : v.toFixed(d));
const qps = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : Math.round(v).toLocaleString('en-US'));

/** The demo's summary text. */
export function demoSummary(report: BenchReport): string {
  const find = (impl: string, mode: 'batch' | 'single'): ResultRow | undefined => report.rows.find((r) => r.impl === impl && r.mode === mode);
  const ob = find('metalfaiss', 'batch');
  const os = find('metalfaiss', 'single');
  const fb = find('faiss', 'batch');
  const fsg = find('faiss', 'single');
  const k = report.settings.k;
  const lines: string[] = [];
  lines.push(`metalfaiss demo: IndexFlatL2 on ${report.dataset.description}`);
  lines.push(`${report.settings.nq} queries, k=${k}, ${ob?.threads ?? '?'} threads; machine: ${report.provenance.cpuModel} (${report.provenance.availableParallelism} cores)`);
  const be = report.provenance.backend as { backend?: string; simd?: string; threads?: number };
  lines.push(`our kernels: ${be.backend ?? '?'}${be.simd ? ` (${be.simd})` : ''}`);
  for (const n of [...report.dataset.notes, ...report.notes]) lines.push(`note: ${n}`);
  lines.push('');
  const faissTag = fb ? `FAISS ${report.provenance.faiss?.version ?? ''}`.trim() : null;
  const row = (label: string, ours: string, theirs: string | null, ratio: string | null): string =>
    `  ${label.padEnd(22)} ${ours.padStart(16)}` + (theirs !== null ? `   ${faissTag}: ${theirs.padStart(12)}` : '') + (ratio ? `   ours/FAISS ${ratio}` : '');
  lines.push(row(`recall@${k}`, f2(ob?.recall, 4), fb ? f2(fb.recall, 4) : null, null));
  lines.push(row('R@1', f2(ob?.r1, 4), fb ? f2(fb.r1, 4) : null, null));
  lines.push(row('batch qps', qps(ob?.qps), fb ? `${qps(fb.qps)} (${fb.threads}t)` : null, ob?.ratioVsFaiss != null ? `${ob.ratioVsFaiss.toFixed(2)}x` : null));
  lines.push(row('batch GFLOP/s', `${f2(ob?.gflops, 0)} (${ob?.peakFraction != null ? (ob.peakFraction * 100).toFixed(0) : '-'}% pk)`, fb ? `${f2(fb.gflops, 0)} (${fb.peakFraction != null ? (fb.peakFraction * 100).toFixed(0) : '-'}% pk)` : null, null));
  lines.push(row('single query p50 ms', f2(os?.p50), fsg ? `${f2(fsg.p50)} (${fsg.threads}t)` : null, os?.ratioVsFaiss != null ? `${os.ratioVsFaiss.toFixed(2)}x (qps)` : null));
  lines.push(row('single query p99 ms', f2(os?.p99), fsg ? f2(fsg.p99) : null, null));
  if (ob?.labelMismatches != null) {
    lines.push(row('labels vs FAISS', `${ob.labelMismatches === 0 ? 'identical' : `${ob.labelMismatches} differ`}`, null, null) + ` (${ob.labelTies} tie swaps of ${report.settings.nq * k})`);
  }
  for (const sk of report.skipped) lines.push(`  ${sk.impl}: skipped — ${sk.reason}`);
  return lines.join('\n') + '\n';
}
