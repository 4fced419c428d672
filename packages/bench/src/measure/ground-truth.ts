/**
 * Exact k-NN ground truth in float64, written in plain JavaScript so that it
 * is independent of our native kernels (it is what they are checked against).
 * Work is spread over worker_threads (default: min(2, cores)); the result is
 * cached on disk under ${XDG_CACHE_HOME:-~/.cache}/metalfaiss/ground-truth/,
 * keyed by dataset name, metric, nq, k and a fingerprint of the vectors, so it
 * is computed once per dataset.
 *
 * Ties are broken by the lower database index, like the kernels.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkInteger, fileError, invalidArgument, MetalFaissError } from '../errors';
import type { Dataset } from '../datasets/types';

export interface GroundTruth {
  nq: number;
  k: number;
  metric: 'l2' | 'ip';
  /** nq * k database indices, best first */
  labels: Int32Array;
  /** nq * k float64 distances (squared L2) or inner products, best first */
  distances: Float64Array;
}

/**
 * The kernel, as source text so that the same code runs in workers (eval'd)
 * and on the calling thread. Queries go in blocks of 8, copied to float64 and
 * interleaved (component t of block query b at t * 8 + b) so each base
 * component is loaded once for 8 queries while the block stays in L1; one
 * float64 accumulator per query, exact differences (no norm expansion). Per
 * query a sorted list of the k best (insertion; strict comparison keeps the
 * lower index on ties).
 */
const KERNEL_SOURCE = `
function knnRange(xb, xq, d, nb, k, ip, outLabels, outDist, nextBlock, onBlock) {
  const QB = 8;
  const nq = outLabels.length / k;
  const qq = new Float64Array(QB * d);
  const acc = new Float64Array(QB);
  const bestD = new Float64Array(QB * k);
  const bestI = new Int32Array(QB * k);
  for (;;) {
    const qs = nextBlock(QB);
    if (qs < 0) break;
    const qn = Math.min(QB, nq - qs);
    qq.fill(0);
    for (let b = 0; b < qn; b++) {
      const qo = (qs + b) * d;
      for (let t = 0; t < d; t++) qq[t * QB + b] = xq[qo + t];
    }
    bestD.fill(ip ? -Infinity : Infinity);
    bestI.fill(-1);
    for (let j = 0; j < nb; j++) {
      const jo = j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
      if (ip) {
        for (let t = 0, p = 0; t < d; t++, p += 8) {
          const y = xb[jo + t];
          s0 += qq[p] * y; s1 += qq[p + 1] * y; s2 += qq[p + 2] * y; s3 += qq[p + 3] * y;
          s4 += qq[p + 4] * y; s5 += qq[p + 5] * y; s6 += qq[p + 6] * y; s7 += qq[p + 7] * y;
        }
      } else {
        for (let t = 0, p = 0; t < d; t++, p += 8) {
          const y = xb[jo + t];
          let a = qq[p] - y; s0 += a * a;
          a = qq[p + 1] - y; s1 += a * a;
          a = qq[p + 2] - y; s2 += a * a;
          a = qq[p + 3] - y; s3 += a * a;
          a = qq[p + 4] - y; s4 += a * a;
          a = qq[p + 5] - y; s5 += a * a;
          a = qq[p + 6] - y; s6 += a * a;
          a = qq[p + 7] - y; s7 += a * a;
        }
      }
      acc[0] = s0; acc[1] = s1; acc[2] = s2; acc[3] = s3; acc[4] = s4; acc[5] = s5; acc[6] = s6; acc[7] = s7;
      for (let b = 0; b < qn; b++) {
        const s = acc[b];
        const base = b * k;
        if (ip ? s > bestD[base + k - 1] : s < bestD[base + k - 1]) {
          let p = k - 1;
          while (p > 0 && (ip ? s > bestD[base + p - 1] : s < bestD[base + p - 1])) {
            bestD[base + p] = bestD[base + p - 1];
            bestI[base + p] = bestI[base + p - 1];
            p--;
          }
          bestD[base + p] = s;
          bestI[base + p] = j;
        }
      }
    }
    for (let b = 0; b < qn; b++) {
      for (let i = 0; i < k; i++) {
        outLabels[(qs + b) * k + i] = bestI[b * k + i];
        outDist[(qs + b) * k + i] = bestD[b * k + i];
      }
    }
    onBlock(qn);
  }
}
`;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
${KERNEL_SOURCE}
const { xb, xq, d, nb, k, ip, outLabels, outDist, counter, nq } = workerData;
knnRange(xb, xq, d, nb, k, ip, outLabels, outDist,
  (qb) => { const q = Atomics.add(counter, 0, qb); return q < nq ? q : -1; },
  (n) => parentPort.postMessage(n));
parentPort.postMessage('done');
`;

type KnnRangeFn = (
  xb: Float32Array, xq: Float32Array, d: number, nb: number, k: number, ip: boolean,
  outLabels: Int32Array, outDist: Float64Array, nextBlock: (qb: number) => number, onBlock: (n: number) => void,
) => void;

let localKernel: KnnRangeFn | null = null;
function kernel(): KnnRangeFn {
  if (localKernel === null) localKernel = new Function(`${KERNEL_SOURCE}; return knnRange;`)() as KnnRangeFn;
  return localKernel;
}

export interface ExactKnnInput {
  xb: Float32Array;
  nb: number;
  xq: Float32Array;
  nq: number;
  d: number;
  k: number;
  metric: 'l2' | 'ip';
}

function validate(input: ExactKnnInput): void {
  const { xb, xq, nb, nq, d, k, metric } = input;
  checkInteger('d', d, 1);
  checkInteger('nb', nb, 1);
  checkInteger('nq', nq, 0);
  checkInteger('k', k, 1, nb);
  if (!(xb instanceof Float32Array) || xb.length < nb * d) throw invalidArgument('xb', `a Float32Array of length >= nb*d = ${nb * d}`, xb);
  if (!(xq instanceof Float32Array) || xq.length < nq * d) throw invalidArgument('xq', `a Float32Array of length >= nq*d = ${nq * d}`, xq);
  if (metric !== 'l2' && metric !== 'ip') throw invalidArgument('metric', "'l2' or 'ip'", metric);
}

/** Exact k-NN in float64 on the calling thread (small problems, tests). */
export function exactKnn(input: ExactKnnInput): GroundTruth {
  validate(input);
  const { xb, xq, nb, nq, d, k, metric } = input;
  const labels = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  let next = 0;
  kernel()(xb, xq, d, nb, k, metric === 'ip', labels, distances, (qb) => {
    const q = next;
    next += qb;
    return q < nq ? q : -1;
  }, () => {});
  return { nq, k, metric, labels, distances };
}

function sharedCopy<T extends Float32Array | Int32Array | Float64Array>(ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, src: T | number): T {
  const len = typeof src === 'number' ? src : src.length;
  const out = new ctor(new SharedArrayBuffer(len * ctor.BYTES_PER_ELEMENT));
  if (typeof src !== 'number') out.set(src as never);
  return out;
}

/** Exact k-NN in float64 on worker threads. onProgress(done, total) after each block of queries. */
export async function exactKnnParallel(
  input: ExactKnnInput,
  options: { threads?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<GroundTruth> {
  validate(input);
  const { nb, nq, d, k, metric } = input;
  const threads = Math.max(1, Math.min(options.threads ?? Math.min(2, availableParallelism()), Math.ceil(nq / 8)));
  if (nq === 0) return { nq, k, metric, labels: new Int32Array(0), distances: new Float64Array(0) };
  const xb = sharedCopy(Float32Array, input.xb.subarray(0, nb * d));
  const xq = sharedCopy(Float32Array, input.xq.subarray(0, nq * d));
  const outLabels = sharedCopy(Int32Array, nq * k);
  const outDist = sharedCopy(Float64Array, nq * k);
  const counter = sharedCopy(Int32Array, 1);
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
        const w = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { xb, xq, d, nb, k, ip: metric === 'ip', outLabels, outDist, counter, nq },
        });
        workers.push(w);
        w.on('message', (m) => {
          if (m === 'done') return;
          done += m as number;
          options.onProgress?.(done, nq);
        });
        w.on('error', reject);
        w.on('exit', (code) => (code === 0 ? resolve() : reject(new MetalFaissError('NATIVE', `ground-truth worker exited with code ${code}`))));
      })),
    );
  } finally {
    for (const w of workers) void w.terminate();
  }
  return { nq, k, metric, labels: new Int32Array(outLabels), distances: new Float64Array(outDist) };
}

/** A 64-bit (hex) fingerprint of float data: two independent 32-bit multiplicative hashes over its words. */
export function fingerprint(...arrays: Float32Array[]): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  for (const a of arrays) {
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    h1 = Math.imul(h1 ^ u.length, 0x01000193);
    h2 = Math.imul(h2 + u.length, 0x5bd1e995);
    for (let i = 0; i < u.length; i++) {
      const w = u[i];
      h1 = Math.imul(h1 ^ w, 0x01000193);
      h2 = Math.imul((h2 ^ (h2 >>> 15)) + w, 0x5bd1e995);
    }
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** ${XDG_CACHE_HOME:-~/.cache}/metalfaiss */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'metalfaiss');
}

export interface GroundTruthOptions {
  k: number;
  /** number of queries (the first nq of the dataset); default all */
  nq?: number;
  /** cache root (ground truth goes to <cacheDir>/ground-truth); null disables the cache */
  cacheDir?: string | null;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GroundTruthResult {
  gt: GroundTruth;
  /** true when read from the cache */
  cached: boolean;
  /** seconds spent computing (0 when cached) */
  seconds: number;
  /** cache file (read or written), or null without a cache */
  cacheFile: string | null;
}

const MAGIC = 0x5447464d; // 'MFGT' little-endian
const VERSION = 1;

function cacheFileName(ds: Dataset, nq: number, k: number): string {
  const safe = ds.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(-80);
  const fp = fingerprint(ds.xb.subarray(0, ds.nb * ds.d), ds.xq.subarray(0, nq * ds.d));
  return `${safe}-${ds.metric}-nq${nq}-k${k}-${fp}.gt`;
}

function encodeGt(gt: GroundTruth): Uint8Array {
  const header = new Uint32Array([MAGIC, VERSION, gt.nq, gt.k, gt.metric === 'ip' ? 0 : 1, 0]);
  const out = new Uint8Array(header.byteLength + gt.labels.byteLength + gt.distances.byteLength);
  out.set(new Uint8Array(header.buffer), 0);
  out.set(new Uint8Array(gt.labels.buffer, gt.labels.byteOffset, gt.labels.byteLength), header.byteLength);
  out.set(new Uint8Array(gt.distances.buffer, gt.distances.byteOffset, gt.distances.byteLength), header.byteLength + gt.labels.byteLength);
  return out;
}

function decodeGt(bytes: Uint8Array, file: string, nq: number, k: number, metric: 'l2' | 'ip'): GroundTruth {
  const expectedLen = 24 + nq * k * 12;
  const h = new Uint32Array(6);
  if (bytes.length >= 24) new Uint8Array(h.buffer).set(bytes.subarray(0, 24));
  if (bytes.length !== expectedLen || h[0] !== MAGIC || h[1] !== VERSION || h[2] !== nq || h[3] !== k || h[4] !== (metric === 'ip' ? 0 : 1)) {
    throw fileError(file, `a ground-truth cache file of ${expectedLen} bytes for nq=${nq}, k=${k}`, `${bytes.length} bytes with another header`, 'Delete it to recompute');
  }
  const labels = new Int32Array(nq * k);
  const distances = new Float64Array(nq * k);
  new Uint8Array(labels.buffer).set(bytes.subarray(24, 24 + nq * k * 4));
  new Uint8Array(distances.buffer).set(bytes.subarray(24 + nq * k * 4));
  return { nq, k, metric, labels, distances };
}

/**
 * Ground truth for the first nq queries of a dataset, from the cache when
 * present (a corrupt cache file is recomputed and overwritten).
 */
export async function groundTruth(ds: Dataset, options: GroundTruthOptions): Promise<GroundTruthResult> {
  const nq = options.nq ?? ds.nq;
  checkInteger('nq', nq, 1, ds.nq);
  const k = checkInteger('k', options.k, 1, ds.nb);
  const cacheRoot = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const file = cacheRoot === null ? null : join(cacheRoot, 'ground-truth', cacheFileName(ds, nq, k));
  if (file !== null && existsSync(file)) {
    try {
      return { gt: decodeGt(readFileSync(file), file, nq, k, ds.metric), cached: true, seconds: 0, cacheFile: file };
    } catch {
      // fall through: recompute and overwrite
    }
  }
  const t0 = performance.now();
  const gt = await exactKnnParallel(
    { xb: ds.xb, nb: ds.nb, xq: ds.xq, nq, d: ds.d, k, metric: ds.metric },
    { threads: options.threads, onProgress: options.onProgress },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (file !== null) {
    mkdirSync(join(cacheRoot!, 'ground-truth'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, encodeGt(gt));
    renameSync(tmp, file);
  }
  return { gt, cached: false, seconds, cacheFile: file };
}
