/**
 * Scenario `flat`: exact search with IndexFlatL2 (or IP for an IP dataset),
 * all queries in one call (batch) and one query per call (single), ours
 * beside FAISS's IndexFlat and usearch's exactSearch.
 *
 * Reported per implementation and mode: recall@k and R@1 against float64
 * ground truth, qps, single-query latency percentiles, GFLOP/s
 * (2 * nq * nb * d / time) and its fraction of the machine peak, build time,
 * memory, and how many result labels differ from FAISS's (ties apart).
 */
import type { Dataset } from '../datasets/types';
import { compareResults, oneRecallAt, recallAtK, type LabelArray } from '../measure/recall';
import { latencyStats, repeat, timeOnce, timeSingleQueries } from '../measure/timing';
import type { FaissBest } from '../peers/faiss';
import { newFlatIndex, useThreads } from '../peers/ours';
import { loadUsearch } from '../peers/usearch';
import { emptyRow, type ResultRow } from '../report/rows';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

interface Measured {
  batchLabels: LabelArray;
  batchDistances: Float32Array;
  singleLabels: LabelArray;
  singleDistances: Float32Array;
}

export async function runFlat(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { dataset: ds, xq, gt, settings: s, log } = ctx;
  const { nq, k } = s;
  const d = ds.d;
  const nb = ds.nb;
  const nSingle = Math.min(s.singleQueries, nq);
  const flopsPerQuery = 2 * nb * d;
  const indexName = ds.metric === 'l2' ? 'IndexFlatL2' : 'IndexFlatIP';
  const rows: ResultRow[] = [];
  const skipped: ScenarioOutcome['skipped'] = [];
  const notes: string[] = [];
  const details: Record<string, unknown> = {};
  const base = { scenario: 'flat', dataset: ds.name, params: 'Flat', nq, k };

  const fillAccuracy = (row: ResultRow, labels: LabelArray, rowsN: number): void => {
    row.recall = recallAtK(labels, k, gt, rowsN);
    row.r1 = oneRecallAt(labels, k, gt, rowsN, 1);
  };
  const fillFlops = (row: ResultRow): void => {
    if (row.qps === null) return;
    row.gflops = (flopsPerQuery * row.qps) / 1e9;
    row.peakFraction = row.gflops / s.peakGflops;
  };

  // ---- ours
  const threads = useThreads(s.threads);
  log(`metalfaiss ${indexName}: add ${nb} x ${d} ...`);
  const index = newFlatIndex(d, ds.metric);
  const built = await timeOnce(() => index.addSync(ds.xb.subarray(0, nb * d)));
  log(`metalfaiss ${indexName}: batch search ${nq} queries, ${s.warmup} warm-up + ${s.reps} runs ...`);
  const batch = await repeat(() => index.searchSync(xq, k), { warmup: s.warmup, reps: s.reps });
  const ourBatch = emptyRow({ ...base, impl: 'metalfaiss', mode: 'batch', threads });
  ourBatch.params = 'Flat';
  ourBatch.qps = nq / batch.best;
  ourBatch.seconds = batch.best;
  ourBatch.medianSeconds = batch.median;
  ourBatch.buildSeconds = built.seconds;
  ourBatch.memoryBytes = index.memoryBytes();
  ourBatch.note = `${indexName}.searchSync`;
  fillAccuracy(ourBatch, batch.last.labels, nq);
  fillFlops(ourBatch);
  log(`metalfaiss ${indexName}: ${nSingle} single queries ...`);
  const ourSingleLabels = new BigInt64Array(nSingle * k);
  const ourSingleDistances = new Float32Array(nSingle * k);
  const lat = await timeSingleQueries(
    nSingle,
    (i) => {
      const r = index.searchSync(xq.subarray(i * d, (i + 1) * d), k);
      ourSingleLabels.set(r.labels, i * k);
      ourSingleDistances.set(r.distances, i * k);
    },
    s.singleWarmup,
  );
  const ourSingle = singleRow({ ...base, nq: nSingle, impl: 'metalfaiss', mode: 'single', threads }, lat);
  ourSingle.buildSeconds = built.seconds;
  ourSingle.memoryBytes = ourBatch.memoryBytes;
  ourSingle.note = `${indexName}.searchSync, one query per call`;
  fillAccuracy(ourSingle, ourSingleLabels, nSingle);
  fillFlops(ourSingle);
  rows.push(ourBatch, ourSingle);
  const ours: Measured = { batchLabels: batch.last.labels, batchDistances: batch.last.distances, singleLabels: ourSingleLabels, singleDistances: ourSingleDistances };

  // ---- FAISS
  let faiss: FaissBest | null = null;
  if (ctx.faiss) {
    faiss = await ctx.faiss.runBest(
      {
        factory: 'Flat', metric: ds.metric, k, nq, modes: ['batch', 'single'],
        warmup: s.warmup, reps: s.reps, singleQueries: nSingle, singleWarmup: s.singleWarmup,
      },
      s.faissThreads,
      log,
    );
    const fs = faiss.searches[0];
    details.faiss = {
      version: faiss.version,
      method: faiss.method,
      runs: faiss.runs.map((r) => ({
        threads: r.threads,
        env: r.env,
        addSeconds: r.addSeconds,
        batchSeconds: r.searches[0].batch?.seconds,
        singleP50Ms: r.searches[0].single?.stats.p50,
      })),
    };
    if (fs.batch) {
      const b = fs.batch.value;
      const row = emptyRow({ ...base, impl: 'faiss', mode: 'batch', threads: fs.batch.threads });
      row.qps = nq / b.best;
      row.seconds = b.best;
      row.medianSeconds = b.median;
      row.buildSeconds = faiss.addSeconds.value;
      row.memoryBytes = faiss.memoryBytes;
      row.note = `FAISS ${faiss.version} IndexFlat; best of threads ${faiss.runs.map((r) => r.threads).join('/')}`;
      fillAccuracy(row, b.labels, nq);
      fillFlops(row);
      rows.push(row);
      const cmp = compareResults({ labels: ours.batchLabels, distances: ours.batchDistances }, { labels: b.labels, distances: b.distances }, nq, k);
      ourBatch.labelMismatches = cmp.mismatches;
      ourBatch.labelTies = cmp.ties;
      details.labelsVsFaiss = cmp;
    }
    if (fs.single) {
      const row = singleRow({ ...base, nq: nSingle, impl: 'faiss', mode: 'single', threads: fs.single.threads }, fs.single.value.latenciesMs);
      row.buildSeconds = faiss.addSeconds.value;
      row.memoryBytes = faiss.memoryBytes;
      row.note = `FAISS ${faiss.version} IndexFlat, one query per call`;
      fillAccuracy(row, fs.single.value.labels, nSingle);
      fillFlops(row);
      rows.push(row);
      const cmp = compareResults(
        { labels: ours.singleLabels, distances: ours.singleDistances },
        { labels: fs.single.value.labels, distances: fs.single.value.distances },
        nSingle,
        k,
      );
      ourSingle.labelMismatches = cmp.mismatches;
      ourSingle.labelTies = cmp.ties;
    }
  } else if (ctx.faissSkipReason) {
    skipped.push({ impl: 'faiss', reason: ctx.faissSkipReason });
  }

  // ---- usearch
  if (s.peers) {
    const u = loadUsearch();
    if (!u.ok) {
      skipped.push({ impl: 'usearch', reason: u.reason });
    } else {
      try {
        rows.push(...(await runUsearch(ctx, u.peer, ds, faiss, base, fillAccuracy, fillFlops, nSingle)));
        details.usearchVersion = u.peer.version;
      } catch (e) {
        skipped.push({ impl: 'usearch', reason: `usearch failed: ${(e as Error).message}` });
      }
    }
  }
  return { rows, notes, skipped, details };
}

function singleRow(base: Parameters<typeof emptyRow>[0], latenciesMs: number[] | Float64Array): ResultRow {
  const st = latencyStats(latenciesMs);
  const row = emptyRow(base);
  row.p50 = st.p50;
  row.p95 = st.p95;
  row.p99 = st.p99;
  row.qps = 1000 / st.mean;
  return row;
}

async function runUsearch(
  ctx: ScenarioContext,
  peer: import('../peers/usearch').UsearchPeer,
  ds: Dataset,
  faiss: FaissBest | null,
  base: { scenario: string; dataset: string; params: string; nq: number; k: number },
  fillAccuracy: (row: ResultRow, labels: LabelArray, n: number) => void,
  fillFlops: (row: ResultRow) => void,
  nSingle: number,
): Promise<ResultRow[]> {
  const { settings: s, log, xq } = ctx;
  const { nq, k } = s;
  const d = ds.d;
  const xb = peer.prepare(ds.xb.subarray(0, ds.nb * d));
  const xqU = peer.prepare(xq);
  log(`usearch ${peer.version} exactSearch: batch ${nq} queries ...`);
  const batch = await repeat(() => peer.exactSearch(xb, xqU, d, k, ds.metric, s.threads), { warmup: s.warmup, reps: s.reps });
  const row = emptyRow({ ...base, impl: 'usearch', mode: 'batch', threads: s.threads });
  row.qps = nq / batch.best;
  row.seconds = batch.best;
  row.medianSeconds = batch.median;
  row.memoryBytes = xb.byteLength;
  row.note = `usearch ${peer.version} exactSearch (no index; memory = the raw vectors)`;
  fillAccuracy(row, batch.last.labels, nq);
  fillFlops(row);
  const fb = faiss?.searches[0].batch?.value;
  if (fb) {
    const cmp = compareResults({ labels: batch.last.labels, distances: batch.last.distances }, { labels: fb.labels, distances: fb.distances }, nq, k);
    row.labelMismatches = cmp.mismatches;
    row.labelTies = cmp.ties;
  }
  log(`usearch exactSearch: ${nSingle} single queries ...`);
  const queries = Array.from({ length: nSingle }, (_, i) => xq.slice(i * d, (i + 1) * d)); // fresh copies: usearch ignores byteOffset
  const labels = new BigInt64Array(nSingle * k);
  const lat = await timeSingleQueries(
    nSingle,
    (i) => {
      const r = peer.exactSearch(xb, queries[i], d, k, ds.metric, s.threads);
      for (let j = 0; j < k; j++) labels[i * k + j] = BigInt.asIntN(64, r.labels[j]);
    },
    s.singleWarmup,
  );
  const single = singleRow({ ...base, nq: nSingle, impl: 'usearch', mode: 'single', threads: s.threads }, lat);
  single.memoryBytes = xb.byteLength;
  single.note = `usearch ${peer.version} exactSearch, one query per call`;
  fillAccuracy(single, labels, nSingle);
  fillFlops(single);
  return [row, single];
}

export const flatScenario: Scenario = {
  name: 'flat',
  summary: 'IndexFlatL2 exact search: batch (nq queries per call) and one query at a time; ours vs FAISS vs usearch',
  defaultDataset: 'default',
  defaults: { nq: 1000, k: 10 },
  run: runFlat,
};
