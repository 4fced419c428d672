/**
 * Scenario `binary`: binary codes searched by Hamming distance. The float
 * dataset is binarized one bit per dimension (bit j is set when component j
 * is above its mean over the base vectors), so Fashion-MNIST gives 784-bit
 * (98-byte) codes and the synthetic 128-d set 128-bit (16-byte) codes.
 *
 * Three pipelines, each with metalfaiss (indexBinaryFactory) and FAISS
 * (index_binary_factory, same string) in the same run: `BFlat` (exhaustive),
 * `BIVF{nlist}` with an nprobe sweep and `BHNSW32` with an efSearch sweep.
 *
 * Ground truth: exact Hamming k-NN in plain JavaScript. Hamming distances are
 * small integers with many ties, so recall@k here counts a returned vector as
 * correct when its true Hamming distance is within the k-th nearest
 * distance (tie-aware; the distances are recomputed from the codes, not
 * taken from the implementation).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ix from '@metalfaiss/indexes';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { Dataset } from '../datasets/types';
import { repeat, timeOnce } from '../measure/timing';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import { nlistFor } from './ann';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

const POP8 = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});

export interface BinarySet {
  /** bits per vector (a multiple of 8) */
  dBits: number;
  codeSize: number;
  xb: Uint8Array;
  nb: number;
  xq: Uint8Array;
  nq: number;
  xt: Uint8Array;
  nt: number;
}

/** One bit per dimension: set when the component is above its mean over the base vectors. */
export function binarize(ds: Dataset, nq: number): BinarySet {
  const d = ds.d;
  const dBits = Math.ceil(d / 8) * 8;
  const cs = dBits / 8;
  const mean = new Float64Array(d);
  for (let i = 0; i < ds.nb; i++) for (let j = 0; j < d; j++) mean[j] += ds.xb[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(1, ds.nb);
  const pack = (x: Float32Array, n: number): Uint8Array => {
    const out = new Uint8Array(n * cs);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) if (x[i * d + j] > mean[j]) out[i * cs + (j >> 3)] |= 1 << (j & 7);
    return out;
  };
  return { dBits, codeSize: cs, xb: pack(ds.xb, ds.nb), nb: ds.nb, xq: pack(ds.xq, nq), nq, xt: pack(ds.xt, ds.nt), nt: ds.nt };
}

export function hamming(a: Uint8Array, ai: number, b: Uint8Array, bi: number, cs: number): number {
  let h = 0;
  for (let t = 0; t < cs; t++) h += POP8[a[ai * cs + t] ^ b[bi * cs + t]];
  return h;
}

/** Per query, the nearest and the k-th smallest Hamming distance to the base (exact, plain JavaScript). */
export function hammingKthDistances(s: BinarySet, k: number): { nearest: Int32Array; kth: Int32Array } {
  const nearest = new Int32Array(s.nq);
  const kth = new Int32Array(s.nq);
  const counts = new Int32Array(s.dBits + 1);
  for (let q = 0; q < s.nq; q++) {
    counts.fill(0);
    for (let i = 0; i < s.nb; i++) counts[hamming(s.xq, q, s.xb, i, s.codeSize)]++;
    let seen = 0;
    nearest[q] = -1;
    kth[q] = s.dBits;
    for (let h = 0; h <= s.dBits; h++) {
      if (counts[h] > 0 && nearest[q] < 0) nearest[q] = h;
      seen += counts[h];
      if (seen >= k) {
        kth[q] = h;
        break;
      }
    }
  }
  return { nearest, kth };
}

/**
 * Tie-aware recall@k: the fraction of the k returned labels whose true
 * distance is within the k-th nearest distance (duplicates and -1 count as
 * misses); R@1: queries whose first result is at the nearest distance.
 */
export function tieAwareRecall(labels: BigInt64Array, s: BinarySet, gt: { nearest: Int32Array; kth: Int32Array }, k: number): { recall: number; r1: number } {
  let good = 0;
  let first = 0;
  for (let q = 0; q < s.nq; q++) {
    const seen = new Set<bigint>();
    for (let j = 0; j < k; j++) {
      const l = labels[q * k + j];
      if (l < 0n || l >= BigInt(s.nb) || seen.has(l)) continue;
      seen.add(l);
      const h = hamming(s.xq, q, s.xb, Number(l), s.codeSize);
      if (h <= gt.kth[q]) good++;
      if (j === 0 && h <= gt.nearest[q]) first++;
    }
  }
  return { recall: good / (s.nq * k), r1: first / s.nq };
}

interface Pipeline {
  factory: string;
  points: Array<{ label: string; ours: Record<string, number>; faiss: string }>;
}

function pipelines(nb: number): Pipeline[] {
  const nlist = nlistFor(nb);
  const probes: number[] = [];
  for (let p = 1; p <= Math.min(nlist, 256); p *= 4) probes.push(p);
  return [
    { factory: 'BFlat', points: [{ label: 'BFlat', ours: {}, faiss: '' }] },
    { factory: `BIVF${nlist}`, points: probes.map((p) => ({ label: `BIVF${nlist} nprobe=${p}`, ours: { nprobe: p }, faiss: `nprobe=${p}` })) },
    { factory: 'BHNSW32', points: [16, 32, 64, 128].map((ef) => ({ label: `BHNSW32 efSearch=${ef}`, ours: { efSearch: ef }, faiss: `efSearch=${ef}` })) },
  ];
}

interface BinaryIndexLike {
  readonly isTrained: boolean;
  train(x: Uint8Array): Promise<void>;
  add(x: Uint8Array): Promise<void>;
  searchSync(xq: Uint8Array, k: number, params?: object): { labels: BigInt64Array };
  memoryBytes(): number;
}

export async function runBinary(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { dataset: ds, settings: s, log } = ctx;
  const { k, nq } = s;
  const rows: ResultRow[] = [];
  const skipped: ScenarioOutcome['skipped'] = [];
  const notes = [
    'codes: one bit per dimension, set above the dimension\'s mean over the base; recall@k is tie-aware (a result counts when its true Hamming distance is within the k-th nearest distance)',
  ];
  log(`binary: binarizing ${ds.nb} + ${nq} vectors (${Math.ceil(ds.d / 8) * 8} bits) ...`);
  const set = binarize(ds, nq);
  log(`binary: exact Hamming ground truth for ${nq} queries ...`);
  const kth = hammingKthDistances(set, k);
  const details: Record<string, unknown> = {
    dBits: set.dBits,
    codeSize: set.codeSize,
    factory: pipelines(ds.nb).map((p) => p.factory).join(' / '),
    recall: 'tie-aware recall@k against exact Hamming ground truth',
  };
  const threads = useThreads(s.threads);
  if (ctx.faiss) {
    writeFileSync(join(ctx.faiss.dir, 'xb.u8'), set.xb);
    writeFileSync(join(ctx.faiss.dir, 'xq.u8'), set.xq);
    writeFileSync(join(ctx.faiss.dir, 'xt.u8'), set.xt);
  } else if (ctx.faissSkipReason) skipped.push({ impl: 'faiss', reason: ctx.faissSkipReason });

  for (const pipe of pipelines(ds.nb)) {
    const base = { scenario: 'binary', dataset: ds.name, nq, k, mode: 'batch' as const };
    // ---- ours
    let index: BinaryIndexLike | null = null;
    try {
      index = ix.indexBinaryFactory(set.dBits, pipe.factory) as unknown as BinaryIndexLike;
    } catch (e) {
      if (!MetalFaissError.isInstance(e)) throw e;
      skipped.push({ impl: `metalfaiss ${pipe.factory}`, reason: e.message });
    }
    if (index) {
      const idx = index;
      const trainX = set.nt > 0 ? set.xt : set.xb;
      const trained = idx.isTrained ? { seconds: 0 } : await timeOnce(() => idx.train(trainX));
      log(`metalfaiss ${pipe.factory}: add ${set.nb} codes ...`);
      const added = await timeOnce(() => idx.add(set.xb));
      for (const p of pipe.points) {
        const r = await repeat(() => idx.searchSync(set.xq, k, p.ours), { warmup: s.warmup, reps: s.reps });
        const row = emptyRow({ ...base, impl: 'metalfaiss', params: p.label, threads });
        const acc = tieAwareRecall(r.last.labels, set, kth, k);
        row.recall = acc.recall;
        row.r1 = acc.r1;
        row.qps = nq / r.best;
        row.seconds = r.best;
        row.medianSeconds = r.median;
        row.buildSeconds = trained.seconds + added.seconds;
        row.memoryBytes = idx.memoryBytes();
        row.note = `indexBinaryFactory("${pipe.factory}")`;
        rows.push(row);
      }
    }
    // ---- FAISS
    if (ctx.faiss) {
      try {
        const f = await ctx.faiss.runBest(
          { factory: pipe.factory, metric: 'l2', k, nq, modes: ['batch'], searchParams: pipe.points.map((p) => p.faiss), warmup: s.warmup, reps: s.reps, binary: true, dBits: set.dBits },
          s.faissThreads,
          log,
        );
        pipe.points.forEach((p, i) => {
          const b = f.searches[i]?.batch;
          if (!b) return;
          const row = emptyRow({ ...base, impl: 'faiss', params: p.label, threads: b.threads });
          const acc = tieAwareRecall(b.value.labels, set, kth, k);
          row.recall = acc.recall;
          row.r1 = acc.r1;
          row.qps = nq / b.value.best;
          row.seconds = b.value.best;
          row.medianSeconds = b.value.median;
          row.buildSeconds = f.trainSeconds.value + f.addSeconds.value;
          row.memoryBytes = f.memoryBytes;
          row.note = `FAISS ${f.version} index_binary_factory("${pipe.factory}")`;
          rows.push(row);
        });
      } catch (e) {
        skipped.push({ impl: `faiss ${pipe.factory}`, reason: (e as Error).message });
      }
    }
  }
  return { rows, notes, skipped, details };
}

export const binaryScenario: Scenario = {
  name: 'binary',
  summary: 'binary codes (one bit per dimension) by Hamming distance: BFlat, BIVF{nlist} nprobe sweep, BHNSW32 efSearch sweep; ours vs FAISS',
  defaultDataset: 'default',
  defaults: { nq: 1000, k: 10 },
  run: runBinary,
};
