/**
 * Reference scalar-quantizer kernels: FAISS 1.7.3's scalar code path
 * (ScalarQuantizer.cpp with SIMDWIDTH 1, as Debian's generic build runs it),
 * float32 arithmetic emulated with Math.fround, one component at a time.
 * Encode and decode are bit-exact; scan scores follow FAISS's per-component
 * accumulation. The test oracle of the native kernels. Arguments are
 * validated by the caller (sq.ts).
 */
import type { RangeSearchOutput } from '../backend';
import type {
  SqCodecArgs,
  SqDecodeArgs,
  SqEncodeArgs,
  SqIvfRangeSearchArgs,
  SqIvfSearchArgs,
  SqRangeSearchArgs,
  SqSearchArgs,
} from '../sq';

const f = Math.fround;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function bitsOfFloat(x: number): number {
  F32[0] = x;
  return U32[0];
}
function floatOfBits(b: number): number {
  U32[0] = b >>> 0;
  return F32[0];
}

/** FAISS's encode_fp16 (fp16-inl.h): round half away from zero in magnitude. */
export function encodeFp16(x: number): number {
  let fint = bitsOfFloat(x);
  const sign = (fint & 0x80000000) >>> 0;
  fint = (fint ^ sign) >>> 0;
  const infty = (255 << 23) >>> 0;
  let o = fint > infty ? 0x7e00 : 0x7c00;
  let fscale = f(floatOfBits((fint & ~0xfff) >>> 0) * floatOfBits((15 << 23) >>> 0));
  fscale = Math.min(fscale, floatOfBits(((31 << 23) - 0x1000) >>> 0));
  const fint2 = (bitsOfFloat(fscale) + 0x1000) | 0;
  if (fint < infty) o = fint2 >> 13;
  return (o | (sign >>> 16)) & 0xffff;
}

/** IEEE half to float (exact). */
export function decodeFp16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return man ? Number.NaN : sign * Infinity;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

/** (uint8_t)x as FAISS's x86-64 build computes it: truncate to int32 (out of range or NaN -> INT32_MIN), low byte. */
export function floatToByte(x: number): number {
  if (!(x > -2147483649 && x < 2147483648)) return 0;
  return Math.trunc(x) & 255;
}

function uniform(qtype: number): boolean {
  return qtype === 2 || qtype === 3;
}
function bits(qtype: number): number {
  if (qtype === 1 || qtype === 3) return 4;
  if (qtype === 6) return 6;
  return 8;
}
function codeSize(qtype: number, d: number): number {
  if (qtype === 1 || qtype === 3) return Math.floor((d + 1) / 2);
  if (qtype === 6) return Math.floor((d * 6 + 7) / 8);
  if (qtype === 4) return 2 * d;
  return d;
}

function vminOf(c: SqCodecArgs, j: number): number {
  return uniform(c.qtype) ? c.trained[0] : c.trained[j];
}
function vdiffOf(c: SqCodecArgs, j: number): number {
  return uniform(c.qtype) ? c.trained[1] : c.trained[c.d + j];
}

/** The integer level of one component (QuantizerTemplate::encode_vector + Codec::encode_component). */
function levelOf(x: number, vmin: number, vdiff: number, nbits: number): number {
  let xi = 0;
  if (vdiff !== 0) {
    xi = f(f(x - vmin) / vdiff);
    if (xi < 0) xi = 0;
    if (xi > 1) xi = 1;
  }
  if (nbits === 8) return Math.trunc(f(255 * xi));
  return Math.trunc(xi * (nbits === 4 ? 15 : 63));
}

function levelAt(nbits: number, codes: Uint8Array, o: number, i: number): number {
  if (nbits === 8) return codes[o + i];
  if (nbits === 4) return (codes[o + (i >> 1)] >> ((i & 1) << 2)) & 15;
  const p = o + (i >> 2) * 3;
  const v = codes[p] | (codes[p + 1] << 8) | (codes[p + 2] << 16);
  return (v >> (6 * (i & 3))) & 63;
}

/** FAISS's reconstruct_component: vmin + ((level + 0.5f) / S) * vdiff in float32. */
function componentAt(c: SqCodecArgs, codes: Uint8Array, o: number, i: number): number {
  if (c.qtype === 4) return decodeFp16(codes[o + 2 * i] | (codes[o + 2 * i + 1] << 8));
  if (c.qtype === 5) return codes[o + i];
  const nbits = bits(c.qtype);
  const S = nbits === 8 ? 255 : nbits === 4 ? 15 : 63;
  const level = f(f(levelAt(nbits, codes, o, i) + 0.5) / S);
  return f(vminOf(c, i) + f(level * vdiffOf(c, i)));
}

export function sqEncodeReference(a: SqEncodeArgs): void {
  const { qtype, d, x, n, codes } = a;
  const cs = codeSize(qtype, d);
  const nbits = bits(qtype);
  codes.fill(0);
  for (let r = 0; r < n; r++) {
    const o = r * cs;
    const xo = r * d;
    for (let i = 0; i < d; i++) {
      const v = x[xo + i];
      if (qtype === 4) {
        const h = encodeFp16(v);
        codes[o + 2 * i] = h & 255;
        codes[o + 2 * i + 1] = h >> 8;
        continue;
      }
      if (qtype === 5) {
        codes[o + i] = floatToByte(v);
        continue;
      }
      const b = levelOf(v, vminOf(a, i), vdiffOf(a, i), nbits);
      if (nbits === 8) codes[o + i] = b;
      else if (nbits === 4) codes[o + (i >> 1)] |= b << ((i & 1) << 2);
      else {
        const p = o + (i >> 2) * 3;
        switch (i & 3) {
          case 0:
            codes[p] |= b;
            break;
          case 1:
            codes[p] |= (b << 6) & 255;
            codes[p + 1] |= b >> 2;
            break;
          case 2:
            codes[p + 1] |= (b << 4) & 255;
            codes[p + 2] |= b >> 4;
            break;
          default:
            codes[p + 2] |= (b << 2) & 255;
        }
      }
    }
  }
}

export function sqDecodeReference(a: SqDecodeArgs): void {
  const cs = codeSize(a.qtype, a.d);
  for (let r = 0; r < a.n; r++) {
    for (let i = 0; i < a.d; i++) a.out[r * a.d + i] = componentAt(a, a.codes, r * cs, i);
  }
}

/** FAISS's integer path: QT_8bit_direct with d % 16 == 0. */
function byteKind(c: SqCodecArgs): boolean {
  return c.qtype === 5 && c.d % 16 === 0;
}

/**
 * FAISS's score of one code for a query y (already the residual for L2 +
 * byResidual): the squared L2 distance, or the inner product plus accu0.
 */
function distanceToCode(c: SqCodecArgs, metric: number, y: Float32Array, yo: number, codes: Uint8Array, o: number, accu0: number): number {
  const d = c.d;
  if (byteKind(c)) {
    let accu = 0;
    for (let i = 0; i < d; i++) {
      const q = floatToByte(y[yo + i]);
      const v = codes[o + i];
      accu = (accu + (metric === 1 ? (q - v) * (q - v) : q * v)) | 0;
    }
    return metric === 1 ? f(accu) : f(accu0 + f(accu));
  }
  let accu = 0;
  for (let i = 0; i < d; i++) {
    const x = componentAt(c, codes, o, i);
    if (metric === 1) {
      const t = f(y[yo + i] - x);
      accu = f(accu + f(t * t));
    } else {
      accu = f(accu + f(y[yo + i] * x));
    }
  }
  return metric === 1 ? accu : f(accu0 + accu);
}

interface Cand {
  s: number; // score: smaller is better
  id: bigint;
}

function byScore(a: Cand, b: Cand): number {
  if (a.s !== b.s) return a.s - b.s;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function writeTopk(cands: Cand[], metric: number, k: number, q: number, distances: Float32Array, labels: BigInt64Array): void {
  cands.sort(byScore);
  for (let e = 0; e < k; e++) {
    if (e < cands.length) {
      distances[q * k + e] = metric === 1 ? cands[e].s : -cands[e].s;
      labels[q * k + e] = cands[e].id;
    } else {
      distances[q * k + e] = metric === 1 ? Infinity : -Infinity;
      labels[q * k + e] = -1n;
    }
  }
}

function flatScores(a: SqSearchArgs | SqRangeSearchArgs, q: number, keep: (s: number) => boolean): Cand[] {
  const cs = codeSize(a.qtype, a.d);
  const out: Cand[] = [];
  const offset = BigInt(a.labelOffset ?? 0);
  for (let j = 0; j < a.nb; j++) {
    if (a.mask && !a.mask[j]) continue;
    const v = distanceToCode(a, a.metric, a.xq, q * a.d, a.codes, j * cs, 0);
    const s = a.metric === 1 ? v : -v;
    if (keep(s)) out.push({ s, id: BigInt(j) + offset });
  }
  return out;
}

export function sqSearchReference(a: SqSearchArgs): void {
  for (let q = 0; q < a.nq; q++) writeTopk(flatScores(a, q, (s) => s < Infinity), a.metric, a.k, q, a.distances, a.labels);
}

function rangeOut(per: Cand[][], metric: number): RangeSearchOutput {
  const lims = new BigInt64Array(per.length + 1);
  let n = 0;
  per.forEach((c, q) => {
    n += c.length;
    lims[q + 1] = BigInt(n);
  });
  const distances = new Float32Array(n);
  const labels = new BigInt64Array(n);
  let t = 0;
  for (const c of per) {
    for (const h of c) {
      distances[t] = metric === 1 ? h.s : -h.s;
      labels[t++] = h.id;
    }
  }
  return { lims, distances, labels };
}

export function sqRangeSearchReference(a: SqRangeSearchArgs): RangeSearchOutput {
  const limit = f(a.metric === 1 ? a.radius : -a.radius);
  const per: Cand[][] = [];
  for (let q = 0; q < a.nq; q++) per.push(flatScores(a, q, (s) => s < limit));
  return rangeOut(per, a.metric);
}

function ivfScores(a: SqIvfSearchArgs | SqIvfRangeSearchArgs, q: number, keep: (s: number) => boolean): Cand[] {
  const { d, nprobe } = a;
  const cs = codeSize(a.qtype, d);
  const out: Cand[] = [];
  const y = new Float32Array(d);
  for (let p = 0; p < nprobe; p++) {
    const key = Number(a.coarse[q * nprobe + p]);
    if (key < 0) continue;
    const n = a.lists.sizes[key];
    const codes = a.lists.codes[key];
    const ids = a.lists.ids[key];
    const mask = a.masks ? a.masks[key] : null;
    let accu0 = 0;
    for (let i = 0; i < d; i++) y[i] = a.xq[q * d + i];
    if (a.byResidual) {
      if (a.metric === 1) for (let i = 0; i < d; i++) y[i] = f(a.xq[q * d + i] - a.centroids![key * d + i]);
      else accu0 = a.coarseDis[q * nprobe + p];
    }
    for (let j = 0; j < n; j++) {
      if (mask && !mask[j]) continue;
      const v = distanceToCode(a, a.metric, y, 0, codes, j * cs, accu0);
      const s = a.metric === 1 ? v : -v;
      if (keep(s)) out.push({ s, id: ids[j] });
    }
  }
  return out;
}

export function sqIvfSearchReference(a: SqIvfSearchArgs): void {
  for (let q = 0; q < a.nq; q++) writeTopk(ivfScores(a, q, (s) => s < Infinity), a.metric, a.k, q, a.distances, a.labels);
}

export function sqIvfRangeSearchReference(a: SqIvfRangeSearchArgs): RangeSearchOutput {
  const limit = f(a.metric === 1 ? a.radius : -a.radius);
  const per: Cand[][] = [];
  for (let q = 0; q < a.nq; q++) per.push(ivfScores(a, q, (s) => s < limit));
  return rangeOut(per, a.metric);
}
