/**
 * The per-codec scanning contract of IVF indexes (FAISS's
 * InvertedListScanner) and the plain-TypeScript scan built on it. A codec
 * that has no native kernel yet searches through its scanner; a codec with a
 * kernel uses this scan as its test oracle.
 *
 * Result rules (shared with the native kernels): best first; ties broken by
 * the lower position, position = listNo * 2^32 + offset; padding label -1 with
 * distance +Infinity (L2) / -Infinity (inner product).
 */
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import type { RangeSearchResult } from '../index-base';
import { MetricType } from '../metric';
import type { InvertedListsSnapshot } from './inverted-lists';

/** FAISS's InvertedListScanner, for one query at a time. */
export interface InvertedListScanner {
  /** Prepares for a query (d floats; the view is only valid during the call). */
  setQuery(query: Float32Array): void;
  /** Prepares for a list: its number and the query's coarse distance to it (as the quantizer returned it). */
  setList(listNo: number, coarseDistance: number): void;
  /** Distance (L2) or similarity (inner product) between the query and entry `i` of `codes` (codeSize bytes each). */
  distanceToCode(codes: Uint8Array, i: number): number;
}

/** Everything a codec needs to scan the probed lists of a batch of queries (top-k). */
export interface IVFSearchJob {
  /** queries, nq * d */
  xq: Float32Array;
  nq: number;
  k: number;
  metric: MetricType;
  /** nq * nprobe list numbers in probe order; -1 = do not scan (no list, or past maxCodes) */
  coarse: BigInt64Array;
  /** nq * nprobe coarse distances, as the quantizer returned them */
  coarseDistances: Float32Array;
  nprobe: number;
  /** the lists as the search started (filtered by the selector, if any) */
  lists: InvertedListsSnapshot;
  /** labels are positions (listNo << 32 | offset) instead of ids */
  storePairs: boolean;
  /** outputs, nq * k */
  distances: Float32Array;
  labels: BigInt64Array;
}

/** The same for a range search. */
export interface IVFRangeJob {
  xq: Float32Array;
  nq: number;
  /** L2: keep distance < radius; inner product: keep similarity > radius */
  radius: number;
  metric: MetricType;
  coarse: BigInt64Array;
  coarseDistances: Float32Array;
  nprobe: number;
  lists: InvertedListsSnapshot;
  storePairs: boolean;
}

const TWO32 = 4294967296;

/** k best (score, position) pairs, smaller first (score = distance, or -similarity). */
class TopK {
  readonly k: number;
  size = 0;
  readonly score: Float64Array;
  readonly pos: Float64Array;
  constructor(k: number) {
    this.k = k;
    this.score = new Float64Array(k);
    this.pos = new Float64Array(k);
  }
  #worse(a: number, b: number): boolean {
    return this.score[a] > this.score[b] || (this.score[a] === this.score[b] && this.pos[a] > this.pos[b]);
  }
  #swap(a: number, b: number): void {
    const s = this.score[a];
    this.score[a] = this.score[b];
    this.score[b] = s;
    const p = this.pos[a];
    this.pos[a] = this.pos[b];
    this.pos[b] = p;
  }
  push(score: number, pos: number): void {
    if (!(score < Infinity)) return;
    if (this.size < this.k) {
      let c = this.size++;
      this.score[c] = score;
      this.pos[c] = pos;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!this.#worse(c, p)) break;
        this.#swap(c, p);
        c = p;
      }
      return;
    }
    if (!(score < this.score[0] || (score === this.score[0] && pos < this.pos[0]))) return;
    this.score[0] = score;
    this.pos[0] = pos;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.#worse(r, l) ? r : l;
      if (!this.#worse(c, p)) break;
      this.#swap(c, p);
      p = c;
    }
  }
  sorted(): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    order.sort((a, b) => this.score[a] - this.score[b] || this.pos[a] - this.pos[b]);
    return order;
  }
}

function checkListCount(nlist: number): void {
  if (nlist > 2 ** 21) {
    throw new MetalFaissError('UNSUPPORTED', `the TypeScript IVF scan supports up to 2^21 lists, this index has ${nlist}`);
  }
}

/** Scans with a codec's scanner; fills job.distances / job.labels. */
export function scanWithScanner(job: IVFSearchJob, scanner: InvertedListScanner, d: number): void {
  const { nq, k, nprobe, coarse, coarseDistances, lists, metric } = job;
  checkListCount(lists.nlist);
  const l2 = metric === MetricType.L2;
  const cs = lists.codeSize;
  const top = new TopK(k);
  for (let q = 0; q < nq; q++) {
    top.size = 0;
    scanner.setQuery(job.xq.subarray(q * d, (q + 1) * d));
    for (let p = 0; p < nprobe; p++) {
      const key = Number(coarse[q * nprobe + p]);
      if (key < 0) continue;
      const size = lists.sizes[key];
      if (size === 0) continue;
      scanner.setList(key, coarseDistances[q * nprobe + p]);
      const codes = lists.codes[key].subarray(0, size * cs);
      for (let j = 0; j < size; j++) {
        const dis = Math.fround(scanner.distanceToCode(codes, j));
        top.push(l2 ? dis : -dis, key * TWO32 + j);
      }
    }
    const order = top.sorted();
    for (let e = 0; e < k; e++) {
      const o = q * k + e;
      if (e >= order.length) {
        job.distances[o] = l2 ? Infinity : -Infinity;
        job.labels[o] = -1n;
        continue;
      }
      const i = order[e];
      job.distances[o] = l2 ? top.score[i] : -top.score[i];
      const pos = top.pos[i];
      const listNo = Math.floor(pos / TWO32);
      const offset = pos - listNo * TWO32;
      job.labels[o] = job.storePairs ? BigInt(pos) : lists.ids[listNo][offset];
    }
  }
}

/** Range scan with a codec's scanner; results in probe order, then list order (FAISS's order). */
export function rangeScanWithScanner(job: IVFRangeJob, scanner: InvertedListScanner, d: number): RangeSearchResult {
  const { nq, nprobe, coarse, coarseDistances, lists, metric } = job;
  const l2 = metric === MetricType.L2;
  const cs = lists.codeSize;
  const radius = Math.fround(job.radius);
  const lims = new BigInt64Array(nq + 1);
  const dist: number[] = [];
  const labels: bigint[] = [];
  for (let q = 0; q < nq; q++) {
    scanner.setQuery(job.xq.subarray(q * d, (q + 1) * d));
    for (let p = 0; p < nprobe; p++) {
      const key = Number(coarse[q * nprobe + p]);
      if (key < 0) continue;
      const size = lists.sizes[key];
      if (size === 0) continue;
      scanner.setList(key, coarseDistances[q * nprobe + p]);
      const codes = lists.codes[key].subarray(0, size * cs);
      for (let j = 0; j < size; j++) {
        const dis = Math.fround(scanner.distanceToCode(codes, j));
        if (l2 ? dis < radius : dis > radius) {
          dist.push(dis);
          labels.push(job.storePairs ? (BigInt(key) << 32n) | BigInt(j) : lists.ids[key][j]);
        }
      }
    }
    lims[q + 1] = BigInt(dist.length);
  }
  return { lims, distances: Float32Array.from(dist), labels: BigInt64Array.from(labels) };
}
