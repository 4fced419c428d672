/**
 * `metalfaiss search <index-file> <queries> -k 10 [--nprobe N] [--ef N]
 * [--out results.(json|npy|ivecs)] [--gt groundtruth.(ivecs|npy)]`:
 * searches all queries in one async call (off the event loop), prints the
 * time and queries per second, recall when ground truth is given, and writes
 * the results.
 */
import { extname } from 'node:path';
import type { Index } from '../base';
import type { CommandContext } from './context';
import { intOption, stringOption } from './context';
import { CliError, usageError } from './errors';
import { encodeNpy, encodeVecs, readArrayFile, readLabels, readVectors, writeBytes } from './formats';
import { findParam, loadIndex, readIndexFile } from './index-file';
import { formatSeconds } from './progress';

export interface Recall {
  /** ground-truth file */
  file: string;
  /** queries compared */
  nq: number;
  k: number;
  /** recall@k: |first k results ∩ first k true neighbours| / k, averaged over queries (null when gt has fewer than k columns) */
  recallAtK: number | null;
  /** 1-recall@1: fraction of queries whose first result is the true nearest neighbour */
  oneRecallAt1: number;
  /** 1-recall@k: fraction of queries whose true nearest neighbour is among the first k results */
  oneRecallAtK: number;
}

/** FAISS's recall measures of results (nq x k labels) against ground truth (gtN x gtK labels). */
export function computeRecall(labels: BigInt64Array, nq: number, k: number, gt: BigInt64Array, gtK: number): Omit<Recall, 'file'> {
  let inter = 0;
  let r1 = 0;
  let rk = 0;
  const kk = Math.min(k, gtK);
  const set = new Set<bigint>();
  for (let i = 0; i < nq; i++) {
    const nn = gt[i * gtK];
    if (labels[i * k] === nn) r1++;
    set.clear();
    for (let j = 0; j < kk; j++) set.add(gt[i * gtK + j]);
    let foundNn = false;
    for (let j = 0; j < k; j++) {
      const l = labels[i * k + j];
      if (l === nn) foundNn = true;
      if (j < kk && set.has(l) && l >= 0n) inter++;
    }
    if (foundNn) rk++;
  }
  return { nq, k, recallAtK: gtK >= k ? inter / (nq * k) : null, oneRecallAt1: r1 / nq, oneRecallAtK: rk / nq };
}

function jsonLabel(v: bigint): number | string {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
}

/** Writes D and I in the format --out's extension names; returns the files written. */
export function writeResults(out: string, D: Float32Array, I: BigInt64Array, nq: number, k: number, meta: Record<string, unknown>): string[] {
  const ext = extname(out).toLowerCase();
  const stem = out.slice(0, out.length - ext.length);
  if (ext === '.json') {
    const rows = <T, U>(a: ArrayLike<T>, f: (v: T) => U): U[][] => Array.from({ length: nq }, (_, i) => Array.from({ length: k }, (_, j) => f(a[i * k + j])));
    const doc = { ...meta, nq, k, labels: rows(I, jsonLabel), distances: rows(D, (v: number) => (Number.isFinite(v) ? v : null)) };
    writeBytes(out, new TextEncoder().encode(JSON.stringify(doc) + '\n'));
    return [out];
  }
  if (ext === '.npy') {
    const dPath = `${stem}.distances.npy`;
    writeBytes(out, encodeNpy(I, [nq, k]));
    writeBytes(dPath, encodeNpy(D, [nq, k]));
    return [out, dPath];
  }
  if (ext === '.ivecs') {
    const I32 = new Int32Array(I.length);
    for (let i = 0; i < I.length; i++) {
      const v = I[i];
      if (v < -(2n ** 31n) || v >= 2n ** 31n) {
        throw new CliError('INVALID_ARGUMENT', `expected labels that fit in int32 for --out ${JSON.stringify(out)} (.ivecs), received label ${v}`, 'write .npy (int64) or .json instead');
      }
      I32[i] = Number(v);
    }
    const dPath = `${stem}.distances.fvecs`;
    writeBytes(out, encodeVecs(I32, k));
    writeBytes(dPath, encodeVecs(D, k));
    return [out, dPath];
  }
  throw usageError(`expected --out to end in .json, .npy or .ivecs, received ${JSON.stringify(out)}`, 'the extension picks the format');
}

export async function searchCommand(ctx: CommandContext): Promise<number> {
  const { values, positionals } = ctx.parse({
    k: { type: 'string', short: 'k' },
    nprobe: { type: 'string' },
    ef: { type: 'string' },
    out: { type: 'string', short: 'o' },
    gt: { type: 'string' },
    dim: { type: 'string' },
    nq: { type: 'string' },
    show: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 2) {
    throw usageError(
      `expected an index file and a queries file for \`metalfaiss search\`, received ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}`,
      'usage: metalfaiss search <index-file> <queries> -k 10',
    );
  }
  const [indexPath, queriesPath] = positionals;
  const k = intOption(values, 'k', 10, 1, 1 << 20)!;
  const nprobe = intOption(values, 'nprobe', undefined, 1);
  const ef = intOption(values, 'ef', undefined, 1);
  const dim = intOption(values, 'dim', undefined, 1, 1 << 20);
  const nqLimit = intOption(values, 'nq', undefined, 1);
  const show = intOption(values, 'show', undefined, 0);
  const out = stringOption(values, 'out');
  const gtPath = stringOption(values, 'gt');
  if (out !== undefined && !['.json', '.npy', '.ivecs'].includes(extname(out).toLowerCase())) {
    throw usageError(`expected --out to end in .json, .npy or .ivecs, received ${JSON.stringify(out)}`, 'the extension picks the format');
  }

  const file = readIndexFile(indexPath);
  const desc = file.description;
  if (nprobe !== undefined && findParam(desc, 'nlist') === undefined) {
    throw usageError(`--nprobe applies to IVF indexes, but ${JSON.stringify(indexPath)} holds ${desc.className} (no inverted lists)`, 'drop --nprobe (`metalfaiss info` shows the index tree)');
  }
  if (ef !== undefined && findParam(desc, 'efSearch') === undefined) {
    throw usageError(`--ef applies to HNSW indexes, but ${JSON.stringify(indexPath)} holds ${desc.className} (no HNSW graph)`, 'drop --ef (`metalfaiss info` shows the index tree)');
  }
  const index = loadIndex(file) as Index;
  const d = Number(desc.params.d);

  let xq: Float32Array | Uint8Array;
  let nq: number;
  let qd: number;
  if (file.kind === 'binary') {
    const f = readArrayFile(queriesPath, { role: 'the queries', dim: dim });
    if (f.dtype !== 'uint8') {
      throw new CliError('INVALID_ARGUMENT', `expected uint8 queries (d / 8 bytes per vector) for the binary index ${JSON.stringify(indexPath)}, received ${f.dtype} data in ${JSON.stringify(queriesPath)}`, 'pass packed bits as .bvecs, .u8bin, uint8 .npy or raw .u8');
    }
    xq = f.data as Uint8Array;
    nq = f.n;
    qd = f.d * 8;
  } else {
    const q = readVectors(queriesPath, { role: 'the queries', dim });
    xq = q.data;
    nq = q.n;
    qd = q.d;
  }
  if (qd !== d) {
    const unit = file.kind === 'binary' ? `${d / 8} bytes (d = ${d} bits)` : `d = ${d}`;
    throw new CliError(
      'DIMENSION_MISMATCH',
      `expected queries of ${unit} (the index's dimension), received ${file.kind === 'binary' ? `${qd / 8} bytes` : `d = ${qd}`} per vector in ${JSON.stringify(queriesPath)}`,
      dim !== undefined ? 'check --dim' : 'use queries from the same dataset as the index',
    );
  }
  if (nq === 0) throw new CliError('INVALID_ARGUMENT', `expected at least one query in ${JSON.stringify(queriesPath)}, received none`, 'pass a non-empty file');
  if (nqLimit !== undefined && nqLimit < nq) {
    xq = xq.subarray(0, nqLimit * (file.kind === 'binary' ? d / 8 : d));
    nq = nqLimit;
  }

  let gt: { labels: BigInt64Array; n: number; k: number } | null = null;
  if (gtPath !== undefined) {
    gt = readLabels(gtPath, { role: '--gt' });
    if (gt.n < nq) {
      throw new CliError('DIMENSION_MISMATCH', `expected ground truth for at least ${nq} queries in --gt ${JSON.stringify(gtPath)}, received ${gt.n} rows`, 'pass the ground truth of these queries');
    }
  }

  const params: Record<string, number> = {};
  if (nprobe !== undefined) params.nprobe = nprobe;
  if (ef !== undefined) params.efSearch = ef;
  const t0 = performance.now();
  const [D, I] = await (index as unknown as { search_async(x: unknown, k: number, p?: object): Promise<[Float32Array, BigInt64Array]> }).search_async(
    xq,
    k,
    Object.keys(params).length ? params : undefined,
  );
  const seconds = (performance.now() - t0) / 1000;
  const recall = gt ? { file: gtPath!, ...computeRecall(I, nq, k, gt.labels, gt.k) } : null;
  const meta = { index: indexPath, className: desc.className, queries: queriesPath, params, seconds, qps: nq / seconds, recall };
  const written = out !== undefined ? writeResults(out, D, I, nq, k, meta) : [];

  if (values.json) {
    ctx.stdout.write(JSON.stringify({ ...meta, nq, k, ntotal: index.ntotal, written }, null, 2) + '\n');
    return 0;
  }
  const paramText = Object.entries(params).map(([a, b]) => `${a}=${b}`).join(' ');
  const lines = [
    `searched ${nq} queries (k = ${k}${paramText ? ', ' + paramText : ''}) in ${desc.className} of ${index.ntotal} vectors: ${formatSeconds(seconds)}, ${Math.round(nq / seconds)} queries/s`,
  ];
  if (recall) {
    lines.push(
      `recall against ${gtPath}: ` +
        (recall.recallAtK !== null ? `recall@${k} ${recall.recallAtK.toFixed(4)}, ` : `recall@${k} n/a (the ground truth has ${gt!.k} columns), `) +
        `1-recall@1 ${recall.oneRecallAt1.toFixed(4)}, 1-recall@${k} ${recall.oneRecallAtK.toFixed(4)}`,
    );
  }
  if (written.length) lines.push(`wrote ${written.join(' and ')}`);
  const showN = Math.min(nq, show ?? (written.length ? 0 : 3));
  for (let i = 0; i < showN; i++) {
    const parts = [];
    for (let j = 0; j < k; j++) parts.push(`${I[i * k + j]}:${Number.isFinite(D[i * k + j]) ? Number(D[i * k + j].toPrecision(6)) : D[i * k + j]}`);
    lines.push(`query ${i}: ${parts.join(' ')}`);
  }
  if (showN < nq && !written.length) lines.push(`(${nq - showN} more; --out FILE writes all results, --show N prints more)`);
  ctx.stdout.write(lines.join('\n') + '\n');
  return 0;
}
