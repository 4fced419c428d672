/**
 * metalfaiss-bench: the benchmark command line (the executable entry is cli.ts).
 *
 *   metalfaiss-bench demo
 *   metalfaiss-bench run <scenario> [--dataset fashion-mnist|synthetic|<path>] [--nq N] [--k K]
 *                        [--threads N] [--no-faiss] [--no-peers] [--out DIR] ...
 *   metalfaiss-bench list
  metalfaiss-bench report [--out DIR] [--datasets fashion-mnist,synthetic-1m | --dataset SPEC] [--scenarios a,b] [--merge]
                          [--render-only] [--no-install-peers] [options]
                     docs/benchmarks/README.md and its SVG figures: every report scenario (${REPORT_SCENARIOS.join(', ')})
                     on every report dataset, metalfaiss beside FAISS, usearch and hnswlib-node (installed into the
                     peers cache on first use); --merge keeps results.json entries this run does not redo
 *
 * Progress goes to stderr, the results table to stdout, files into --out.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runDemo, demoSummary } from './demo';
import { MetalFaissError } from './errors';
import { defaultSettings, DEFAULT_PEAK_GFLOPS, runBench, writeReport, type BenchReport } from './run';
import { resultsTable } from './report/table';
import { getScenario, listScenarios } from './scenarios/index';
import { REPORT_DATASETS, REPORT_SCENARIOS, renderFromResults, runFullReport, type ReportDataset } from './report/full-report';

const USAGE = `usage:
  metalfaiss-bench demo [--out DIR] [--no-faiss]
  metalfaiss-bench run <scenario> [options]
  metalfaiss-bench list
  metalfaiss-bench report [--out DIR] [--datasets fashion-mnist,synthetic-1m | --dataset SPEC] [--scenarios a,b] [--merge]
                          [--render-only] [--no-install-peers] [options]
                     docs/benchmarks/README.md and its SVG figures: every report scenario (${REPORT_SCENARIOS.join(', ')})
                     on every report dataset, metalfaiss beside FAISS, usearch and hnswlib-node (installed into the
                     peers cache on first use); --merge keeps results.json entries this run does not redo

options:
  --dataset SPEC     default (Fashion-MNIST if installed, else synthetic) | fashion-mnist | synthetic
                     | synthetic:d=128,nb=20000,nq=1000,nt=10000,seed=1338 | <dir or .fvecs/.bvecs/.f32 file>
  --dim D            dimension of a raw .f32 dataset file
  --nq N             queries (default 1000)          --k K          neighbours (default 10)
  --threads N        threads for our kernels and the Node peers (default: all cores)
  --reps N           timed batch runs, best reported (default 3)   --warmup N   untimed runs first (default 1)
  --single N         queries timed one at a time (default 300; demo 100)
  --no-faiss         skip FAISS                      --no-peers     skip usearch
  --out DIR          write CSV, JSON and SVG files here (default bench-out/)
  --peak-gflops G    machine peak for "% of peak" (default ${DEFAULT_PEAK_GFLOPS}, the project machine's AVX-512 FMA peak)
  --faiss-threads L  FAISS thread counts to try, the faster kept per figure (default: 1,<cores>)
  --no-cache         recompute the ground truth instead of using ${'$'}{XDG_CACHE_HOME:-~/.cache}/metalfaiss
`;

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MetalFaissError('INVALID_ARGUMENT', `expected a non-negative integer for --${name}, received ${JSON.stringify(v)}`);
  return n;
}

function printReport(report: BenchReport, files: string[]): void {
  process.stdout.write(`\n${report.scenario} on ${report.dataset.description}\n`);
  process.stdout.write(resultsTable(report.rows));
  for (const s of report.skipped) process.stdout.write(`skipped ${s.impl}: ${s.reason}\n`);
  for (const n of [...report.dataset.notes, ...report.notes]) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`method: ${report.provenance.method.join('\n        ')}\n`);
  process.stdout.write(`machine: ${report.provenance.cpuModel}, ${report.provenance.availableParallelism} cores, load ${report.provenance.loadAverage.join(' ')}, node ${report.provenance.node}, commit ${report.provenance.git.commit?.slice(0, 10) ?? '?'}${report.provenance.git.dirty ? ' (dirty)' : ''}\n`);
  if (files.length) process.stdout.write(`wrote ${files.join(', ')}\n`);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: 'string' },
      dim: { type: 'string' },
      nq: { type: 'string' },
      k: { type: 'string' },
      threads: { type: 'string' },
      reps: { type: 'string' },
      warmup: { type: 'string' },
      single: { type: 'string' },
      out: { type: 'string' },
      'peak-gflops': { type: 'string' },
      'no-faiss': { type: 'boolean' },
      'no-peers': { type: 'boolean' },
      'no-cache': { type: 'boolean' },
      datasets: { type: 'string' },
      scenarios: { type: 'string' },
      merge: { type: 'boolean' },
      'render-only': { type: 'boolean' },
      'no-install-peers': { type: 'boolean' },
      'faiss-threads': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** Runs the CLI with argv (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new MetalFaissError('INVALID_ARGUMENT', `${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;

  const [command, scenarioName] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'list') {
    for (const s of listScenarios()) process.stdout.write(`${s.name.padEnd(12)} ${s.summary}\n`);
    return 0;
  }
  const peak = values['peak-gflops'] === undefined ? undefined : Number(values['peak-gflops']);
  if (peak !== undefined && !(peak > 0)) throw new MetalFaissError('INVALID_ARGUMENT', `expected a positive number for --peak-gflops, received ${JSON.stringify(values['peak-gflops'])}`);
  const overrides = Object.fromEntries(
    Object.entries({
      dataset: values.dataset,
      dim: intOption('dim', values.dim),
      nq: intOption('nq', values.nq),
      k: intOption('k', values.k),
      threads: intOption('threads', values.threads),
      reps: intOption('reps', values.reps),
      warmup: intOption('warmup', values.warmup),
      singleQueries: intOption('single', values.single),
      peakGflops: peak,
      faiss: values['no-faiss'] ? false : undefined,
      peers: values['no-peers'] ? false : undefined,
      cacheDir: values['no-cache'] ? null : undefined,
      faissThreads: values['faiss-threads'] === undefined ? undefined : values['faiss-threads'].split(',').map((t) => {
        const n = intOption('faiss-threads', t.trim());
        if (!n) throw new MetalFaissError('INVALID_ARGUMENT', `expected thread counts like 1,2 for --faiss-threads, received ${JSON.stringify(values['faiss-threads'])}`);
        return n;
      }),
    }).filter(([, v]) => v !== undefined),
  );

  if (command === 'demo') {
    const t0 = performance.now();
    const report = await runDemo(overrides);
    const files = values.out ? writeReport(report, values.out) : [];
    process.stdout.write('\n' + demoSummary(report));
    process.stdout.write(`\n${resultsTable(report.rows)}`);
    process.stdout.write(`method: ${report.provenance.method.join('\n        ')}\n`);
    if (files.length) process.stdout.write(`wrote ${files.join(', ')}\n`);
    process.stdout.write(`demo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return 0;
  }
  if (command === 'run') {
    if (!scenarioName) throw new MetalFaissError('INVALID_ARGUMENT', `expected a scenario name for run (one of ${listScenarios().map((s) => s.name).join(', ')}), received none`);
    const scenario = getScenario(scenarioName);
    const settings = defaultSettings({
      dataset: scenario.defaultDataset,
      ...(scenario.defaults ?? {}),
      ...overrides,
    });
    const report = await runBench(scenarioName, settings);
    const files = writeReport(report, values.out ?? 'bench-out');
    printReport(report, files);
    return 0;
  }
  if (command === 'report') {
    const out = values.out ?? defaultReportDir();
    if (values['render-only']) {
      const files = renderFromResults(out);
      process.stdout.write(`rendered ${files.length} files into ${out}\n`);
      return 0;
    }
    let datasets: ReportDataset[] = REPORT_DATASETS;
    if (values.dataset) {
      datasets = [{ key: 'custom', spec: values.dataset, label: `Dataset ${values.dataset}`, nq: (overrides.nq as number | undefined) ?? 1000 }];
    } else if (values.datasets) {
      const keys = values.datasets.split(',').map((x) => x.trim());
      datasets = keys.map((k) => {
        const d = REPORT_DATASETS.find((x) => x.key === k);
        if (!d) throw new MetalFaissError('INVALID_ARGUMENT', `expected report datasets among ${REPORT_DATASETS.map((x) => x.key).join(', ')} for --datasets, received ${JSON.stringify(k)}`);
        return d;
      });
    }
    const scenarios = values.scenarios ? values.scenarios.split(',').map((x) => x.trim()) : undefined;
    for (const sc of scenarios ?? []) getScenario(sc);
    const t0 = performance.now();
    const { dataset: _ignored, ...rest } = overrides as Record<string, unknown>;
    const { results, files } = await runFullReport({
      out,
      datasets,
      scenarios,
      merge: values.merge === true,
      overrides: { ...rest, installPeers: !values['no-install-peers'] },
    });
    const failed = results.entries.filter((e) => e.error);
    process.stdout.write(`report: ${results.entries.length} scenario runs (${failed.length} failed) in ${((performance.now() - t0) / 1000).toFixed(0)} s; wrote ${files.length} files into ${out}\n`);
    for (const f of failed) process.stdout.write(`  failed: ${f.scenario} on ${f.dataset}: ${f.error}\n`);
    return 0;
  }
  process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return 2;
}

/** docs/benchmarks of the repository holding this package (or of the working directory). */
function defaultReportDir(): string {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  return existsSync(join(repo, 'docs')) ? join(repo, 'docs', 'benchmarks') : resolve('docs', 'benchmarks');
}
