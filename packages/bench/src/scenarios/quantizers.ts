/**
 * The quantizer target scenarios (issue #4 part B): one index type at one
 * search setting, ours beside FAISS (at its best) in the same run, with the
 * issue's targets checked in the notes:
 *
 * - ivf-pq16: IVF{nlist},PQ16 (nlist 1024 for Fashion-MNIST) at nprobe = 16;
 *   target >= 2.5x FAISS's qps at equal recall, training (coarse k-means +
 *   PQ) <= 0.5x FAISS's time. (The generic nprobe sweep of the same index is
 *   the bench's `ivf-pq` scenario.)
 * - ivf-sq8: IVF{nlist},SQ8 at nprobe = 16; target >= 10x FAISS's qps.
 * - sq8: exhaustive SQ8 (IndexScalarQuantizer QT_8bit); target >= 20x.
 *
 * Memory: ours is memoryBytes(); FAISS's is its serialized size, plus, for
 * IVFPQ with FAISS's default precomputed table (L2, by_residual), the
 * nlist * M * ksub floats that FAISS keeps in memory but does not serialize.
 */
import * as ix from '@metalfaiss/indexes';
import type { Dataset } from '../datasets/types';
import { oneRecallAt, recallAtK, type LabelArray } from '../measure/recall';
import { repeat, timeOnce } from '../measure/timing';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import { nlistFor, pqMFor } from './ann';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

interface QuantSpec {
  name: string;
  summary: string;
  factory(ds: Dataset): string;
  build(ds: Dataset): ix.Index;
  /** our per-call parameters and FAISS's ParameterSpace string */
  search: { ours: ix.SearchParametersIVF | undefined; faiss: string; label: string };
  /** bytes FAISS holds in memory beyond its serialized size */
  faissExtraBytes?(ds: Dataset): number;
  targets: { qps: number; train?: number };
}

const metricOf = (ds: Dataset): ix.MetricType => (ds.metric === 'l2' ? ix.MetricType.L2 : ix.MetricType.INNER_PRODUCT);

export const QUANT_SPECS: QuantSpec[] = [
  {
    name: 'ivf-pq16',
    summary: 'IVF{nlist},PQ16 at nprobe=16 (issue target: 2.5x FAISS qps at equal recall, training in half its time); ours vs FAISS',
    factory: (ds) => `IVF${nlistFor(ds.nb)},PQ${pqMFor(ds.d)}`,
    build: (ds) => new ix.IndexIVFPQ(ds.d, nlistFor(ds.nb), pqMFor(ds.d), 8, { metric: metricOf(ds) }),
    search: { ours: { nprobe: 16 }, faiss: 'nprobe=16', label: 'nprobe=16' },
    // FAISS's use_precomputed_table = 1 for L2 + by_residual: nlist * M * 256 floats, not serialized
    faissExtraBytes: (ds) => (ds.metric === 'l2' ? nlistFor(ds.nb) * pqMFor(ds.d) * 256 * 4 : 0),
    targets: { qps: 2.5, train: 0.5 },
  },
  {
    name: 'ivf-sq8',
    summary: 'IVF{nlist},SQ8 at nprobe=16 (issue target: 10x FAISS qps); ours vs FAISS',
    factory: (ds) => `IVF${nlistFor(ds.nb)},SQ8`,
    build: (ds) => new ix.IndexIVFScalarQuantizer(ds.d, nlistFor(ds.nb), 'QT_8bit', { metric: metricOf(ds) }),
    search: { ours: { nprobe: 16 }, faiss: 'nprobe=16', label: 'nprobe=16' },
    targets: { qps: 10 },
  },
  {
    name: 'sq8',
    summary: 'SQ8: exhaustive search over 8-bit scalar-quantizer codes (issue target: 20x FAISS qps); ours vs FAISS',
    factory: () => 'SQ8',
    build: (ds) => new ix.IndexScalarQuantizer(ds.d, 'QT_8bit', metricOf(ds)),
    search: { ours: undefined, faiss: '', label: 'exhaustive' },
    targets: { qps: 20 },
  },
];

function accuracy(row: ResultRow, labels: LabelArray, ctx: ScenarioContext): void {
  const { k, nq } = ctx.settings;
  row.recall = recallAtK(labels, k, ctx.gt, nq);
  row.r1 = oneRecallAt(labels, k, ctx.gt, nq, 1);
}

export function quantScenario(spec: QuantSpec): Scenario {
  return {
    name: spec.name,
    summary: spec.summary,
    defaultDataset: 'default',
    defaults: { nq: 1000, k: 10 },
    async run(ctx: ScenarioContext): Promise<ScenarioOutcome> {
      const { dataset: ds, settings: s, xq, log } = ctx;
      const factory = spec.factory(ds);
      const rows: ResultRow[] = [];
      const notes: string[] = [];
      const skipped: ScenarioOutcome['skipped'] = [];
      const details: Record<string, unknown> = { factory, search: spec.search.label };
      const base = { scenario: spec.name, dataset: ds.name, params: spec.search.label, nq: s.nq, k: s.k, mode: 'batch' as const, threads: s.threads };

      // ---- ours
      const threads = useThreads(s.threads);
      const index = spec.build(ds);
      const xt = ds.nt > 0 ? ds.xt.subarray(0, ds.nt * ds.d) : ds.xb.subarray(0, ds.nb * ds.d);
      let lastLog = 0;
      const onProgress = (p: ix.QuantizerProgress): void => {
        if (p.elapsedMs - lastLog > 3000) {
          lastLog = p.elapsedMs;
          log(`metalfaiss ${factory}: ${p.phase} ${p.step} ${p.done}/${p.total}`);
        }
      };
      let trainSeconds = 0;
      if (!index.isTrained) {
        log(`metalfaiss ${factory}: train on ${xt.length / ds.d} vectors ...`);
        trainSeconds = (await timeOnce(() => (index.train as (x: Float32Array, o: ix.QuantizerOptions) => Promise<void>).call(index, xt, { onProgress }))).seconds;
      }
      log(`metalfaiss ${factory}: add ${ds.nb} vectors ...`);
      const addSeconds = (await timeOnce(() => index.add(ds.xb.subarray(0, ds.nb * ds.d)))).seconds;
      const memory = index.memoryBytes();
      log(`metalfaiss ${factory}: search ${spec.search.label}, ${s.warmup} warm-up + ${s.reps} runs ...`);
      const r = await repeat(() => index.searchSync(xq, s.k, spec.search.ours), { warmup: s.warmup, reps: s.reps });
      const ours = emptyRow({ ...base, impl: 'metalfaiss', threads });
      ours.qps = s.nq / r.best;
      ours.seconds = r.best;
      ours.medianSeconds = r.median;
      ours.buildSeconds = trainSeconds + addSeconds;
      ours.memoryBytes = memory;
      ours.note = `${index.typeName}; train ${trainSeconds.toFixed(2)} s + add ${addSeconds.toFixed(2)} s`;
      accuracy(ours, r.last.labels, ctx);
      rows.push(ours);
      details.ours = { className: index.typeName, trainSeconds, addSeconds, memoryBytes: memory };

      // ---- FAISS, same index, same run
      if (ctx.faiss) {
        const f = await ctx.faiss.runBest(
          { factory, metric: ds.metric, k: s.k, nq: s.nq, modes: ['batch'], searchParams: [spec.search.faiss], warmup: s.warmup, reps: s.reps, measureMemory: true },
          undefined,
          log,
        );
        const b = f.searches[0]?.batch;
        const extra = spec.faissExtraBytes?.(ds) ?? 0;
        if (b) {
          const row = emptyRow({ ...base, impl: 'faiss', threads: b.threads });
          row.qps = s.nq / b.value.best;
          row.seconds = b.value.best;
          row.medianSeconds = b.value.median;
          row.buildSeconds = f.trainSeconds.value + f.addSeconds.value;
          row.memoryBytes = f.memoryBytes === null ? null : f.memoryBytes + extra;
          row.note =
            `FAISS ${f.version} index_factory("${factory}"); train ${f.trainSeconds.value.toFixed(2)} s (${f.trainSeconds.threads} threads) + add ${f.addSeconds.value.toFixed(2)} s; ` +
            `search best of threads ${f.runs.map((x) => x.threads).join('/')}` +
            (extra ? `; memory = serialized size + ${extra} bytes of precomputed table (in memory, not serialized)` : '');
          accuracy(row, b.value.labels, ctx);
          rows.push(row);
          ours.ratioVsFaiss = ours.qps / row.qps;
          const trainRatio = f.trainSeconds.value > 0 && trainSeconds > 0 ? trainSeconds / f.trainSeconds.value : null;
          notes.push(
            `${spec.name}: ${ours.ratioVsFaiss.toFixed(2)}x FAISS's qps (target >= ${spec.targets.qps}x) at recall@${s.k} ${ours.recall?.toFixed(4)} vs ${row.recall?.toFixed(4)}` +
              (spec.targets.train && trainRatio !== null ? `; training ${trainRatio.toFixed(2)}x FAISS's time (target <= ${spec.targets.train}x)` : '') +
              (row.memoryBytes ? `; memory ${(memory / row.memoryBytes).toFixed(3)}x FAISS's (target <= 1.05x)` : ''),
          );
          details.faiss = { version: f.version, method: f.method, trainSeconds: f.trainSeconds, addSeconds: f.addSeconds, memoryBytes: f.memoryBytes, extraMemoryBytes: extra };
        }
      } else if (ctx.faissSkipReason) {
        skipped.push({ impl: 'faiss', reason: ctx.faissSkipReason });
      }
      index.reset();
      return { rows, notes, skipped, details };
    },
  };
}

export const QUANT_SCENARIOS: Scenario[] = QUANT_SPECS.map(quantScenario);
