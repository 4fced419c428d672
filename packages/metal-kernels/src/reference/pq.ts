/**
 * Reference product-quantizer kernels: FAISS's ProductQuantizer / IndexPQ /
 * IndexIVFPQ scan semantics in plain TypeScript. Table entries are computed in
 * float64 and rounded to float32; ADC sums follow FAISS's order in float32
 * (IndexPQ: groups of 4 when M % 4 == 0 and nbits is 8 or 16; IVF: dis0 plus
 * the entries added one by one). The test oracle of the native kernels.
 * Arguments are validated by the caller (pq.ts).
 */
import type { RangeSearchOutput } from '../backend';
import type {
  PqAssignArgs,
  PqCodecArgs,
  PqComputeCodesArgs,
  PqDecodeArgs,
  PqIvfRangeSearchArgs,
  PqIvfSearchArgs,
  PqPrecomputeTableArgs,
  PqRangeSearchArgs,
  PqSearchArgs,
  PqTablesArgs,
} from '../pq';

const f = Math.fround;

function shape(a: PqCodecArgs) {
  const ksub = 2 ** a.nbits;
  const dsub = a.d / a.M;
  return { ksub, dsub, cs: Math.floor((a.M * a.nbits + 7) / 8) };
}

/** Index m of a code packed LSB-first (FAISS's PQDecoderGeneric). */
export function pqIndexAt(codes: Uint8Array, o: number, m: number, nbits: number): number {
  let v = 0;
  const bit = m * nbits;
  for (let b = 0; b < nbits; b++) {
    const p = bit + b;
    if ((codes[o + (p >> 3)] >> (p & 7)) & 1) v += 2 ** b;
  }
  return v;
}

function pack(idx: number[], nbits: number, codes: Uint8Array, o: number, cs: number): void {
  for (let i = 0; i < cs; i++) codes[o + i] = 0;
  idx.forEach((v, m) => {
    for (let b = 0; b < nbits; b++) {
      if (Math.floor(v / 2 ** b) % 2) {
        const p = m * nbits + b;
        codes[o + (p >> 3)] |= 1 << (p & 7);
      }
    }
  });
}

/** One table: out[m * ksub + j] = ||x_m - c_mj||^2 (l2) or <x_m, c_mj>, float64 rounded to float32. */
function tableOf(a: PqCodecArgs, x: Float32Array, xo: number, l2: boolean, out: Float32Array, oo: number): void {
  const { ksub, dsub } = shape(a);
  for (let m = 0; m < a.M; m++) {
    for (let j = 0; j < ksub; j++) {
      let s = 0;
      const c = (m * ksub + j) * dsub;
      for (let t = 0; t < dsub; t++) {
        const u = x[xo + m * dsub + t];
        const v = a.centroids[c + t];
        s += l2 ? (u - v) * (u - v) : u * v;
      }
      out[oo + m * ksub + j] = s;
    }
  }
}

export function pqAssignReference(a: PqAssignArgs): void {
  for (let i = 0; i < a.n; i++) {
    let best = Infinity;
    let bi = 0;
    for (let j = 0; j < a.k; j++) {
      let s = 0;
      for (let t = 0; t < a.d; t++) s += (a.x[i * a.d + t] - a.centroids[j * a.d + t]) ** 2;
      const v = f(s);
      if (v < best) {
        best = v;
        bi = j;
      }
    }
    a.labels[i] = BigInt(bi);
    a.distances[i] = best;
  }
}

export function pqComputeCodesReference(a: PqComputeCodesArgs): void {
  const { ksub, cs } = shape(a);
  const tab = new Float32Array(a.M * ksub);
  for (let i = 0; i < a.n; i++) {
    tableOf(a, a.x, i * a.d, true, tab, 0);
    const idx: number[] = [];
    for (let m = 0; m < a.M; m++) {
      let best = 0;
      for (let j = 1; j < ksub; j++) if (tab[m * ksub + j] < tab[m * ksub + best]) best = j;
      idx.push(best);
    }
    pack(idx, a.nbits, a.codes, i * cs, cs);
  }
}

export function pqDecodeReference(a: PqDecodeArgs): void {
  const { ksub, dsub, cs } = shape(a);
  for (let i = 0; i < a.n; i++) {
    for (let m = 0; m < a.M; m++) {
      const j = pqIndexAt(a.codes, i * cs, m, a.nbits);
      for (let t = 0; t < dsub; t++) a.out[i * a.d + m * dsub + t] = a.centroids[(m * ksub + j) * dsub + t];
    }
  }
}

export function pqTablesReference(a: PqTablesArgs): void {
  const { ksub } = shape(a);
  for (let i = 0; i < a.n; i++) tableOf(a, a.x, i * a.d, a.metric === 1, a.out, i * a.M * ksub);
}

export function pqPrecomputeTableReference(a: PqPrecomputeTableArgs): void {
  const { ksub, dsub } = shape(a);
  const tab = a.M * ksub;
  for (let l = 0; l < a.nlist; l++) {
    tableOf(a, a.coarse, l * a.d, false, a.out, l * tab);
    for (let m = 0; m < a.M; m++) {
      for (let j = 0; j < ksub; j++) {
        let n2 = 0;
        for (let t = 0; t < dsub; t++) n2 += a.centroids[(m * ksub + j) * dsub + t] ** 2;
        const o = l * tab + m * ksub + j;
        a.out[o] = f(n2) + 2 * a.out[o];
      }
    }
  }
}

/** FAISS's ADC sum of one code: grouped by 4 (IndexPQ) or one by one. */
function adc(codes: Uint8Array, o: number, a: PqCodecArgs, table: Float32Array, to: number, group4: boolean): number {
  const { ksub } = shape(a);
  const at = (m: number) => table[to + m * ksub + pqIndexAt(codes, o, m, a.nbits)];
  let dis = 0;
  if (group4) {
    for (let m = 0; m < a.M; m += 4) dis = f(dis + f(f(f(at(m) + at(m + 1)) + at(m + 2)) + at(m + 3)));
  } else {
    for (let m = 0; m < a.M; m++) dis = f(dis + at(m));
  }
  return dis;
}

interface Cand {
  s: number;
  id: bigint;
}

function byScore(x: Cand, y: Cand): number {
  if (x.s !== y.s) return x.s - y.s;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

function writeTopk(c: Cand[], l2: boolean, k: number, q: number, distances: Float32Array, labels: BigInt64Array): void {
  c.sort(byScore);
  for (let e = 0; e < k; e++) {
    distances[q * k + e] = e < c.length ? (l2 ? c[e].s : -c[e].s) : l2 ? Infinity : -Infinity;
    labels[q * k + e] = e < c.length ? c[e].id : -1n;
  }
}

function rangeOut(per: Cand[][], l2: boolean): RangeSearchOutput {
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
      distances[t] = l2 ? h.s : -h.s;
      labels[t++] = h.id;
    }
  }
  return { lims, distances, labels };
}

function flatCands(a: PqSearchArgs | PqRangeSearchArgs, keep: (s: number) => boolean): Cand[][] {
  const { ksub, cs } = shape(a);
  const l2 = a.metric === 1;
  const tab = new Float32Array(a.M * ksub);
  const group4 = (a.nbits === 8 || a.nbits === 16) && a.M % 4 === 0;
  const offset = BigInt(a.labelOffset ?? 0);
  const per: Cand[][] = [];
  for (let q = 0; q < a.nq; q++) {
    tableOf(a, a.xq, q * a.d, l2, tab, 0);
    const c: Cand[] = [];
    for (let j = 0; j < a.nb; j++) {
      if (a.mask && !a.mask[j]) continue;
      const v = adc(a.codes, j * cs, a, tab, 0, group4);
      const s = l2 ? v : -v;
      if (keep(s)) c.push({ s, id: BigInt(j) + offset });
    }
    per.push(c);
  }
  return per;
}

export function pqSearchReference(a: PqSearchArgs): void {
  flatCands(a, (s) => s < Infinity).forEach((c, q) => writeTopk(c, a.metric === 1, a.k, q, a.distances, a.labels));
}

export function pqRangeSearchReference(a: PqRangeSearchArgs): RangeSearchOutput {
  const limit = f(a.metric === 1 ? a.radius : -a.radius);
  return rangeOut(flatCands(a, (s) => s < limit), a.metric === 1);
}

function ivfCands(a: PqIvfSearchArgs | PqIvfRangeSearchArgs, keep: (s: number) => boolean): Cand[][] {
  const { ksub, cs } = shape(a);
  const l2 = a.metric === 1;
  const tab = a.M * ksub;
  const qtab = new Float32Array(tab);
  const ltab = new Float32Array(tab);
  const residual = new Float32Array(a.d);
  const withTable = l2 && a.byResidual && a.precomputed !== undefined && a.precomputed !== null;
  const per: Cand[][] = [];
  for (let q = 0; q < a.nq; q++) {
    const c: Cand[] = [];
    if (!(l2 && a.byResidual && !withTable)) tableOf(a, a.xq, q * a.d, l2 && !a.byResidual, qtab, 0);
    for (let p = 0; p < a.nprobe; p++) {
      const key = Number(a.coarse[q * a.nprobe + p]);
      if (key < 0) continue;
      let table = qtab;
      let dis0 = 0;
      if (l2 && a.byResidual && !withTable) {
        for (let t = 0; t < a.d; t++) residual[t] = f(a.xq[q * a.d + t] - a.coarseCentroids![key * a.d + t]);
        tableOf(a, residual, 0, true, ltab, 0);
        table = ltab;
      } else if (withTable) {
        for (let i = 0; i < tab; i++) ltab[i] = a.precomputed![key * tab + i] - 2 * qtab[i];
        table = ltab;
        dis0 = a.coarseDis[q * a.nprobe + p];
      } else if (a.byResidual) {
        let s = 0;
        for (let t = 0; t < a.d; t++) s += a.xq[q * a.d + t] * a.coarseCentroids![key * a.d + t];
        dis0 = f(s);
      }
      const n = a.lists.sizes[key];
      const mask = a.masks ? a.masks[key] : null;
      for (let j = 0; j < n; j++) {
        if (mask && !mask[j]) continue;
        const v = f(dis0 + adc(a.lists.codes[key], j * cs, a, table, 0, false));
        const s = l2 ? v : -v;
        if (keep(s)) c.push({ s, id: a.lists.ids[key][j] });
      }
    }
    per.push(c);
  }
  return per;
}

export function pqIvfSearchReference(a: PqIvfSearchArgs): void {
  ivfCands(a, (s) => s < Infinity).forEach((c, q) => writeTopk(c, a.metric === 1, a.k, q, a.distances, a.labels));
}

export function pqIvfRangeSearchReference(a: PqIvfRangeSearchArgs): RangeSearchOutput {
  const limit = f(a.metric === 1 ? a.radius : -a.radius);
  return rangeOut(ivfCands(a, (s) => s < limit), a.metric === 1);
}
