/**
 * Plain-TypeScript reference search and decoding, written from FAISS's
 * definitions, used to check that what we read means what FAISS means:
 * brute-force k-NN (L2, IP, L1, Linf, Lp, Hamming), IVF probing, PQ and SQ
 * decoding, LSH encoding and vector transforms.
 */
import { expect } from 'vitest';
import type {
  IndexLSHRecord,
  InvertedList,
  ProductQuantizerRecord,
  ScalarQuantizerRecord,
  VectorTransformRecord,
} from '../../src/index';

export interface Knn {
  D: Float32Array;
  I: BigInt64Array;
}

export function distance(metric: number, arg: number, x: Float32Array, xo: number, y: Float32Array, yo: number, d: number): number {
  let s = 0;
  switch (metric) {
    case 0:
      for (let j = 0; j < d; j++) s += x[xo + j] * y[yo + j];
      return s;
    case 1:
      for (let j = 0; j < d; j++) {
        const t = x[xo + j] - y[yo + j];
        s += t * t;
      }
      return s;
    case 2:
      for (let j = 0; j < d; j++) s += Math.abs(x[xo + j] - y[yo + j]);
      return s;
    case 3:
      for (let j = 0; j < d; j++) s = Math.max(s, Math.abs(x[xo + j] - y[yo + j]));
      return s;
    case 4:
      for (let j = 0; j < d; j++) s += Math.abs(x[xo + j] - y[yo + j]) ** arg;
      return s;
    default:
      throw new Error(`metric ${metric} not in the reference`);
  }
}

/** Top-k of candidate (distance, label) pairs; inner product keeps the largest. Pads with -1. */
export function topK(dist: Float64Array, labels: BigInt64Array, k: number, similarity: boolean): { D: Float64Array; I: BigInt64Array } {
  const order = Array.from(dist.keys());
  order.sort((a, b) => (similarity ? dist[b] - dist[a] : dist[a] - dist[b]) || a - b);
  const D = new Float64Array(k).fill(similarity ? -Infinity : Infinity);
  const I = new BigInt64Array(k).fill(-1n);
  for (let j = 0; j < Math.min(k, order.length); j++) {
    D[j] = dist[order[j]];
    I[j] = labels[order[j]];
  }
  return { D, I };
}

/** Exhaustive k-NN of nq queries against vectors xb (labels default to 0..n-1). */
export function knn(xb: Float32Array, d: number, xq: Float32Array, k: number, metric: number, arg = 0, labels?: BigInt64Array): Knn {
  const nb = d === 0 ? 0 : xb.length / d;
  const nq = xq.length / d;
  const lab = labels ?? BigInt64Array.from({ length: nb }, (_, i) => BigInt(i));
  const D = new Float32Array(nq * k);
  const I = new BigInt64Array(nq * k);
  const dist = new Float64Array(nb);
  for (let q = 0; q < nq; q++) {
    for (let i = 0; i < nb; i++) dist[i] = distance(metric, arg, xq, q * d, xb, i * d, d);
    const r = topK(dist, lab, k, metric === 0);
    D.set(r.D, q * k);
    I.set(r.I, q * k);
  }
  return { D, I };
}

const POP = new Uint8Array(256).map((_, i) => {
  let c = 0;
  for (let v = i; v; v >>= 1) c += v & 1;
  return c;
});

export function hamming(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += POP[a[ao + j] ^ b[bo + j]];
  return s;
}

export function hammingKnn(codes: Uint8Array, cs: number, q: Uint8Array, k: number, labels?: BigInt64Array): Knn {
  const nb = codes.length / cs;
  const nq = q.length / cs;
  const lab = labels ?? BigInt64Array.from({ length: nb }, (_, i) => BigInt(i));
  const D = new Float32Array(nq * k);
  const I = new BigInt64Array(nq * k);
  const dist = new Float64Array(nb);
  for (let qi = 0; qi < nq; qi++) {
    for (let i = 0; i < nb; i++) dist[i] = hamming(q, qi * cs, codes, i * cs, cs);
    const r = topK(dist, lab, k, false);
    D.set(r.D, qi * k);
    I.set(r.I, qi * k);
  }
  return { D, I };
}

/**
 * IVF search: `probes(q)` gives the lists to scan for query q, `vectors(list)`
 * the decoded vectors of a list (for residual encodings, centroid added).
 */
export function ivfKnn(
  lists: InvertedList[],
  probes: (q: number) => number[],
  vectors: (list: number) => Float32Array,
  xq: Float32Array,
  d: number,
  k: number,
  metric: number,
): Knn {
  const nq = xq.length / d;
  const D = new Float32Array(nq * k);
  const I = new BigInt64Array(nq * k);
  const cache = new Map<number, Float32Array>();
  for (let q = 0; q < nq; q++) {
    const dists: number[] = [];
    const labs: bigint[] = [];
    for (const l of probes(q)) {
      if (!cache.has(l)) cache.set(l, vectors(l));
      const v = cache.get(l) as Float32Array;
      const ids = lists[l].ids;
      for (let i = 0; i < ids.length; i++) {
        dists.push(distance(metric, 0, xq, q * d, v, i * d, d));
        labs.push(ids[i]);
      }
    }
    const r = topK(Float64Array.from(dists), BigInt64Array.from(labs), k, metric === 0);
    D.set(r.D, q * k);
    I.set(r.I, q * k);
  }
  return { D, I };
}

/** The labels of a k-NN result for query q, as numbers. */
export function row(I: BigInt64Array, q: number, k: number): number[] {
  return Array.from(I.subarray(q * k, q * k + k), Number);
}

export function floatsOf(codes: Uint8Array): Float32Array {
  return new Float32Array(codes.slice().buffer);
}

/** PQ decoding: code m is nbits bits at bit offset m * nbits, LSB first. */
export function decodePQ(pq: ProductQuantizerRecord, codes: Uint8Array, n: number): Float32Array {
  const { d, M, nbits } = pq;
  const dsub = d / M;
  const ksub = 2 ** nbits;
  const cs = Math.ceil((M * nbits) / 8);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < M; m++) {
      let c = 0;
      for (let b = 0; b < nbits; b++) {
        const bit = m * nbits + b;
        if (codes[i * cs + (bit >> 3)] & (1 << (bit & 7))) c |= 1 << b;
      }
      out.set(pq.centroids.subarray((m * ksub + c) * dsub, (m * ksub + c + 1) * dsub), i * d + m * dsub);
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** ScalarQuantizer decoding for the FAISS 1.7.3 qtypes, in float32 arithmetic. */
export function decodeSQ(sq: ScalarQuantizerRecord, codes: Uint8Array, n: number): Float32Array {
  const { d, codeSize, qtype, trained } = sq;
  const f = Math.fround;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = codes.subarray(i * codeSize, (i + 1) * codeSize);
    for (let j = 0; j < d; j++) {
      let v: number;
      if (qtype === 4) {
        v = halfToFloat(c[2 * j] | (c[2 * j + 1] << 8));
      } else if (qtype === 5) {
        v = c[j];
      } else {
        let xi: number;
        if (qtype === 0 || qtype === 2) xi = f(f(c[j] + 0.5) / 255);
        else if (qtype === 1 || qtype === 3) xi = f(f(((c[j >> 1] >> ((j & 1) * 4)) & 0xf) + 0.5) / 15);
        else {
          const b = c.subarray((j >> 2) * 3);
          const bits = [b[0] & 0x3f, (b[0] >> 6) | ((b[1] & 0xf) << 2), (b[1] >> 4) | ((b[2] & 3) << 4), b[2] >> 2][j & 3];
          xi = f(f(bits + 0.5) / 63);
        }
        const uniform = qtype === 2 || qtype === 3;
        const vmin = uniform ? trained[0] : trained[j];
        const vdiff = uniform ? trained[1] : trained[d + j];
        v = f(vmin + f(xi * vdiff));
      }
      out[i * d + j] = v;
    }
  }
  return out;
}

function linearApply(t: { A: Float32Array; b: Float32Array; haveBias: boolean; dIn: number; dOut: number }, x: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n * t.dOut);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < t.dOut; r++) {
      let s = t.haveBias ? t.b[r] : 0;
      for (let c = 0; c < t.dIn; c++) s += t.A[r * t.dIn + c] * x[i * t.dIn + c];
      out[i * t.dOut + r] = s;
    }
  }
  return out;
}

function renormL2(x: Float32Array, d: number): Float32Array {
  const out = x.slice();
  for (let i = 0; i < x.length / d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j] ** 2;
    if (s > 0) for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] / Math.sqrt(s);
  }
  return out;
}

/** Applies a VectorTransform record to n vectors of t.dIn floats. */
export function applyTransform(t: VectorTransformRecord, x: Float32Array, n: number): Float32Array {
  switch (t.fourcc) {
    case 'LTra':
    case 'rrot':
    case 'Pcam':
    case 'PcAm':
    case 'PCAm':
    case 'Viqm':
      return linearApply(t, x, n);
    case 'VNrm':
      if (t.norm !== 2) throw new Error('only L2 normalization');
      return renormL2(x, t.dIn);
    case 'VCnt': {
      const out = x.slice();
      for (let i = 0; i < n; i++) for (let j = 0; j < t.dIn; j++) out[i * t.dIn + j] -= t.mean[j];
      return out;
    }
    case 'Viqt': {
      const c = x.slice();
      for (let i = 0; i < n; i++) for (let j = 0; j < t.dIn; j++) c[i * t.dIn + j] -= t.mean[j];
      return applyTransform(t.pcaThenItq, renormL2(c, t.dIn), n);
    }
    case 'RmDT': {
      const out = new Float32Array(n * t.dOut);
      for (let i = 0; i < n; i++) for (let j = 0; j < t.dOut; j++) out[i * t.dOut + j] = t.map[j] >= 0 ? x[i * t.dIn + t.map[j]] : 0;
      return out;
    }
  }
}

/** IndexLSH encoding: rotate (or truncate), subtract thresholds, bit j = (x_j >= 0). */
export function lshEncode(rec: IndexLSHRecord, x: Float32Array, n: number): Uint8Array {
  const d = rec.header.d;
  const nb = rec.nbits;
  let t: Float32Array;
  if (rec.rotateData) t = linearApply(rec.rrot, x, n);
  else {
    t = new Float32Array(n * nb);
    for (let i = 0; i < n; i++) t.set(x.subarray(i * d, i * d + nb), i * nb);
  }
  const out = new Uint8Array(n * rec.codeSize);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nb; j++) {
      const v = Math.fround(t[i * nb + j] - (rec.trainThresholds ? rec.thresholds[j] : 0));
      if (v >= 0) out[i * rec.codeSize + (j >> 3)] |= 1 << (j & 7);
    }
  }
  return out;
}

/**
 * Compares a k-NN result with a reference (FAISS's). Distances must agree
 * within tol; labels must agree except where distances tie within tol (the
 * order among equal distances is arbitrary). Returns the fraction of
 * positions whose labels match exactly.
 */
export function expectSameKnn(what: string, ours: Knn, ref: Knn, k: number, relTol = 1e-4, absTol = 1e-4): number {
  const nq = ref.I.length / k;
  expect(ours.I.length, `${what}: result size`).toBe(ref.I.length);
  const tol = (v: number): number => absTol + relTol * Math.abs(v);
  let exact = 0;
  for (let q = 0; q < nq; q++) {
    const rI = row(ref.I, q, k);
    for (let j = 0; j < k; j++) {
      const p = q * k + j;
      const rl = ref.I[p];
      const ol = ours.I[p];
      if (rl === -1n) {
        expect(ol, `${what}: query ${q} rank ${j} should be empty`).toBe(-1n);
        exact++;
        continue;
      }
      const rd = ref.D[p];
      expect(Math.abs(ours.D[p] - rd), `${what}: query ${q} rank ${j} distance ${ours.D[p]} vs ${rd}`).toBeLessThanOrEqual(tol(rd));
      if (ol === rl) {
        exact++;
        continue;
      }
      const j2 = rI.indexOf(Number(ol));
      const tied =
        j2 >= 0 ? Math.abs(ref.D[q * k + j2] - rd) <= tol(rd) : Math.abs(ours.D[p] - ref.D[q * k + k - 1]) <= tol(ref.D[q * k + k - 1]);
      expect(tied, `${what}: query ${q} rank ${j}: label ${ol} vs ${rl} without a distance tie`).toBe(true);
    }
  }
  return exact / ref.I.length;
}
