/**
 * Scenario `shards-replicas`: the fan-out cost of IndexShards and
 * IndexReplicas. One IVF-Flat index holding all vectors is compared with
 * (a) IndexShards of 2 IVF-Flat shards, each holding half, and (b)
 * IndexReplicas of 2 IVF-Flat replicas, each holding all, at the same
 * nprobe and kernel thread count. All share one trained coarse quantizer,
 * so their results are the same; the figure of merit is throughput relative
 * to the single index (the target: >= 0.9x). Async searches (the
 * sub-index searches run concurrently, off the event loop) and sync
 * searches (one after another) are both reported.
 */
import * as ix from '@metalfaiss/indexes';
import { compareResults, oneRecallAt, recallAtK } from '../measure/recall';
import { repeat, timeOnce } from '../measure/timing';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

type IVFCtor = new (d: number, nlist: number, options: { metric?: 'l2' | 'ip'; quantizer?: ix.Index; nprobe?: number }) => ix.Index & {
  nprobe: number;
  quantizer: ix.Index;
};

export const NLIST = 1024;
export const NPROBE = 16;

export async function runShardsReplicas(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { dataset: ds, xq, gt, settings: s, log } = ctx;
  const { nq, k } = s;
  const d = ds.d;
  const nb = ds.nb;
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const skipped: ScenarioOutcome['skipped'] = [];
  const details: Record<string, unknown> = {};
  const IVF = (ix as unknown as Record<string, unknown>).IndexIVFFlat as IVFCtor | undefined;
  if (typeof IVF !== 'function') {
    skipped.push({ impl: 'metalfaiss', reason: 'IndexIVFFlat is not available in @metalfaiss/indexes yet' });
    return { rows, notes, skipped, details };
  }
  const threads = useThreads(s.threads);
  const nlist = Math.min(NLIST, Math.max(1, Math.floor(nb / 39)));
  const xb = ds.xb.subarray(0, nb * d);
  log(`metalfaiss IVF${nlist},Flat: train on ${nb} x ${d} ...`);
  const single = new IVF(d, nlist, { metric: ds.metric, nprobe: NPROBE });
  const trained = await timeOnce(() => single.train(xb));
  const centroids = (single.quantizer as ix.IndexFlat).vectors;
  const makeIVF = (): ix.Index => {
    const q = ix.IndexFlat.fromVectors(d, centroids.slice(), { metric: ds.metric });
    return new IVF(d, nlist, { metric: ds.metric, quantizer: q, nprobe: NPROBE });
  };
  const addOne = await timeOnce(() => single.add(xb));

  const shards = new ix.IndexShards(d, { metric: single.metricType });
  shards.addShard(makeIVF());
  shards.addShard(makeIVF());
  const addShards = await timeOnce(() => shards.add(xb));
  const replicas = new ix.IndexReplicas(d, { metric: single.metricType });
  replicas.addReplica(makeIVF());
  replicas.addReplica(makeIVF());
  const addReplicas = await timeOnce(() => replicas.add(xb));

  const base = { scenario: 'shards-replicas', dataset: ds.name, nq, k, threads };
  const measure = async (name: string, index: ix.Index, mode: 'async' | 'sync', build: number): Promise<ResultRow> => {
    log(`metalfaiss ${name} (${mode}): ${nq} queries, ${s.warmup} warm-up + ${s.reps} runs ...`);
    const run = await repeat(() => (mode === 'async' ? index.search(xq, k) : index.searchSync(xq, k)), { warmup: s.warmup, reps: s.reps });
    const row = emptyRow({ ...base, impl: 'metalfaiss', mode: 'batch', params: `${name} nprobe=${NPROBE} ${mode}` });
    row.qps = nq / run.best;
    row.seconds = run.best;
    row.medianSeconds = run.median;
    row.buildSeconds = build;
    row.memoryBytes = index.memoryBytes();
    row.recall = recallAtK(run.last.labels, k, gt, nq);
    row.r1 = oneRecallAt(run.last.labels, k, gt, nq, 1);
    (row as ResultRow & { _labels?: BigInt64Array; _distances?: Float32Array })._labels = run.last.labels;
    (row as ResultRow & { _distances?: Float32Array })._distances = run.last.distances;
    return row;
  };
  const ratios: Record<string, number> = {};
  for (const mode of ['async', 'sync'] as const) {
    const one = await measure(`IVF${nlist},Flat`, single, mode, trained.seconds + addOne.seconds);
    one.note = 'one index with all vectors';
    const sh = await measure('IndexShards(2 x IVF-Flat)', shards, mode, trained.seconds + addShards.seconds);
    const rp = await measure('IndexReplicas(2 x IVF-Flat)', replicas, mode, trained.seconds + addReplicas.seconds);
    for (const r of [sh, rp]) {
      const ratio = r.qps! / one.qps!;
      ratios[`${r.params}`] = ratio;
      r.note = `${ratio.toFixed(3)}x the single index's throughput`;
      const a = r as ResultRow & { _labels: BigInt64Array; _distances: Float32Array };
      const b = one as ResultRow & { _labels: BigInt64Array; _distances: Float32Array };
      const cmp = compareResults({ labels: a._labels, distances: a._distances }, { labels: b._labels, distances: b._distances }, nq, k);
      r.labelMismatches = cmp.mismatches;
      r.labelTies = cmp.ties;
    }
    for (const r of [one, sh, rp]) {
      delete (r as { _labels?: unknown })._labels;
      delete (r as { _distances?: unknown })._distances;
      rows.push(r);
    }
  }
  notes.push(
    `throughput relative to one IVF${nlist},Flat index (nprobe ${NPROBE}, ${threads} kernel threads): ` +
      Object.entries(ratios).map(([p, r]) => `${p}: ${r.toFixed(3)}x`).join('; ') + ' (target >= 0.9x)',
  );
  notes.push('labelMismatches compare with the single index (same quantizer, same probes: results should be identical)');
  details.ratios = ratios;
  details.nlist = nlist;
  details.nprobe = NPROBE;
  return { rows, notes, skipped, details };
}

export const shardsReplicasScenario: Scenario = {
  name: 'shards-replicas',
  summary: 'IndexShards (2 IVF-Flat shards) and IndexReplicas (2 replicas) vs one IVF-Flat index: fan-out/merge cost',
  defaultDataset: 'default',
  defaults: { nq: 1000, k: 10 },
  run: runShardsReplicas,
};
