/**
 * Approximate-search scenarios: one index type, a sweep of its search
 * parameter (nprobe for IVF, efSearch for HNSW), recall@k against exact
 * ground truth and queries per second at every setting, for metalfaiss,
 * FAISS (the same factory string, in the same run) and the Node graph
 * libraries (HNSW only: usearch, hnswlib-node). Each implementation is built
 * once (train + add timed, memory recorded) and then searched at each setting.
 *
 * Scenarios: ivf-flat, ivf-pq, sq (IVF + 8-bit scalar quantizer), hnsw, opq
 * (OPQ rotation + IVF + PQ). Sizes follow the dataset: nlist is the power of
 * two nearest 4 * sqrt(nb) (1024 for Fashion-MNIST's 60000, 4096 for 10^6).
 */
import * as ix from '@metalfaiss/indexes';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { Dataset } from '../datasets/types';
import { oneRecallAt, recallAtK, type LabelArray } from '../measure/recall';
import { repeat, timeOnce } from '../measure/timing';
import { loadHnswlib, loadUsearchHnsw, type GraphPeer } from '../peers/hnsw-peers';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

export interface SweepPoint {
  /** shown on charts and in tables, e.g. "nprobe=16" */
  label: string;
  /** our per-call search parameters, e.g. { nprobe: 16 } */
  ours: Record<string, number>;
  /** FAISS ParameterSpace string, e.g. "nprobe=16" */
  faiss: string;
  /** efSearch for the graph peers (HNSW scenarios) */
  ef?: number;
}

export interface AnnSpec {
  name: string;
  summary: string;
  /** FAISS index_factory string for a dataset */
  factory(ds: Dataset): string;
  sweep(ds: Dataset): SweepPoint[];
  /** HNSW parameters when usearch and hnswlib-node should run beside */
  graphPeers?: { M: number; efConstruction: number };
}

/** The power of two nearest 4 * sqrt(nb), at least 4 and at most nb / 8 (FAISS's usual rule of thumb). */
export function nlistFor(nb: number): number {
  const target = 4 * Math.sqrt(nb);
  let p = 2 ** Math.round(Math.log2(target));
  while (p > 4 && p > nb / 8) p /= 2;
  return Math.max(4, p);
}

/** The largest M <= want dividing d (PQ needs d % M == 0). */
export function pqMFor(d: number, want = 16): number {
  for (let m = Math.min(want, d); m > 1; m--) if (d % m === 0) return m;
  return 1;
}

function nprobeSweep(nlist: number): SweepPoint[] {
  const out: SweepPoint[] = [];
  for (let p = 1; p <= Math.min(nlist, 256); p *= 2) out.push({ label: `nprobe=${p}`, ours: { nprobe: p }, faiss: `nprobe=${p}` });
  return out;
}

export const ANN_SPECS: AnnSpec[] = [
  {
    name: 'ivf-flat',
    summary: 'IVF{nlist},Flat: inverted lists of raw vectors, nprobe sweep; ours vs FAISS',
    factory: (ds) => `IVF${nlistFor(ds.nb)},Flat`,
    sweep: (ds) => nprobeSweep(nlistFor(ds.nb)),
  },
  {
    name: 'ivf-pq',
    summary: 'IVF{nlist},PQ16: inverted lists of 16-byte product-quantizer codes, nprobe sweep; ours vs FAISS',
    factory: (ds) => `IVF${nlistFor(ds.nb)},PQ${pqMFor(ds.d)}`,
    sweep: (ds) => nprobeSweep(nlistFor(ds.nb)),
  },
  {
    name: 'sq',
    summary: 'IVF{nlist},SQ8: inverted lists of 8-bit scalar-quantizer codes, nprobe sweep; ours vs FAISS',
    factory: (ds) => `IVF${nlistFor(ds.nb)},SQ8`,
    sweep: (ds) => nprobeSweep(nlistFor(ds.nb)),
  },
  {
    name: 'hnsw',
    summary: 'HNSW32 (efConstruction 40): efSearch sweep; ours vs FAISS vs usearch vs hnswlib-node',
    factory: () => 'HNSW32',
    sweep: () => [16, 32, 64, 128, 256].map((ef) => ({ label: `efSearch=${ef}`, ours: { efSearch: ef }, faiss: `efSearch=${ef}`, ef })),
    graphPeers: { M: 32, efConstruction: 40 },
  },
  {
    name: 'opq',
    summary: 'OPQ16_64,IVF{nlist},PQ16: learned rotation + IVF-PQ pipeline, nprobe sweep; ours vs FAISS',
    factory: (ds) => {
      const dOut = Math.min(64, ds.d - (ds.d % pqMFor(Math.min(64, ds.d))));
      const m = pqMFor(dOut);
      return `OPQ${m}_${dOut},IVF${nlistFor(ds.nb)},PQ${m}`;
    },
    sweep: (ds) => nprobeSweep(nlistFor(ds.nb)),
  },
];

interface Built {
  index: ix.Index;
  trainSeconds: number;
  addSeconds: number;
}

async function buildOurs(ctx: ScenarioContext, factory: string): Promise<Built | string> {
  const { dataset: ds, log } = ctx;
  let index: ix.Index;
  try {
    index = ix.indexFactory(ds.d, factory, ds.metric === 'l2' ? ix.MetricType.L2 : ix.MetricType.INNER_PRODUCT);
  } catch (e) {
    if (MetalFaissError.isInstance(e)) return `metalfaiss cannot build ${factory} yet: ${e.message}`;
    throw e;
  }
  const xt = ds.nt > 0 ? ds.xt.subarray(0, ds.nt * ds.d) : ds.xb.subarray(0, ds.nb * ds.d);
  let lastLog = 0;
  const onProgress = (p: { phase?: string; step?: string; done?: number; total?: number }): void => {
    const now = performance.now();
    if (now - lastLog > 5000) {
      lastLog = now;
      log(`metalfaiss ${factory}: ${p.phase ?? ''} ${p.step ?? ''} ${p.done ?? ''}/${p.total ?? ''}`);
    }
  };
  let trainSeconds = 0;
  try {
    if (!index.isTrained) {
      log(`metalfaiss ${factory}: train on ${xt.length / ds.d} vectors ...`);
      trainSeconds = (await timeOnce(() => index.train(xt, { onProgress } as ix.AsyncOptions))).seconds;
    }
    log(`metalfaiss ${factory}: add ${ds.nb} vectors ...`);
    const added = await timeOnce(() => index.add(ds.xb.subarray(0, ds.nb * ds.d), { onProgress } as ix.AsyncOptions));
    return { index, trainSeconds, addSeconds: added.seconds };
  } catch (e) {
    if (MetalFaissError.isInstance(e) && e.code === 'UNSUPPORTED') return `metalfaiss cannot train/add ${factory} yet: ${e.message}`;
    throw e;
  }
}

function accuracy(row: ResultRow, labels: LabelArray, ctx: ScenarioContext): void {
  const { k, nq } = ctx.settings;
  row.recall = recallAtK(labels, k, ctx.gt, nq);
  row.r1 = oneRecallAt(labels, k, ctx.gt, nq, 1);
}

async function runGraphPeer(ctx: ScenarioContext, peer: GraphPeer, spec: AnnSpec, points: SweepPoint[], base: Omit<Parameters<typeof emptyRow>[0], 'impl'>): Promise<ResultRow[]> {
  const { dataset: ds, settings: s, xq, log } = ctx;
  const { M, efConstruction } = spec.graphPeers!;
  log(`${peer.name} ${peer.version}: build HNSW (M=${M}, efConstruction=${efConstruction}) over ${ds.nb} vectors ...`);
  const t0 = performance.now();
  const built = peer.build(ds.xb.subarray(0, ds.nb * ds.d), ds.nb, ds.d, ds.metric, M, efConstruction, s.threads);
  const buildSeconds = (performance.now() - t0) / 1000;
  const rows: ResultRow[] = [];
  try {
    for (const p of points) {
      const ef = p.ef ?? 16;
      const r = await repeat(() => built.search(xq, s.nq, s.k, ef), { warmup: s.warmup, reps: s.reps });
      const row = emptyRow({ ...base, impl: peer.name, threads: built.threads });
      row.params = p.label;
      row.qps = s.nq / r.best;
      row.seconds = r.best;
      row.medianSeconds = r.median;
      row.buildSeconds = buildSeconds;
      row.note = `${peer.name} ${peer.version} HNSW M=${M} efConstruction=${efConstruction}, ef=${ef}; ${built.searchMode === 'batch' ? `batch search on ${built.threads} threads` : 'one query per call (its API has no batch search), 1 thread'}`;
      accuracy(row, r.last.labels, ctx);
      rows.push(row);
    }
  } finally {
    built.dispose();
  }
  return rows;
}

export function annScenario(spec: AnnSpec): Scenario {
  return {
    name: spec.name,
    summary: spec.summary,
    defaultDataset: 'default',
    defaults: { nq: 1000, k: 10 },
    async run(ctx: ScenarioContext): Promise<ScenarioOutcome> {
      const { dataset: ds, settings: s, xq, log } = ctx;
      const factory = spec.factory(ds);
      const points = spec.sweep(ds);
      const rows: ResultRow[] = [];
      const skipped: ScenarioOutcome['skipped'] = [];
      const notes: string[] = [];
      const details: Record<string, unknown> = { factory, sweep: points.map((p) => p.label) };
      const base = { scenario: spec.name, dataset: ds.name, params: factory, nq: s.nq, k: s.k, mode: 'batch' as const, threads: s.threads };

      // ---- ours
      const threads = useThreads(s.threads);
      const built = await buildOurs(ctx, factory);
      if (typeof built === 'string') {
        skipped.push({ impl: 'metalfaiss', reason: built });
        log(built);
      } else {
        const memory = built.index.memoryBytes();
        for (const p of points) {
          log(`metalfaiss ${factory}: search ${p.label} ...`);
          const r = await repeat(() => built.index.searchSync(xq, s.k, p.ours as ix.SearchParameters), { warmup: s.warmup, reps: s.reps });
          const row = emptyRow({ ...base, impl: 'metalfaiss', threads });
          row.params = p.label;
          row.qps = s.nq / r.best;
          row.seconds = r.best;
          row.medianSeconds = r.median;
          row.buildSeconds = built.trainSeconds + built.addSeconds;
          row.memoryBytes = memory;
          row.note = `${built.index.typeName} from indexFactory("${factory}"); train ${built.trainSeconds.toFixed(2)} s + add ${built.addSeconds.toFixed(2)} s`;
          accuracy(row, r.last.labels, ctx);
          rows.push(row);
        }
        details.ours = { className: built.index.typeName, trainSeconds: built.trainSeconds, addSeconds: built.addSeconds, memoryBytes: memory };
        built.index.reset();
      }

      // ---- FAISS, same factory string, same run
      if (ctx.faiss) {
        const f = await ctx.faiss.runBest(
          { factory, metric: ds.metric, k: s.k, nq: s.nq, modes: ['batch'], searchParams: points.map((p) => p.faiss), warmup: s.warmup, reps: s.reps },
          s.faissThreads,
          log,
        );
        details.faiss = {
          version: f.version,
          method: f.method,
          trainSeconds: f.trainSeconds,
          addSeconds: f.addSeconds,
          runs: f.runs.map((r) => ({ threads: r.threads, trainSeconds: r.trainSeconds, addSeconds: r.addSeconds, batch: r.searches.map((x) => x.batch?.best) })),
        };
        points.forEach((p, i) => {
          const b = f.searches[i]?.batch;
          if (!b) return;
          const row = emptyRow({ ...base, impl: 'faiss', threads: b.threads });
          row.params = p.label;
          row.qps = s.nq / b.value.best;
          row.seconds = b.value.best;
          row.medianSeconds = b.value.median;
          row.buildSeconds = f.trainSeconds.value + f.addSeconds.value;
          row.memoryBytes = f.memoryBytes;
          row.note = `FAISS ${f.version} index_factory("${factory}"); train ${f.trainSeconds.value.toFixed(2)} s (${f.trainSeconds.threads} threads) + add ${f.addSeconds.value.toFixed(2)} s (${f.addSeconds.threads} threads); search best of threads ${f.runs.map((r) => r.threads).join('/')}`;
          accuracy(row, b.value.labels, ctx);
          rows.push(row);
        });
      } else if (ctx.faissSkipReason) {
        skipped.push({ impl: 'faiss', reason: ctx.faissSkipReason });
      }

      // ---- graph peers
      if (spec.graphPeers && s.peers) {
        for (const load of [() => loadUsearchHnsw(), () => loadHnswlib({ install: s.installPeers === true, log })]) {
          const l = load();
          if (!l.ok) {
            skipped.push({ impl: l.name, reason: l.reason });
            continue;
          }
          try {
            rows.push(...(await runGraphPeer(ctx, l.peer, spec, points, base)));
            (details.peers ??= {} as Record<string, string>);
            (details.peers as Record<string, string>)[l.peer.name] = l.peer.version;
          } catch (e) {
            skipped.push({ impl: l.peer.name, reason: `${l.peer.name} failed: ${(e as Error).message}` });
          }
        }
      }
      if (!rows.some((r) => r.impl === 'metalfaiss')) notes.push(`metalfaiss has no figure for ${factory} in this run (see skipped)`);
      return { rows, notes, skipped, details };
    },
  };
}

export const ANN_SCENARIOS: Scenario[] = ANN_SPECS.map(annScenario);
