/**
 * The harness shared by every scenario: load the dataset, get the ground
 * truth (cached), start FAISS when present, run the scenario, add ratios
 * against FAISS, collect provenance, and write the report files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { checkInteger, invalidArgument } from './errors';
import { loadDataset } from './datasets/load';
import { groundTruth } from './measure/ground-truth';
import { describeMethod } from './measure/timing';
import { detectFaiss, FAISS_INSTALL_HINT, FaissSession } from './peers/faiss';
import { ourBackend } from './peers/ours';
import { loadUsearch } from './peers/usearch';
import { resultsCsv } from './report/csv';
import { collectProvenance, machineLabel, type Provenance } from './report/provenance';
import { applyFaissRatios, type ResultRow } from './report/rows';
import { barChart, lineChart } from './report/svg';
import { getScenario } from './scenarios/index';
import type { BenchSettings } from './scenarios/types';

/** Measured AVX-512 FMA peak of the project machine (2 vCPU Zen 5 at about 4.2 GHz): 537-540 GFLOP/s. */
export const DEFAULT_PEAK_GFLOPS = 538;

export function defaultSettings(overrides: Partial<BenchSettings> = {}): BenchSettings {
  return {
    dataset: 'default',
    nq: 1000,
    k: 10,
    threads: availableParallelism(),
    faiss: true,
    peers: true,
    warmup: 1,
    reps: 3,
    singleQueries: 300,
    singleWarmup: 10,
    peakGflops: DEFAULT_PEAK_GFLOPS,
    log: (line) => process.stderr.write(`[bench] ${line}\n`),
    ...overrides,
  };
}

export interface BenchReport {
  scenario: string;
  dataset: { name: string; description: string; d: number; nb: number; nt: number; metric: string; notes: string[] };
  settings: Omit<BenchSettings, 'log'>;
  groundTruth: { cached: boolean; seconds: number; cacheFile: string | null };
  rows: ResultRow[];
  notes: string[];
  skipped: Array<{ impl: string; reason: string }>;
  details: Record<string, unknown>;
  provenance: Provenance;
}

/** Runs one registered scenario end to end. */
export async function runBench(scenarioName: string, settings: BenchSettings): Promise<BenchReport> {
  const scenario = getScenario(scenarioName);
  const s = settings;
  checkInteger('nq', s.nq, 1);
  checkInteger('k', s.k, 1, 100000);
  checkInteger('threads', s.threads, 1, 1024);
  checkInteger('reps', s.reps, 1, 1000);
  checkInteger('warmup', s.warmup, 0, 1000);
  checkInteger('singleQueries', s.singleQueries, 1);
  const log = s.log;
  const t0 = performance.now();
  log(`loading dataset '${s.dataset}' ...`);
  const ds = loadDataset(s.dataset, { nq: s.nq, dim: s.dim });
  log(`dataset: ${ds.description} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  for (const n of ds.notes) log(`note: ${n}`);
  if (s.nq > ds.nq) throw invalidArgument('nq', `at most the ${ds.nq} queries of ${ds.name}`, s.nq);
  if (s.k > ds.nb) throw invalidArgument('k', `at most nb = ${ds.nb}`, s.k);
  const xq = ds.xq.subarray(0, s.nq * ds.d);

  let lastPct = -1;
  let lastTime = 0;
  const gtr = await groundTruth(ds, {
    k: s.k,
    nq: s.nq,
    cacheDir: s.cacheDir,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      const now = performance.now();
      if (lastPct < 0) log(`ground truth: exact float64 search of ${total} queries over ${ds.nb} vectors on worker threads (computed once, then cached) ...`);
      if (pct !== lastPct && (now - lastTime > 3000 || done === total)) {
        log(`ground truth: ${pct}% (${done}/${total})`);
        lastTime = now;
      }
      lastPct = pct;
    },
  });
  log(gtr.cached ? `ground truth: from cache ${gtr.cacheFile}` : `ground truth: computed in ${gtr.seconds.toFixed(1)} s${gtr.cacheFile ? `, cached in ${gtr.cacheFile}` : ''}`);

  const faissDet = s.faiss ? detectFaiss(s.python) : null;
  let faiss: FaissSession | null = null;
  let faissSkipReason: string | null = null;
  if (!s.faiss) faissSkipReason = 'disabled with --no-faiss';
  else if (!faissDet!.available) {
    faissSkipReason = `FAISS not available: ${faissDet!.reason}`;
    log(`FAISS columns skipped: ${faissDet!.reason}`);
  } else {
    log(`FAISS ${faissDet!.version}: writing the dataset as raw float32 to a temp dir ...`);
    faiss = FaissSession.create(ds, s.nq, { python: s.python, environment: s.faissEnvironment });
  }
  let outcome;
  try {
    outcome = await scenario.run({ settings: s, dataset: ds, xq, gt: gtr.gt, faiss, faissSkipReason, log });
  } finally {
    faiss?.dispose();
  }
  applyFaissRatios(outcome.rows);
  const backend = ourBackend();
  if (backend.backend === 'reference') {
    outcome.notes.unshift(
      `our kernels ran on the plain TypeScript reference backend (native addon not loaded${backend.loadError ? `: ${String(backend.loadError).slice(0, 160)}` : ''}); these figures do not represent metalfaiss's native speed`,
    );
  }
  const usearch = s.peers ? loadUsearch() : null;
  const method = [
    describeMethod(s.warmup, s.reps, Math.min(s.singleQueries, s.nq), s.singleWarmup),
    'recall@k: FAISS definition (|found among first k ∩ true k nearest| / k, averaged); R@1: fraction of queries whose first result is the true nearest neighbour; ground truth: exact float64',
    `GFLOP/s: 2 * nq * nb * d / time; % peak against ${s.peakGflops} GFLOP/s`,
    'ratio vs FAISS: our qps / FAISS qps in the same mode and parameters (> 1 = faster)',
    ...(faiss ? [String((outcome.details.faiss as { method?: string } | undefined)?.method ?? '')] : []),
  ].filter(Boolean);
  const provenance = collectProvenance({
    backend,
    faiss: faissDet ? { ...faissDet } : null,
    peers: usearch?.ok ? { usearch: usearch.peer.version } : {},
    method,
  });
  const { log: _log, ...plainSettings } = s;
  return {
    scenario: scenario.name,
    dataset: { name: ds.name, description: ds.description, d: ds.d, nb: ds.nb, nt: ds.nt, metric: ds.metric, notes: ds.notes },
    settings: plainSettings,
    groundTruth: { cached: gtr.cached, seconds: gtr.seconds, cacheFile: gtr.cacheFile },
    rows: outcome.rows,
    notes: outcome.notes,
    skipped: outcome.skipped,
    details: outcome.details,
    provenance,
  };
}

/** The charts of a report: qps bars per mode, and recall vs qps (log) of the batch rows. */
export function reportCharts(report: BenchReport): Array<{ file: string; svg: string }> {
  const subtitle = `${report.dataset.description.split(':')[0]} (nb=${report.dataset.nb}, d=${report.dataset.d}, k=${report.settings.k}) on ${machineLabel(report.provenance)}`;
  const charts: Array<{ file: string; svg: string }> = [];
  for (const mode of ['batch', 'single'] as const) {
    const rows = report.rows.filter((r) => r.mode === mode && r.qps !== null);
    if (!rows.length) continue;
    charts.push({
      file: `${report.scenario}-qps-${mode}.svg`,
      svg: barChart({
        title: `${report.scenario}: ${mode === 'batch' ? `queries per second, ${report.settings.nq} queries per call` : 'queries per second, one query per call'}`,
        subtitle,
        yLabel: 'queries per second',
        bars: rows.map((r) => ({
          label: r.params && r.params !== 'Flat' ? `${r.impl} ${r.params}` : r.impl,
          series: r.impl,
          value: r.qps!,
          annotation: `${Math.round(r.qps!)}${r.ratioVsFaiss !== null && r.impl !== 'faiss' ? ` (${r.ratioVsFaiss.toFixed(2)}x)` : ''}`,
        })),
      }),
    });
  }
  const batch = report.rows.filter((r) => r.mode === 'batch' && r.qps !== null && r.recall !== null);
  if (batch.length) {
    const impls = [...new Set(batch.map((r) => r.impl))];
    charts.push({
      file: `${report.scenario}-recall-qps.svg`,
      svg: lineChart({
        title: `${report.scenario}: recall@${report.settings.k} vs queries per second (batch)`,
        subtitle,
        xLabel: `recall@${report.settings.k}`,
        yLabel: 'queries per second',
        yLog: true,
        xMax: 1,
        series: impls.map((impl) => ({
          name: impl,
          points: batch.filter((r) => r.impl === impl).map((r) => ({ x: r.recall!, y: r.qps!, label: r.params !== 'Flat' ? r.params : undefined })),
        })),
      }),
    });
  }
  return charts;
}

/** Writes results.csv, results.json, machine.json and the SVG charts into dir; returns the paths. */
export function writeReport(report: BenchReport, dir: string): string[] {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const put = (name: string, text: string): void => {
    const p = join(out, name);
    writeFileSync(p, text);
    files.push(p);
  };
  put(`${report.scenario}-results.csv`, resultsCsv(report.rows));
  put(`${report.scenario}-results.json`, JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2) + '\n');
  put(`${report.scenario}-machine.json`, JSON.stringify(report.provenance, null, 2) + '\n');
  for (const c of reportCharts(report)) put(c.file, c.svg);
  return files;
}

export { FAISS_INSTALL_HINT };
