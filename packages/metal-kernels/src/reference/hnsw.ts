/**
 * Plain-TypeScript HNSW kernels: the oracle of the native ones and the
 * fallback when the addon cannot load. They follow FAISS 1.7.3 step for step
 * (see native/hnsw.h), including the two heaps whose tie behaviour matters:
 * FAISS's own 1-based heaps (MinimaxHeap, result heap) and libstdc++'s
 * std::priority_queue (used by insertion), reproduced here operation for
 * operation. Distances are summed in float64 and rounded to float32, so on
 * data whose sums are exact (small integers) they equal the native ones bit
 * for bit and both backends build the same graph.
 */
import type {
  HnswAddArgs,
  HnswAddResult,
  HnswGraphArrays,
  HnswRangeArgs,
  HnswSearchArgs,
  HnswStorageArrays,
} from '../hnsw-types';
import { HNSW_STORAGE_BINARY, HNSW_STORAGE_FLAT, HNSW_STORAGE_PQ } from '../hnsw-types';
import type { RangeSearchOutput } from '../backend';
import { validateHnswAdd, validateHnswRange, validateHnswSearch, storageCodeSize } from '../hnsw-validate';
import { hammingDistance } from './hamming';

const FLT_MAX = 3.4028234663852886e38;
const f32 = Math.fround;

// ------------------------------------------------------------------ libstdc++ priority_queue

/** std::priority_queue with libstdc++'s push_heap / pop_heap (__adjust_heap) steps. */
export class StdPriorityQueue<T> {
  readonly c: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.c.length;
  }
  top(): T {
    return this.c[0];
  }
  push(value: T): void {
    this.c.push(value);
    this.pushHeap(this.c.length - 1, 0, value);
  }
  pop(): void {
    const c = this.c;
    const len = c.length;
    if (len > 1) {
      const last = len - 1;
      const value = c[last];
      c[last] = c[0];
      this.adjustHeap(0, last, value);
    }
    c.pop();
  }
  private pushHeap(holeIndex: number, topIndex: number, value: T): void {
    const c = this.c;
    let parent = Math.floor((holeIndex - 1) / 2);
    while (holeIndex > topIndex && this.less(c[parent], value)) {
      c[holeIndex] = c[parent];
      holeIndex = parent;
      parent = Math.floor((holeIndex - 1) / 2);
    }
    c[holeIndex] = value;
  }
  private adjustHeap(holeIndex: number, len: number, value: T): void {
    const c = this.c;
    const topIndex = holeIndex;
    let secondChild = holeIndex;
    while (secondChild < Math.floor((len - 1) / 2)) {
      secondChild = 2 * (secondChild + 1);
      if (this.less(c[secondChild], c[secondChild - 1])) secondChild--;
      c[holeIndex] = c[secondChild];
      holeIndex = secondChild;
    }
    if ((len & 1) === 0 && secondChild === Math.floor((len - 2) / 2)) {
      secondChild = 2 * (secondChild + 1);
      c[holeIndex] = c[secondChild - 1];
      holeIndex = secondChild - 1;
    }
    this.pushHeap(holeIndex, topIndex, value);
  }
}

interface NodeDist {
  d: number;
  id: number;
}
/** priority_queue<NodeDistCloser>: top = largest distance. */
const closer = (): StdPriorityQueue<NodeDist> => new StdPriorityQueue<NodeDist>((a, b) => a.d < b.d);
/** priority_queue<NodeDistFarther>: top = smallest distance. */
const farther = (): StdPriorityQueue<NodeDist> => new StdPriorityQueue<NodeDist>((a, b) => a.d > b.d);

// ------------------------------------------------------------------ FAISS heaps (1-based)

function cmax2(a1: number, b1: number, a2: number, b2: number): boolean {
  return a1 > b1 || (a1 === b1 && a2 > b2);
}

type Ids = Int32Array | number[];

function maxheapPush(k: number, val: Float32Array | number[], ids: Ids, o: number, v: number, id: number): void {
  let i = k;
  while (i > 1) {
    const father = i >> 1;
    if (!cmax2(v, val[o + father - 1], id, ids[o + father - 1])) break;
    val[o + i - 1] = val[o + father - 1];
    ids[o + i - 1] = ids[o + father - 1];
    i = father;
  }
  val[o + i - 1] = v;
  ids[o + i - 1] = id;
}

function siftDown(k: number, val: Float32Array | number[], ids: Ids, o: number, v: number, id: number): number {
  let i = 1;
  for (;;) {
    const i1 = i << 1;
    const i2 = i1 + 1;
    if (i1 > k) break;
    if (i2 === k + 1 || cmax2(val[o + i1 - 1], val[o + i2 - 1], ids[o + i1 - 1], ids[o + i2 - 1])) {
      if (cmax2(v, val[o + i1 - 1], id, ids[o + i1 - 1])) break;
      val[o + i - 1] = val[o + i1 - 1];
      ids[o + i - 1] = ids[o + i1 - 1];
      i = i1;
    } else {
      if (cmax2(v, val[o + i2 - 1], id, ids[o + i2 - 1])) break;
      val[o + i - 1] = val[o + i2 - 1];
      ids[o + i - 1] = ids[o + i2 - 1];
      i = i2;
    }
  }
  return i;
}

function maxheapPop(k: number, val: Float32Array | number[], ids: Ids, o: number): void {
  const v = val[o + k - 1];
  const id = ids[o + k - 1];
  const i = siftDown(k, val, ids, o, v, id);
  val[o + i - 1] = val[o + k - 1];
  ids[o + i - 1] = ids[o + k - 1];
}

function maxheapReplaceTop(k: number, val: Float32Array | number[], ids: Ids, o: number, v: number, id: number): void {
  const i = siftDown(k, val, ids, o, v, id);
  val[o + i - 1] = v;
  ids[o + i - 1] = id;
}

function maxheapReorder(k: number, val: number[], ids: number[]): void {
  let ii = 0;
  for (let i = 0; i < k; i++) {
    const v = val[0];
    const id = ids[0];
    maxheapPop(k - i, val, ids, 0);
    val[k - ii - 1] = v;
    ids[k - ii - 1] = id;
    if (id !== -1) ii++;
  }
  const sv = val.slice(k - ii, k);
  const si = ids.slice(k - ii, k);
  for (let t = 0; t < ii; t++) {
    val[t] = sv[t];
    ids[t] = si[t];
  }
  for (; ii < k; ii++) {
    val[ii] = FLT_MAX;
    ids[ii] = -1;
  }
}

/** FAISS 1.7.3's MinimaxHeap, quirks included (see native/hnsw.cc). */
class MinimaxHeap {
  k = 0;
  nvalid = 0;
  readonly ids: number[];
  readonly dis: number[];
  constructor(readonly n: number) {
    this.ids = new Array<number>(n).fill(0);
    this.dis = new Array<number>(n).fill(0);
  }
  push(i: number, v: number): void {
    if (this.k === this.n) {
      if (v >= this.dis[0]) return;
      maxheapPop(this.k--, this.dis, this.ids, 0);
      --this.nvalid;
    }
    maxheapPush(++this.k, this.dis, this.ids, 0, v, i);
    ++this.nvalid;
  }
  size(): number {
    return this.nvalid;
  }
  popMin(): { id: number; d: number } {
    let i = this.k - 1;
    while (i >= 0) {
      if (this.ids[i] !== -1) break;
      i--;
    }
    if (i === -1) return { id: -1, d: 0 };
    let imin = i;
    let vmin = this.dis[i];
    i--;
    while (i >= 0) {
      if (this.ids[i] !== -1 && this.dis[i] < vmin) {
        vmin = this.dis[i];
        imin = i;
      }
      i--;
    }
    const ret = this.ids[imin];
    this.ids[imin] = -1;
    --this.nvalid;
    return { id: ret, d: vmin };
  }
  countBelow(thresh: number): number {
    let n = 0;
    for (let i = 0; i < this.k; i++) if (this.dis[i] < thresh) n++;
    return n;
  }
}

class VisitedTable {
  readonly visited: Uint8Array;
  visno = 1;
  constructor(n: number) {
    this.visited = new Uint8Array(n);
  }
  set(no: number): void {
    this.visited[no] = this.visno;
  }
  get(no: number): boolean {
    return this.visited[no] === this.visno;
  }
  advance(): void {
    this.visno++;
    if (this.visno === 250) {
      this.visited.fill(0);
      this.visno = 1;
    }
  }
}

// ------------------------------------------------------------------ distances

interface Dis {
  setQuery(row: number, x: Float32Array | Uint8Array): void;
  dis(i: number): number;
  symmetric(i: number, j: number): number;
  /** query distances equal symmetric ones (flat storage) */
  exact: boolean;
}

type Vec = Float32Array | Uint8Array | Int8Array;

function l2(x: Vec, a: number, y: Vec, b: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) {
    const u = x[a + t] - y[b + t];
    s += u * u;
  }
  return f32(s);
}

function ip(x: Vec, a: number, y: Vec, b: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += x[a + t] * y[b + t];
  return f32(s);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Decodes one SQ code as FAISS's ScalarQuantizer (float32 arithmetic). */
export function sqDecode(qtype: number, trained: Float32Array | undefined, d: number, code: Uint8Array, o: number, out: Float32Array): void {
  const t = trained ?? new Float32Array(0);
  for (let i = 0; i < d; i++) {
    let v: number;
    switch (qtype) {
      case 0:
        v = f32(t[i] + f32(f32(f32(code[o + i] + 0.5) / 255) * t[d + i]));
        break;
      case 1:
        v = f32(t[i] + f32(f32(f32(((code[o + (i >> 1)] >> ((i & 1) << 2)) & 0xf) + 0.5) / 15) * t[d + i]));
        break;
      case 2:
        v = f32(t[0] + f32(f32(f32(code[o + i] + 0.5) / 255) * t[1]));
        break;
      case 3:
        v = f32(t[0] + f32(f32(f32(((code[o + (i >> 1)] >> ((i & 1) << 2)) & 0xf) + 0.5) / 15) * t[1]));
        break;
      case 4:
        v = halfToFloat(code[o + 2 * i] | (code[o + 2 * i + 1] << 8));
        break;
      case 5:
        v = code[o + i];
        break;
      default: {
        const c = o + (i >> 2) * 3;
        let bits: number;
        switch (i & 3) {
          case 0:
            bits = code[c] & 0x3f;
            break;
          case 1:
            bits = (code[c] >> 6) | ((code[c + 1] & 0xf) << 2);
            break;
          case 2:
            bits = (code[c + 1] >> 4) | ((code[c + 2] & 3) << 4);
            break;
          default:
            bits = code[c + 2] >> 2;
        }
        v = f32(t[i] + f32(f32(f32(bits + 0.5) / 63) * t[d + i]));
      }
    }
    out[i] = v;
  }
}

function makeDis(s: HnswStorageArrays): Dis {
  const d = s.d;
  if (s.kind === HNSW_STORAGE_FLAT) {
    // the exact byte copy holds the same values as xb (and may replace it)
    const xb = (s.compact && s.compact.length > 0 ? s.compact : s.xb) as Float32Array;
    const isL2 = s.metric === 1;
    let q: Float32Array = xb;
    let qo = 0;
    return {
      exact: true,
      setQuery(row, x) {
        q = x as Float32Array;
        qo = row * d;
      },
      dis: (i) => (isL2 ? l2(q, qo, xb, i * d, d) : -ip(q, qo, xb, i * d, d)),
      symmetric: (i, j) => (isL2 ? l2(xb, i * d, xb, j * d, d) : -ip(xb, i * d, xb, j * d, d)),
    };
  }
  if (s.kind === HNSW_STORAGE_BINARY) {
    const cs = d / 8;
    const codes = s.codes as Uint8Array;
    let q: Uint8Array = codes;
    let qo = 0;
    return {
      exact: false,
      setQuery(row, x) {
        q = x as Uint8Array;
        qo = row * cs;
      },
      dis: (i) => hammingDistance(q, qo, codes, i * cs, cs),
      symmetric: (i, j) => hammingDistance(codes, j * cs, codes, i * cs, cs),
    };
  }
  if (s.kind === HNSW_STORAGE_PQ) {
    const m = s.pqM as number;
    const dsub = d / m;
    const cents = s.pqCentroids as Float32Array;
    const codes = s.codes as Uint8Array;
    const table = new Float32Array(m * 256);
    let sdc: Float32Array | null = null;
    return {
      exact: false,
      setQuery(row, x) {
        const xq = x as Float32Array;
        for (let mm = 0; mm < m; mm++) {
          for (let c = 0; c < 256; c++) table[mm * 256 + c] = l2(xq, row * d + mm * dsub, cents, (mm * 256 + c) * dsub, dsub);
        }
      },
      dis(i) {
        let acc = 0;
        for (let mm = 0; mm < m; mm++) acc = f32(acc + table[mm * 256 + codes[i * m + mm]]);
        return acc;
      },
      symmetric(i, j) {
        if (!sdc) {
          sdc = new Float32Array(m * 256 * 256);
          for (let mm = 0; mm < m; mm++) {
            for (let a = 0; a < 256; a++) {
              for (let b = 0; b < 256; b++) sdc[(mm * 256 + a) * 256 + b] = l2(cents, (mm * 256 + a) * dsub, cents, (mm * 256 + b) * dsub, dsub);
            }
          }
        }
        let acc = 0;
        for (let mm = 0; mm < m; mm++) acc = f32(acc + sdc[(mm * 256 + codes[i * m + mm]) * 256 + codes[j * m + mm]]);
        return acc;
      },
    };
  }
  // SQ
  const cs = storageCodeSize(s);
  const codes = s.codes as Uint8Array;
  const isL2 = s.metric === 1;
  const a = new Float32Array(d);
  const b = new Float32Array(d);
  let q: Float32Array = a;
  let qo = 0;
  return {
    exact: false,
    setQuery(row, x) {
      q = x as Float32Array;
      qo = row * d;
    },
    dis(i) {
      sqDecode(s.sqType as number, s.sqTrained, d, codes, i * cs, a);
      return isL2 ? l2(q, qo, a, 0, d) : -ip(q, qo, a, 0, d);
    },
    symmetric(i, j) {
      sqDecode(s.sqType as number, s.sqTrained, d, codes, i * cs, a);
      sqDecode(s.sqType as number, s.sqTrained, d, codes, j * cs, b);
      return isL2 ? l2(a, 0, b, 0, d) : -ip(a, 0, b, 0, d);
    },
  };
}

// ------------------------------------------------------------------ graph access

class Graph {
  readonly nslots: number;
  constructor(readonly g: HnswGraphArrays) {
    this.nslots = Number(g.offsets[g.ntotal]);
  }
  nbNeighbors(level: number): number {
    return this.g.cum[level + 1] - this.g.cum[level];
  }
  range(no: number, level: number): [number, number] {
    const { g } = this;
    if (no < 0 || no >= g.ntotal) throw new Error('inconsistent HNSW graph: neighbour id out of range');
    if (level < 0 || level + 1 >= g.cum.length) throw new Error('inconsistent HNSW graph: level out of range');
    const o = Number(g.offsets[no]);
    const begin = o + g.cum[level];
    const end = o + g.cum[level + 1];
    if (begin < 0 || end > this.nslots) throw new Error('inconsistent HNSW graph: neighbour range outside the slot array');
    return [begin, end];
  }
  /** the neighbour ids of one list, up to the first -1 */
  list(no: number, level: number): number[] {
    const [begin, end] = this.range(no, level);
    const out: number[] = [];
    for (let j = begin; j < end; j++) {
      const v = this.g.neighbors[j];
      if (v < 0) break;
      if (v >= this.g.ntotal) throw new Error('inconsistent HNSW graph: neighbour id out of range');
      out.push(v);
    }
    return out;
  }
}

function greedyUpdateNearest(gr: Graph, dis: Dis, level: number, nearest: { id: number; d: number }): void {
  for (;;) {
    const prev = nearest.id;
    for (const v of gr.list(nearest.id, level)) {
      const d = dis.dis(v);
      if (d < nearest.d) {
        nearest.id = v;
        nearest.d = d;
      }
    }
    if (nearest.id === prev) return;
  }
}

interface Sink {
  add(d: number, id: number): void;
}

function searchFromCandidates(
  gr: Graph,
  dis: Dis,
  sink: Sink,
  candidates: MinimaxHeap,
  vt: VisitedTable,
  efSearch: number,
  check: boolean,
  filter: Uint8Array | undefined,
): void {
  for (let i = 0; i < candidates.size(); i++) {
    const v1 = candidates.ids[i];
    if (!filter || filter[v1]) sink.add(candidates.dis[i], v1);
    vt.set(v1);
  }
  let nstep = 0;
  while (candidates.size() > 0) {
    const { id: v0, d: d0 } = candidates.popMin();
    if (check && candidates.countBelow(d0) >= efSearch) break;
    for (const v1 of gr.list(v0, 0)) {
      if (vt.get(v1)) continue;
      vt.set(v1);
      const d = dis.dis(v1);
      if (!filter || filter[v1]) sink.add(d, v1);
      candidates.push(v1, d);
    }
    nstep++;
    if (!check && nstep > efSearch) break;
  }
}

/** std::pair<float, int> ordering (lexicographic). */
function pairLess(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function searchUnbounded(gr: Graph, dis: Dis, start: [number, number], ef: number, vt: VisitedTable): StdPriorityQueue<[number, number]> {
  const top = new StdPriorityQueue<[number, number]>(pairLess);
  const candidates = new StdPriorityQueue<[number, number]>((a, b) => pairLess(b, a));
  top.push(start);
  candidates.push(start);
  vt.set(start[1]);
  while (candidates.size > 0) {
    const [d0, v0] = candidates.top();
    if (d0 > top.top()[0]) break;
    candidates.pop();
    for (const v1 of gr.list(v0, 0)) {
      if (vt.get(v1)) continue;
      vt.set(v1);
      const d1 = dis.dis(v1);
      if (top.top()[0] > d1 || top.size < ef) {
        candidates.push([d1, v1]);
        top.push([d1, v1]);
        if (top.size > ef) top.pop();
      }
    }
  }
  return top;
}

function descend(gr: Graph, dis: Dis): { id: number; d: number } | null {
  const { g } = gr;
  if (g.entryPoint < 0) return null;
  const nearest = { id: g.entryPoint, d: dis.dis(g.entryPoint) };
  for (let level = g.maxLevel; level >= 1; level--) greedyUpdateNearest(gr, dis, level, nearest);
  return nearest;
}

function isInnerProduct(s: HnswStorageArrays): boolean {
  return s.kind !== HNSW_STORAGE_BINARY && s.metric === 0;
}

export function referenceHnswSearch(args: HnswSearchArgs): void {
  validateHnswSearch(args);
  const { graph, storage, xq, nq, k, distances, labels } = args;
  const bounded = args.boundedQueue ?? true;
  const check = args.checkRelativeDistance ?? true;
  const gr = new Graph(graph);
  const dis = makeDis(storage);
  const vt = new VisitedTable(graph.ntotal);
  const ipm = isInnerProduct(storage);
  for (let q = 0; q < nq; q++) {
    const D = new Array<number>(k).fill(FLT_MAX);
    const I = new Array<number>(k).fill(-1);
    dis.setQuery(q, xq);
    const nearest = descend(gr, dis);
    if (nearest) {
      const ef = Math.max(args.efSearch, k);
      if (bounded) {
        const candidates = new MinimaxHeap(ef);
        candidates.push(nearest.id, nearest.d);
        let nres = 0;
        const sink: Sink = {
          add(d, id) {
            if (nres < k) maxheapPush(++nres, D, I, 0, d, id);
            else if (d < D[0]) maxheapReplaceTop(nres, D, I, 0, d, id);
          },
        };
        searchFromCandidates(gr, dis, sink, candidates, vt, args.efSearch, check, args.filter);
      } else {
        const top = searchUnbounded(gr, dis, [nearest.d, nearest.id], ef, vt);
        while (top.size > k) top.pop();
        let nres = 0;
        while (top.size > 0) {
          const [d, id] = top.top();
          if (!args.filter || args.filter[id]) maxheapPush(++nres, D, I, 0, d, id);
          top.pop();
        }
      }
      vt.advance();
    }
    maxheapReorder(k, D, I);
    for (let t = 0; t < k; t++) {
      const o = q * k + t;
      labels[o] = BigInt(I[t]);
      if (I[t] < 0) distances[o] = ipm ? -Infinity : Infinity;
      else distances[o] = ipm ? -D[t] : D[t];
    }
  }
}

export function referenceHnswRangeSearch(args: HnswRangeArgs): RangeSearchOutput {
  validateHnswRange(args);
  const { graph, storage, xq, nq } = args;
  const check = args.checkRelativeDistance ?? true;
  const gr = new Graph(graph);
  const dis = makeDis(storage);
  const vt = new VisitedTable(graph.ntotal);
  const ipm = isInnerProduct(storage);
  const radius = f32(args.radius);
  const thr = ipm ? -radius : radius;
  const lims = new BigInt64Array(nq + 1);
  const outD: number[] = [];
  const outI: bigint[] = [];
  for (let q = 0; q < nq; q++) {
    dis.setQuery(q, xq);
    const nearest = descend(gr, dis);
    if (nearest) {
      const candidates = new MinimaxHeap(Math.max(1, args.efSearch));
      candidates.push(nearest.id, nearest.d);
      const sink: Sink = {
        add(d, id) {
          if (d < thr) {
            outD.push(ipm ? -d : d);
            outI.push(BigInt(id));
          }
        },
      };
      searchFromCandidates(gr, dis, sink, candidates, vt, args.efSearch, check, args.filter);
      vt.advance();
    }
    lims[q + 1] = BigInt(outD.length);
  }
  return { lims, distances: Float32Array.from(outD), labels: BigInt64Array.from(outI) };
}

// ------------------------------------------------------------------ insertion

class Builder {
  readonly gr: Graph;
  readonly cache: Float32Array | null;
  readonly vt: VisitedTable;
  constructor(
    readonly g: HnswGraphArrays,
    readonly efc: number,
    storage: HnswStorageArrays,
  ) {
    this.gr = new Graph(g);
    this.cache = storage.kind === HNSW_STORAGE_FLAT && g.edgeDistances ? g.edgeDistances : null;
    this.vt = new VisitedTable(g.ntotal);
  }
}

function shrinkFarther(dis: Dis, input: StdPriorityQueue<NodeDist>, output: NodeDist[], maxSize: number): void {
  while (input.size > 0) {
    const v1 = input.top();
    input.pop();
    let good = true;
    for (const v2 of output) {
      if (dis.symmetric(v2.id, v1.id) < v1.d) {
        good = false;
        break;
      }
    }
    if (good) {
      output.push(v1);
      if (output.length >= maxSize) return;
    }
  }
}

function shrinkCloser(dis: Dis, resultSet1: StdPriorityQueue<NodeDist>, maxSize: number): void {
  if (resultSet1.size < maxSize) return;
  const resultSet = farther();
  const returnlist: NodeDist[] = [];
  while (resultSet1.size > 0) {
    const t = resultSet1.top();
    resultSet.push({ d: t.d, id: t.id });
    resultSet1.pop();
  }
  shrinkFarther(dis, resultSet, returnlist, maxSize);
  for (const c of returnlist) resultSet1.push({ d: c.d, id: c.id });
}

function addLink(b: Builder, dis: Dis, src: number, dest: number, level: number, dKnown: number): void {
  const [begin, end] = b.gr.range(src, level);
  const nb = b.g.neighbors;
  const ed = b.cache;
  if (nb[end - 1] === -1) {
    let i = end;
    while (i > begin) {
      if (nb[i - 1] !== -1) break;
      i--;
    }
    nb[i] = dest;
    if (ed) ed[i] = Number.isNaN(dKnown) ? dis.symmetric(src, dest) : dKnown;
    return;
  }
  const resultSet = closer();
  resultSet.push({ d: ed && !Number.isNaN(dKnown) ? dKnown : dis.symmetric(src, dest), id: dest });
  for (let i = begin; i < end; i++) {
    const neigh = nb[i];
    let d: number;
    if (ed) {
      d = ed[i];
      if (Number.isNaN(d)) d = ed[i] = dis.symmetric(src, neigh);
    } else {
      d = dis.symmetric(src, neigh);
    }
    resultSet.push({ d, id: neigh });
  }
  shrinkCloser(dis, resultSet, end - begin);
  let i = begin;
  while (resultSet.size > 0) {
    if (ed) ed[i] = resultSet.top().d;
    nb[i++] = resultSet.top().id;
    resultSet.pop();
  }
  while (i < end) {
    if (ed) ed[i] = NaN;
    nb[i++] = -1;
  }
}

function searchNeighborsToAdd(b: Builder, dis: Dis, results: StdPriorityQueue<NodeDist>, ep: number, dEp: number, level: number): void {
  const { vt } = b;
  const candidates = farther();
  candidates.push({ d: dEp, id: ep });
  results.push({ d: dEp, id: ep });
  vt.set(ep);
  while (candidates.size > 0) {
    const curr = candidates.top();
    if (curr.d > results.top().d) break;
    candidates.pop();
    for (const id of b.gr.list(curr.id, level)) {
      if (vt.get(id)) continue;
      vt.set(id);
      const d = dis.dis(id);
      if (results.size < b.efc || results.top().d > d) {
        results.push({ d, id });
        candidates.push({ d, id });
        if (results.size > b.efc) results.pop();
      }
    }
  }
  vt.advance();
}

function addLinksStartingFrom(b: Builder, dis: Dis, ptId: number, nearest: number, dNearest: number, level: number): void {
  const linkTargets = closer();
  searchNeighborsToAdd(b, dis, linkTargets, nearest, dNearest, level);
  shrinkCloser(dis, linkTargets, b.gr.nbNeighbors(level));
  const linked: Array<[number, number]> = [];
  while (linkTargets.size > 0) {
    const other = linkTargets.top().id;
    const d = dis.exact ? linkTargets.top().d : NaN;
    addLink(b, dis, ptId, other, level, d);
    linked.push([other, d]);
    linkTargets.pop();
  }
  for (const [other, d] of linked) addLink(b, dis, other, ptId, level, d);
}

function addWithLocks(b: Builder, dis: Dis, ptLevel: number, ptId: number): void {
  const { g } = b;
  let nearest = g.entryPoint;
  if (nearest === -1) {
    g.maxLevel = ptLevel;
    g.entryPoint = ptId;
  }
  let level = g.maxLevel;
  if (nearest < 0) return;
  const near = { id: nearest, d: dis.dis(nearest) };
  for (; level > ptLevel; level--) greedyUpdateNearest(b.gr, dis, level, near);
  nearest = near.id;
  for (; level >= 0; level--) addLinksStartingFrom(b, dis, ptId, nearest, near.d, level);
  if (ptLevel > g.maxLevel) {
    g.maxLevel = ptLevel;
    g.entryPoint = ptId;
  }
}

/**
 * Inserts the nodes of `order` one at a time (the reference is
 * single-threaded: FAISS's one-thread order). Writes graph.neighbors (and
 * graph.edgeDistances) in place; returns the new entry point and max level
 * (graph.entryPoint / maxLevel are left as given).
 */
export function referenceHnswAdd(args: HnswAddArgs): HnswAddResult {
  validateHnswAdd(args);
  const { storage, x, n0, order } = args;
  const g: HnswGraphArrays = { ...args.graph };
  const b = new Builder(g, args.efConstruction, storage);
  const dis = makeDis(storage);
  for (let i = 0; i < order.length; i++) {
    const ptId = order[i];
    dis.setQuery(ptId - n0, x);
    addWithLocks(b, dis, g.levels[ptId] - 1, ptId);
  }
  return { entryPoint: g.entryPoint, maxLevel: g.maxLevel };
}
