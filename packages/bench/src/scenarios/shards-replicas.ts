/**
 * Scenario `shards-replicas`: the fan-out cost of IndexShards and
 * IndexReplicas. One IVF-Flat index holding all vectors is compared with
 * (a) IndexShards of 2 IVF-Flat shards, each holding half, and (b)
 * IndexReplicas of 2 IVF-Flat replicas, each holding all, at the same
 * nprobe and kernel thread count. All share one trained coarse quantizer,
 * so their results are the same; the figure of merit is throughput relative
 * to the single index (the issue's target: >= 0.9x). Async searches (the
 * sub-index searches run concurrently, off the event loop) and sync
 * searches (one after another) are both reported.
 *
 * The three indexes are timed in interleaved rounds (one run of each per
 * round, the order rotating), at least MIN_ROUNDS rounds, so that a change of
 * machine load hits all three alike; the ratios compare best times (and
 * median times, in the notes). The load average is recorded before and after.
 */
import { availableParallelism as availableCores, loadavg } from 'node:os';
import * as ix from '@metalfaiss/indexes';
import { compareResults, oneRecallAt, recallAtK } from '../measure/recall';
import { median, timeOnce } from '../measure/timing';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

type IVFCtor = new (d: number, nlist: number, options: { metric?: 'l2' | 'ip'; quantizer?: ix.Index; nprobe?: number }) => ix.Index & {
  nprobe: number;
  quantizer: ix.Index;
};

export const NLIST = 1024;
export const NPROBE = 16;
/** Interleaved timing rounds at least (a run is ~35 ms: more rounds cost little and steady the ratios). */
export const MIN_ROUNDS = 15;

interface Timed {
  seconds: number[];
  /** process CPU time (user + system) of each timed run, seconds: steadier than wall time on a loaded machine */
  cpuSeconds: number[];
  last: ix.SearchResult;
}

/** Times `fns` in interleaved rounds: warmup untimed runs of each, then `rounds` rounds of one timed run of each (rotating order). */
async function interleaved(fns: Array<() => ix.SearchResult | Promise<ix.SearchResult>>, warmup: number, rounds: number): Promise<Timed[]> {
  const out: Timed[] = fns.map(() => ({ seconds: [], cpuSeconds: [], last: undefined as unknown as ix.SearchResult }));
  for (let w = 0; w < warmup; w++) for (let i = 0; i < fns.length; i++) out[i].last = await fns[i]();
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < fns.length; j++) {
      const i = (r + j) % fns.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      out[i].last = await fns[i]();
      out[i].seconds.push((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      out[i].cpuSeconds.push((c.user + c.system) / 1e6);
    }
  }
  return out;
}

const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' / ');

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
  const rounds = Math.max(s.reps, MIN_ROUNDS);
  const loadBefore = load();
  const ratios: Record<string, number> = {};
  const medianRatios: Record<string, number> = {};
  const cpuRatios: Record<string, number> = {};
  const cpuMedians: number[] = [];
  const subjects: Array<{ name: string; index: ix.Index; build: number }> = [
    { name: `IVF${nlist},Flat`, index: single, build: trained.seconds + addOne.seconds },
    { name: 'IndexShards(2 x IVF-Flat)', index: shards, build: trained.seconds + addShards.seconds },
    { name: 'IndexReplicas(2 x IVF-Flat)', index: replicas, build: trained.seconds + addReplicas.seconds },
  ];
  for (const mode of ['async', 'sync'] as const) {
    log(`metalfaiss ${subjects.map((x) => x.name).join(', ')} (${mode}): ${nq} queries, ${s.warmup} warm-up + ${rounds} interleaved rounds ...`);
    const timed = await interleaved(
      subjects.map(({ index }) => () => (mode === 'async' ? index.search(xq, k) : index.searchSync(xq, k))),
      s.warmup,
      rounds,
    );
    const made = subjects.map(({ name, index, build }, i) => {
      const t = timed[i];
      const row = emptyRow({ ...base, impl: 'metalfaiss', mode: 'batch', params: `${name} nprobe=${NPROBE} ${mode}` });
      row.seconds = Math.min(...t.seconds);
      row.medianSeconds = median(t.seconds);
      row.qps = nq / row.seconds;
      row.buildSeconds = build;
      row.memoryBytes = index.memoryBytes();
      row.recall = recallAtK(t.last.labels, k, gt, nq);
      row.r1 = oneRecallAt(t.last.labels, k, gt, nq, 1);
      return row;
    });
    made[0].note = 'one index with all vectors';
    for (let i = 1; i < made.length; i++) {
      const r = made[i];
      const ratio = r.qps! / made[0].qps!;
      ratios[`${r.params}`] = ratio;
      medianRatios[`${r.params}`] = made[0].medianSeconds! / r.medianSeconds!;
      cpuRatios[`${r.params}`] = median(timed[0].cpuSeconds) / median(timed[i].cpuSeconds);
      r.note =
        `${ratio.toFixed(3)}x the single index's throughput (medians: ${medianRatios[`${r.params}`].toFixed(3)}x; ` +
        `process CPU time per search, medians: ${cpuRatios[`${r.params}`].toFixed(3)}x)`;
      const cmp = compareResults(timed[i].last, timed[0].last, nq, k);
      r.labelMismatches = cmp.mismatches;
      r.labelTies = cmp.ties;
    }
    rows.push(...made);
    cpuMedians.push(...timed.map((t) => median(t.cpuSeconds)));
  }
  notes.push(
    `throughput relative to one IVF${nlist},Flat index (nprobe ${NPROBE}, ${threads} kernel threads): ` +
      Object.entries(ratios).map(([p, r]) => `${p}: ${r.toFixed(3)}x`).join('; ') + ' (target >= 0.9x)',
  );
  notes.push('labelMismatches compare with the single index (same quantizer, same probes: results should be identical)');
  notes.push(
    'process CPU time per search relative to the single index (medians; less sensitive to other load than wall time): ' +
      Object.entries(cpuRatios).map(([p, r]) => `${p}: ${r.toFixed(3)}x`).join('; '),
  );
  notes.push(`timed in ${rounds} interleaved rounds per mode; load average (1 / 5 / 15 min) before: ${loadBefore}, after: ${load()} on ${availableCores()} cores`);
  details.ratios = ratios;
  details.medianRatios = medianRatios;
  details.cpuRatios = cpuRatios;
  details.cpuSecondsMedian = Object.fromEntries(rows.map((r, i) => [r.params, cpuMedians[i]]));
  details.rounds = rounds;
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
