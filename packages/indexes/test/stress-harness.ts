/**
 * A bounded stress run for any index family: for a fixed number of rounds,
 * many async searches are in flight while vectors are added (async), removed
 * and the index is reset. Every search result is checked against a model of
 * the index:
 *
 * - no torn result: every returned id was present when the search started or
 *   was added while it ran, and (for indexes that store vectors exactly) its
 *   distance is the true distance to that id's vector;
 * - results are sorted, finite, and padded with -1 only at the end;
 * - after the final reset the index's memoryBytes() is back to what the empty
 *   trained index held, and the process's ArrayBuffer memory (after a full
 *   GC) is back near its starting level.
 *
 * Vectors are a deterministic function of their id, so any id can be checked
 * without keeping its vector. Ids are 64-bit (2^40 + counter), never reused.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { rng } from './helpers';

/** What the harness needs of an index (float indexes, and binary ones with kind 'binary'). */
export interface StressIndex {
  readonly ntotal: number;
  addWithIds(x: Float32Array | Uint8Array, ids: BigInt64Array): Promise<void>;
  removeIds(ids: bigint[]): number;
  reset(): void;
  search(xq: Float32Array | Uint8Array, k: number, params?: never): Promise<{ distances: Float32Array | Int32Array; labels: BigInt64Array }>;
  memoryBytes(): number;
}

setFlagsFromString('--expose-gc');
const gcFn = runInNewContext('gc') as () => void;

/** A full garbage collection (the harness's memory checks need one). */
export function fullGc(): void {
  for (let i = 0; i < 3; i++) gcFn();
}

export const ID_BASE = 2n ** 40n;

/** The vector of an id: d values in [-1, 1), a function of the id only. */
export function vectorOf(id: bigint, d: number, out = new Float32Array(d), offset = 0): Float32Array {
  const r = rng(Number(id & 0xffffffffn) ^ Number(id >> 32n) ^ 0x9e3779b9);
  for (let j = 0; j < d; j++) out[offset + j] = r() * 2 - 1;
  return out;
}

export function vectorsOf(ids: BigInt64Array, d: number): Float32Array {
  const x = new Float32Array(ids.length * d);
  for (let i = 0; i < ids.length; i++) vectorOf(ids[i], d, x, i * d);
  return x;
}

/** The binary code of an id: d / 8 bytes, a function of the id only. */
export function codeOf(id: bigint, dBits: number, out = new Uint8Array(dBits / 8), offset = 0): Uint8Array {
  const r = rng(Number(id & 0xffffffffn) ^ Number(id >> 32n) ^ 0x85ebca6b);
  for (let j = 0; j < dBits / 8; j++) out[offset + j] = Math.floor(r() * 256);
  return out;
}

export function codesOf(ids: BigInt64Array, dBits: number): Uint8Array {
  const cs = dBits / 8;
  const x = new Uint8Array(ids.length * cs);
  for (let i = 0; i < ids.length; i++) codeOf(ids[i], dBits, x, i * cs);
  return x;
}

function popcount8(v: number): number {
  v = v - ((v >> 1) & 0x55);
  v = (v & 0x33) + ((v >> 2) & 0x33);
  return (v + (v >> 4)) & 0x0f;
}

export interface StressOptions {
  /** dimension (bits for binary indexes) */
  d: number;
  /** 'float' (default): Float32Array vectors; 'binary': d / 8-byte codes, Hamming distances */
  kind?: 'float' | 'binary';
  /** a fresh, trained, empty index supporting addWithIds, removeIds (unless removePerRound is 0) and reset */
  make(): Promise<object> | object;
  rounds: number;
  /** async searches started per round (half before the round's mutations, half between them) */
  searchesPerRound: number;
  /** queries per search call */
  nq: number;
  k: number;
  /** vectors per add */
  batch: number;
  /** ids removed per removal (0: the index does not support removal) */
  removePerRound: number;
  /** reset every this many rounds (0: never) */
  resetEvery: number;
  /**
   * 'exact': a returned distance must equal the distance to the id's vector
   * (after `stored`, for indexes that store an encoded form); 'approximate':
   * only finiteness and order are checked
   */
  distances: 'exact' | 'approximate';
  /** the vector the index holds for an input vector (e.g. decode(encode(x))); default: the input itself */
  stored?: (x: Float32Array) => Float32Array;
  /** relative tolerance of the 'exact' distance check (default 1e-4) */
  tolerance?: number;
  /** 'l2' (ascending distances) or 'ip' (descending similarities) */
  metric?: 'l2' | 'ip';
  /**
   * 'full': a search of an index holding >= k vectors returns k results
   * (exhaustive indexes); 'partial': fewer is fine (IVF with small nprobe, HNSW)
   */
  results?: 'full' | 'partial';
  /** search parameters passed to every search (e.g. { nprobe: 4 }) */
  searchParams?: Record<string, unknown>;
  seed?: number;
}

export interface StressReport {
  searches: number;
  adds: number;
  removed: number;
  resets: number;
  checkedLabels: number;
  /** index.memoryBytes() of the empty trained index, and after the final reset */
  memoryEmpty: number;
  memoryAfterReset: number;
  /** process ArrayBuffer bytes after GC: before the rounds, and after the final reset */
  arrayBuffersBefore: number;
  /** the largest ArrayBuffer total seen after a round (no GC forced) */
  arrayBuffersPeak: number;
  arrayBuffersAfter: number;
  peakNtotal: number;
  failures: string[];
}

interface Pending {
  promise: Promise<{ distances: Float32Array | Int32Array; labels: BigInt64Array }>;
  present: Set<bigint>;
  logStart: number;
  xq: Float32Array | Uint8Array;
  ntotalAtStart: number;
}

export async function runStress(o: StressOptions): Promise<StressReport> {
  const r = rng(o.seed ?? 12345);
  const metric = o.metric ?? 'l2';
  const index = (await o.make()) as StressIndex;
  const binary = o.kind === 'binary';
  const makeRows = (ids: BigInt64Array): Float32Array | Uint8Array => (binary ? codesOf(ids, o.d) : vectorsOf(ids, o.d));
  const failures: string[] = [];
  const fail = (msg: string): void => {
    if (failures.length < 20) failures.push(msg);
  };
  let nextId = ID_BASE;
  const present = new Set<bigint>();
  /** ids whose add has started but not finished: a search may or may not see them */
  const inFlight = new Set<bigint>();
  const addLog: bigint[] = [];
  const report: StressReport = {
    searches: 0,
    adds: 0,
    removed: 0,
    resets: 0,
    checkedLabels: 0,
    memoryEmpty: index.memoryBytes(),
    memoryAfterReset: -1,
    arrayBuffersBefore: 0,
    arrayBuffersPeak: 0,
    arrayBuffersAfter: 0,
    peakNtotal: 0,
    failures,
  };
  const queries = Array.from({ length: 8 }, (_, i) => makeRows(BigInt64Array.from({ length: o.nq }, (_, j) => -1n - BigInt(i * o.nq + j))));
  fullGc();
  report.arrayBuffersBefore = process.memoryUsage().arrayBuffers;

  const startSearch = (): Pending => {
    const xq = queries[Math.floor(r() * queries.length)];
    report.searches++;
    return {
      promise: index.search(xq, o.k, o.searchParams as never),
      present: new Set([...present, ...inFlight]),
      logStart: addLog.length,
      xq,
      ntotalAtStart: index.ntotal,
    };
  };

  const check = (p: Pending, res: { distances: Float32Array | Int32Array; labels: BigInt64Array }, logEnd: number): void => {
    const allowed = new Set(p.present);
    for (let i = p.logStart; i < logEnd; i++) allowed.add(addLog[i]);
    const { d, k } = o;
    const v = new Float32Array(d);
    const code = new Uint8Array(binary ? d / 8 : 0);
    for (let q = 0; q < o.nq; q++) {
      let ended = false;
      let prev = metric === 'l2' ? -Infinity : Infinity;
      let count = 0;
      const seen = new Set<bigint>();
      for (let j = 0; j < k; j++) {
        const label = res.labels[q * k + j];
        const dist = res.distances[q * k + j];
        if (label === -1n) {
          ended = true;
          continue;
        }
        count++;
        report.checkedLabels++;
        if (ended) fail(`query ${q}: label ${label} after a -1 at rank ${j}`);
        if (!allowed.has(label)) fail(`query ${q}: label ${label} was neither present when the search started nor added during it`);
        if (seen.has(label)) fail(`query ${q}: label ${label} returned twice`);
        seen.add(label);
        if (!Number.isFinite(dist)) fail(`query ${q}: distance ${dist} for label ${label}`);
        if (metric === 'l2' ? dist < prev - 1e-5 * Math.abs(prev) : dist > prev + 1e-5 * Math.abs(prev)) fail(`query ${q}: distances not sorted at rank ${j} (${prev} then ${dist})`);
        prev = dist;
        if (o.distances === 'exact' && binary) {
          codeOf(label, d, code);
          const cs = d / 8;
          let h = 0;
          for (let t = 0; t < cs; t++) h += popcount8((p.xq as Uint8Array)[q * cs + t] ^ code[t]);
          if (h !== dist) fail(`query ${q}: Hamming distance ${dist} for label ${label}, true distance ${h} (torn or stale code)`);
        } else if (o.distances === 'exact') {
          vectorOf(label, d, v);
          const w = o.stored ? o.stored(v) : v;
          let s = 0;
          for (let t = 0; t < d; t++) {
            const a = (p.xq as Float32Array)[q * d + t];
            s += metric === 'l2' ? (a - w[t]) * (a - w[t]) : a * w[t];
          }
          if (Math.abs(s - dist) > (o.tolerance ?? 1e-4) * Math.max(1, Math.abs(s))) fail(`query ${q}: distance ${dist} for label ${label}, true distance ${s} (torn or stale vector)`);
        }
      }
      if ((o.results ?? 'full') === 'full' && p.ntotalAtStart >= k && count < k) fail(`query ${q}: ${count} results from an index of ${p.ntotalAtStart} vectors (k = ${k})`);
    }
  };

  const addBatch = async (): Promise<void> => {
    const ids = new BigInt64Array(o.batch);
    for (let i = 0; i < o.batch; i++) ids[i] = nextId++;
    const x = makeRows(ids);
    // the ids count as "added during" any search that runs while the add runs
    for (const id of ids) {
      addLog.push(id);
      inFlight.add(id);
    }
    await index.addWithIds(x, ids);
    for (const id of ids) {
      present.add(id);
      inFlight.delete(id);
    }
    report.adds++;
    report.peakNtotal = Math.max(report.peakNtotal, index.ntotal);
  };

  const settle = async (pending: Pending[]): Promise<void> => {
    const results = await Promise.all(pending.map((p) => p.promise));
    const logEnd = addLog.length;
    results.forEach((res, i) => check(pending[i], res, logEnd));
  };

  await addBatch();
  await addBatch();
  for (let round = 0; round < o.rounds; round++) {
    const pending: Pending[] = [];
    const half = Math.ceil(o.searchesPerRound / 2);
    for (let s = 0; s < half; s++) pending.push(startSearch());
    const adding = addBatch(); // in flight together with the searches
    for (let s = half; s < o.searchesPerRound; s++) pending.push(startSearch());
    await adding;
    if (o.removePerRound > 0 && present.size > 0) {
      const all = [...present];
      const victims = new Set<bigint>();
      while (victims.size < Math.min(o.removePerRound, all.length)) victims.add(all[Math.floor(r() * all.length)]);
      const n = index.removeIds([...victims]);
      if (n !== victims.size) fail(`round ${round}: removeIds removed ${n} of ${victims.size} present ids`);
      for (const id of victims) present.delete(id);
      report.removed += n;
      pending.push(startSearch());
    }
    if (o.resetEvery > 0 && round % o.resetEvery === o.resetEvery - 1) {
      index.reset();
      present.clear();
      report.resets++;
      if (index.ntotal !== 0) fail(`round ${round}: ntotal ${index.ntotal} after reset`);
      pending.push(startSearch());
      await addBatch();
    }
    if (index.ntotal !== present.size) fail(`round ${round}: ntotal ${index.ntotal}, the model holds ${present.size}`);
    report.arrayBuffersPeak = Math.max(report.arrayBuffersPeak, process.memoryUsage().arrayBuffers);
    await settle(pending);
  }
  index.reset();
  present.clear();
  report.memoryAfterReset = index.memoryBytes();
  fullGc();
  report.arrayBuffersAfter = process.memoryUsage().arrayBuffers;
  return report;
}
