/**
 * Building blocks shared by several index types: the float and binary
 * headers, ProductQuantizer, ScalarQuantizer, the HNSW graph, DirectMap and
 * ArrayInvertedLists. Each has a reader (bounds and consistency checked
 * before allocating) and a writer (record checked, then encoded).
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import type {
  BinaryIndexHeader,
  DirectMapRecord,
  HNSWRecord,
  IndexHeader,
  InvertedList,
  InvertedListsRecord,
  ProductQuantizerRecord,
  ScalarQuantizerRecord,
} from '../records';
import { METRIC_NAMES } from '../records';
import { OUT_OF_SCOPE_INVLISTS_FOURCCS } from '../fourcc';

/** Largest dimension FAISS main accepts when reading (d <= 2^20). */
export const MAX_D = 1 << 20;
/** The legacy "dummy" header fields FAISS always writes. */
const HEADER_DUMMY = 1 << 20;

export const EMPTY_U8 = new Uint8Array(0);
export const EMPTY_I64 = new BigInt64Array(0);
export const EMPTY_F32 = new Float32Array(0);

export function metricText(m: number): string {
  return METRIC_NAMES[m] ?? String(m);
}

const KNOWN_METRICS = 'a MetricType known to FAISS 1.7.3 (0, 1, 2, 3, 4, 20, 21 or 22)';

// ---------------------------------------------------------------------------
// headers

export function readHeader(c: Cursor): IndexHeader {
  const atD = c.offset;
  const d = c.i32('header.d');
  if (d < 0 || d > MAX_D) c.fail('header.d', `a dimension in [0, ${MAX_D}]`, String(d), atD);
  const ntotal = c.i64('header.ntotal');
  c.i64('header.dummy', -Number.MAX_SAFE_INTEGER);
  c.i64('header.dummy', -Number.MAX_SAFE_INTEGER);
  const isTrained = c.bool('header.isTrained');
  const atM = c.offset;
  const metricType = c.i32('header.metricType');
  if (!(metricType in METRIC_NAMES)) c.fail('header.metricType', KNOWN_METRICS, String(metricType), atM);
  const metricArg = metricType > 1 ? c.f32('header.metricArg') : 0;
  return { d, ntotal, isTrained, metricType, metricArg };
}

export function writeHeader(e: Encoder, h: IndexHeader): void {
  if (typeof h !== 'object' || h === null) e.fail('header', 'an IndexHeader object', h);
  e.i32(h.d, 'header.d', 0, MAX_D);
  e.i64(h.ntotal, 'header.ntotal');
  e.i64(HEADER_DUMMY, 'header.dummy');
  e.i64(HEADER_DUMMY, 'header.dummy');
  e.bool(h.isTrained, 'header.isTrained');
  if (typeof h.metricType !== 'number' || !(h.metricType in METRIC_NAMES)) {
    e.fail('header.metricType', KNOWN_METRICS, h.metricType);
  }
  e.i32(h.metricType, 'header.metricType');
  if (h.metricType > 1) e.f32(h.metricArg, 'header.metricArg');
}

/**
 * Reads a binary index header. `idMapWrapper`: FAISS 1.7.3's IndexBinaryIDMap
 * never sets code_size (its files store 0); later FAISS stores d / 8. Both are
 * accepted there, and the record keeps what the file holds.
 */
export function readBinaryHeader(c: Cursor, idMapWrapper = false): BinaryIndexHeader {
  const atD = c.offset;
  const d = c.i32('header.d');
  if (d <= 0 || d % 8 !== 0 || d > MAX_D * 8) {
    c.fail('header.d', `a positive multiple of 8 of at most ${MAX_D * 8} bits`, String(d), atD);
  }
  const atC = c.offset;
  const codeSize = c.i32('header.codeSize');
  if (codeSize !== d / 8 && !(idMapWrapper && codeSize === 0)) {
    c.fail('header.codeSize', `d / 8 = ${d / 8}${idMapWrapper ? ' (or 0, as FAISS 1.7.3 writes for IDMap)' : ''}`, String(codeSize), atC);
  }
  const ntotal = c.i64('header.ntotal');
  const isTrained = c.bool('header.isTrained');
  const atM = c.offset;
  const metricType = c.i32('header.metricType');
  if (!(metricType in METRIC_NAMES)) c.fail('header.metricType', KNOWN_METRICS, String(metricType), atM);
  return { d, codeSize, ntotal, isTrained, metricType };
}

export function writeBinaryHeader(e: Encoder, h: BinaryIndexHeader, idMapWrapper = false): void {
  if (typeof h !== 'object' || h === null) e.fail('header', 'a BinaryIndexHeader object', h);
  if (typeof h.d !== 'number' || h.d <= 0 || h.d % 8 !== 0) e.fail('header.d', 'a positive multiple of 8', h.d);
  e.i32(h.d, 'header.d', 8, MAX_D * 8);
  if (idMapWrapper && h.codeSize === 0) e.i32(0, 'header.codeSize');
  else e.i32(h.codeSize, 'header.codeSize', h.d / 8, h.d / 8);
  e.i64(h.ntotal, 'header.ntotal');
  e.bool(h.isTrained, 'header.isTrained');
  if (typeof h.metricType !== 'number' || !(h.metricType in METRIC_NAMES)) {
    e.fail('header.metricType', KNOWN_METRICS, h.metricType);
  }
  e.i32(h.metricType, 'header.metricType');
}

// ---------------------------------------------------------------------------
// ProductQuantizer

export function pqCodeSize(M: number, nbits: number): number {
  return Math.ceil((M * nbits) / 8);
}

export function readProductQuantizer(c: Cursor, field: string, expectedD: number): ProductQuantizerRecord {
  const atD = c.offset;
  const d = c.u64(`${field}.d`);
  if (d !== expectedD) c.fail(`${field}.d`, `the index dimension ${expectedD}`, String(d), atD);
  const atM = c.offset;
  const M = c.u64(`${field}.M`);
  if (M < 1 || d % M !== 0) c.fail(`${field}.M`, `a positive divisor of d = ${d}`, String(M), atM);
  const atB = c.offset;
  const nbits = c.u64(`${field}.nbits`);
  if (nbits < 1 || nbits > 24) c.fail(`${field}.nbits`, 'a value in [1, 24]', String(nbits), atB);
  const centroids = c.vector(Float32Array, `${field}.centroids`, d * 2 ** nbits);
  return { d, M, nbits, centroids };
}

export function writeProductQuantizer(e: Encoder, pq: ProductQuantizerRecord, field: string, expectedD: number): void {
  if (typeof pq !== 'object' || pq === null) e.fail(field, 'a ProductQuantizerRecord', pq);
  e.u64(pq.d, `${field}.d`, MAX_D);
  if (pq.d !== expectedD) e.fail(`${field}.d`, `the index dimension ${expectedD}`, pq.d);
  if (typeof pq.M !== 'number' || pq.M < 1 || pq.d % pq.M !== 0) e.fail(`${field}.M`, `a positive divisor of d = ${pq.d}`, pq.M);
  e.u64(pq.M, `${field}.M`);
  e.u64(pq.nbits, `${field}.nbits`, 24);
  if (pq.nbits < 1) e.fail(`${field}.nbits`, 'a value in [1, 24]', pq.nbits);
  const n = pq.d * 2 ** pq.nbits;
  e.vector(pq.centroids, Float32Array, `${field}.centroids`, n, `d * 2^nbits = ${n}`);
}

// ---------------------------------------------------------------------------
// ScalarQuantizer

/** Bytes per code for a FAISS 1.7.3 qtype. */
export function sqCodeSize(qtype: number, d: number): number {
  switch (qtype) {
    case 0: // 8bit
    case 2: // 8bit uniform
    case 5: // 8bit direct
      return d;
    case 1: // 4bit
    case 3: // 4bit uniform
      return Math.floor((d + 1) / 2);
    case 6: // 6bit
      return Math.floor((d * 6 + 7) / 8);
    case 4: // fp16
      return d * 2;
    default:
      return -1;
  }
}

/** Length of `trained` for a trained ScalarQuantizer. */
export function sqTrainedLength(qtype: number, d: number): number {
  switch (qtype) {
    case 0:
    case 1:
    case 6:
      return 2 * d;
    case 2:
    case 3:
      return 2;
    default:
      return 0;
  }
}

export function readScalarQuantizer(c: Cursor, field: string, header: IndexHeader): ScalarQuantizerRecord {
  const atQ = c.offset;
  const qtype = c.i32(`${field}.qtype`);
  if (qtype < 0 || qtype > 6) c.fail(`${field}.qtype`, 'a QuantizerType known to FAISS 1.7.3 (0..6)', String(qtype), atQ);
  const atR = c.offset;
  const rangestat = c.i32(`${field}.rangestat`);
  if (rangestat < 0 || rangestat > 3) c.fail(`${field}.rangestat`, 'a RangeStat in [0, 3]', String(rangestat), atR);
  const rangestatArg = c.f32(`${field}.rangestatArg`);
  const atD = c.offset;
  const d = c.u64(`${field}.d`);
  if (d !== header.d) c.fail(`${field}.d`, `the index dimension ${header.d}`, String(d), atD);
  const atC = c.offset;
  const codeSize = c.u64(`${field}.codeSize`);
  const expectCode = sqCodeSize(qtype, d);
  if (codeSize !== expectCode) c.fail(`${field}.codeSize`, `${expectCode} for qtype ${qtype} and d ${d}`, String(codeSize), atC);
  const atT = c.offset;
  const count = c.vectorCount(4, `${field}.trained`);
  const expectTrained = sqTrainedLength(qtype, d);
  if (count !== expectTrained && !(count === 0 && !header.isTrained)) {
    c.fail(`${field}.trained`, `${expectTrained} floats for qtype ${qtype}${header.isTrained ? '' : ' (or 0 when untrained)'}`, `${count} floats`, atT);
  }
  const trained = c.array(Float32Array, count, `${field}.trained`);
  return { qtype, rangestat, rangestatArg, d, codeSize, trained };
}

export function writeScalarQuantizer(e: Encoder, sq: ScalarQuantizerRecord, field: string, header: IndexHeader): void {
  if (typeof sq !== 'object' || sq === null) e.fail(field, 'a ScalarQuantizerRecord', sq);
  e.i32(sq.qtype, `${field}.qtype`, 0, 6);
  e.i32(sq.rangestat, `${field}.rangestat`, 0, 3);
  e.f32(sq.rangestatArg, `${field}.rangestatArg`);
  if (sq.d !== header.d) e.fail(`${field}.d`, `the index dimension ${header.d}`, sq.d);
  e.u64(sq.d, `${field}.d`);
  const expectCode = sqCodeSize(sq.qtype, sq.d);
  if (sq.codeSize !== expectCode) e.fail(`${field}.codeSize`, `${expectCode} for qtype ${sq.qtype} and d ${sq.d}`, sq.codeSize);
  e.u64(sq.codeSize, `${field}.codeSize`);
  const t = e.typed(sq.trained, Float32Array, `${field}.trained`);
  const expectTrained = sqTrainedLength(sq.qtype, sq.d);
  if (t.length !== expectTrained && !(t.length === 0 && !header.isTrained)) {
    e.fail(`${field}.trained`, `a Float32Array of length ${expectTrained}${header.isTrained ? '' : ' or 0'}`, t);
  }
  e.vector(t, Float32Array, `${field}.trained`);
}

// ---------------------------------------------------------------------------
// HNSW

/**
 * Checks an HNSW graph the way current FAISS does: cumulative slots start at
 * 0 and never decrease, every level count indexes them, offsets step by the
 * node's slot count and end at neighbors.length, neighbour ids are -1 or a
 * node, and the entry point and max level are in range.
 */
export function validateHNSW(
  g: HNSWRecord,
  ntotal: number,
  fail: (field: string, expected: string, received: string) => never,
): void {
  const cum = g.cumNneighborPerLevel;
  if (cum.length === 0) fail('hnsw.cumNneighborPerLevel', 'at least one entry', 'an empty vector');
  if (cum[0] !== 0) fail('hnsw.cumNneighborPerLevel[0]', '0', String(cum[0]));
  for (let i = 1; i < cum.length; i++) {
    if (cum[i] < cum[i - 1]) fail(`hnsw.cumNneighborPerLevel[${i}]`, `a value >= ${cum[i - 1]}`, String(cum[i]));
  }
  if (g.levels.length !== ntotal) fail('hnsw.levels', `ntotal = ${ntotal} entries`, `${g.levels.length} entries`);
  if (g.offsets.length !== ntotal + 1) fail('hnsw.offsets', `ntotal + 1 = ${ntotal + 1} entries`, `${g.offsets.length} entries`);
  const off = new Uint32Array(g.offsets.buffer, g.offsets.byteOffset, g.offsets.length * 2);
  const nn = g.neighbors.length;
  let prev = off[0] + off[1] * 4294967296;
  if (prev !== 0) fail('hnsw.offsets[0]', '0', String(g.offsets[0]));
  for (let i = 0; i < ntotal; i++) {
    const lv = g.levels[i];
    if (!(lv >= 1 && lv < cum.length)) fail(`hnsw.levels[${i}]`, `a level count in [1, ${cum.length - 1}]`, String(lv));
    const next = off[2 * i + 2] + off[2 * i + 3] * 4294967296;
    if (next !== prev + cum[lv]) {
      fail(`hnsw.offsets[${i + 1}]`, `offsets[${i}] + cumNneighborPerLevel[${lv}] = ${prev + cum[lv]}`, String(g.offsets[i + 1]));
    }
    prev = next;
  }
  if (prev !== nn) fail('hnsw.neighbors', `offsets[ntotal] = ${prev} entries`, `${nn} entries`);
  const nb = g.neighbors;
  for (let i = 0; i < nn; i++) {
    const v = nb[i];
    if (v < -1 || v >= ntotal) fail(`hnsw.neighbors[${i}]`, `-1 or a node id in [0, ${ntotal})`, String(v));
  }
  if (!(g.maxLevel >= -1 && g.maxLevel <= cum.length - 2)) {
    fail('hnsw.maxLevel', `a level in [-1, ${cum.length - 2}]`, String(g.maxLevel));
  }
  if (!(g.entryPoint >= -1 && g.entryPoint < ntotal)) fail('hnsw.entryPoint', `-1 or a node id in [0, ${ntotal})`, String(g.entryPoint));
  if (ntotal > 0 && g.entryPoint < 0) fail('hnsw.entryPoint', `a node id in [0, ${ntotal}) for a non-empty graph`, String(g.entryPoint));
}

export function readHNSW(c: Cursor, ntotal: number): HNSWRecord {
  const start = c.offset;
  const assignProbas = c.vector(Float64Array, 'hnsw.assignProbas');
  const cumNneighborPerLevel = c.vector(Int32Array, 'hnsw.cumNneighborPerLevel');
  const levels = c.vector(Int32Array, 'hnsw.levels', ntotal);
  const offsets = c.vector(BigUint64Array, 'hnsw.offsets', ntotal + 1);
  const neighbors = c.vector(Int32Array, 'hnsw.neighbors');
  const entryPoint = c.i32('hnsw.entryPoint');
  const maxLevel = c.i32('hnsw.maxLevel');
  const efConstruction = c.i32('hnsw.efConstruction');
  const efSearch = c.i32('hnsw.efSearch');
  const upperBeam = c.i32('hnsw.upperBeam');
  const g: HNSWRecord = {
    assignProbas,
    cumNneighborPerLevel,
    levels,
    offsets,
    neighbors,
    entryPoint,
    maxLevel,
    efConstruction,
    efSearch,
    upperBeam,
  };
  validateHNSW(g, ntotal, (field, expected, received) => c.fail(field, expected, `${received} (graph starting at byte offset ${start})`));
  return g;
}

export function writeHNSW(e: Encoder, g: HNSWRecord, ntotal: number): void {
  if (typeof g !== 'object' || g === null) e.fail('hnsw', 'an HNSWRecord', g);
  e.typed(g.assignProbas, Float64Array, 'hnsw.assignProbas');
  e.typed(g.cumNneighborPerLevel, Int32Array, 'hnsw.cumNneighborPerLevel');
  e.typed(g.levels, Int32Array, 'hnsw.levels');
  e.typed(g.offsets, BigUint64Array, 'hnsw.offsets');
  e.typed(g.neighbors, Int32Array, 'hnsw.neighbors');
  for (const k of ['entryPoint', 'maxLevel', 'efConstruction', 'efSearch', 'upperBeam'] as const) {
    e.int(g[k], `hnsw.${k}`, -2147483648, 2147483647);
  }
  validateHNSW(g, ntotal, (field, expected, received) => e.fail(field, expected, received));
  e.vector(g.assignProbas, Float64Array, 'hnsw.assignProbas');
  e.vector(g.cumNneighborPerLevel, Int32Array, 'hnsw.cumNneighborPerLevel');
  e.vector(g.levels, Int32Array, 'hnsw.levels');
  e.vector(g.offsets, BigUint64Array, 'hnsw.offsets');
  e.vector(g.neighbors, Int32Array, 'hnsw.neighbors');
  e.i32(g.entryPoint, 'hnsw.entryPoint');
  e.i32(g.maxLevel, 'hnsw.maxLevel');
  e.i32(g.efConstruction, 'hnsw.efConstruction');
  e.i32(g.efSearch, 'hnsw.efSearch');
  e.i32(g.upperBeam, 'hnsw.upperBeam');
}

// ---------------------------------------------------------------------------
// DirectMap

export function readDirectMap(c: Cursor, ntotal: number): DirectMapRecord {
  const atT = c.offset;
  const type = c.u8('directMap.type');
  if (type > 2) c.fail('directMap.type', 'a DirectMap type 0 (NoMap), 1 (Array) or 2 (Hashtable)', String(type), atT);
  const atA = c.offset;
  const n = c.vectorCount(8, 'directMap.array');
  const expectA = type === 1 ? ntotal : 0;
  if (n !== expectA) c.fail('directMap.array', `${expectA} entries for DirectMap type ${type}`, `${n} entries`, atA);
  const array = c.array(BigInt64Array, n, 'directMap.array');
  let hashtable = EMPTY_I64;
  if (type === 2) {
    const atH = c.offset;
    const pairs = c.vectorCount(16, 'directMap.hashtable');
    if (pairs > ntotal) c.fail('directMap.hashtable', `at most ntotal = ${ntotal} pairs`, `${pairs} pairs`, atH);
    hashtable = c.array(BigInt64Array, 2 * pairs, 'directMap.hashtable');
  }
  return { type, array, hashtable };
}

export function writeDirectMap(e: Encoder, dm: DirectMapRecord, ntotal: number): void {
  if (typeof dm !== 'object' || dm === null) e.fail('directMap', 'a DirectMapRecord', dm);
  e.int(dm.type, 'directMap.type', 0, 2);
  e.u8(dm.type);
  const expectA = dm.type === 1 ? ntotal : 0;
  e.vector(dm.array, BigInt64Array, 'directMap.array', expectA, `${expectA} (DirectMap type ${dm.type})`);
  if (dm.type === 2) {
    const h = e.typed(dm.hashtable, BigInt64Array, 'directMap.hashtable');
    if (h.length % 2 !== 0 || h.length / 2 > ntotal) e.fail('directMap.hashtable', `an even length of at most 2 * ntotal = ${2 * ntotal}`, h);
    e.u64(h.length / 2, 'directMap.hashtable length');
    e.raw(h);
  }
}

// ---------------------------------------------------------------------------
// inverted lists

/** Upper bound on nlist for a source of `size` bytes (each list needs a JS object). */
export function maxNlist(size: number): number {
  return Math.max(size, 1 << 20);
}

function readSizes(c: Cursor, nlist: number): Float64Array {
  c.track(nlist * 8);
  const sizes = new Float64Array(nlist);
  const lt = c.fourcc('invlists.listType');
  if (lt.text === 'full') {
    const at = c.offset;
    const n = c.vectorCount(8, 'sizes');
    if (n !== nlist) c.fail('sizes', `nlist = ${nlist} entries`, `${n} entries`, at);
    const raw = c.array(Uint32Array, 2 * n, 'sizes');
    for (let i = 0; i < n; i++) {
      if (raw[2 * i + 1] >= 0x200000) c.fail(`sizes[${i}]`, 'a list size below 2^53', 'a larger value', at + 8 + 8 * i);
      sizes[i] = raw[2 * i] + raw[2 * i + 1] * 4294967296;
    }
  } else if (lt.text === 'sprs') {
    const at = c.offset;
    const n = c.vectorCount(8, 'sparse sizes');
    if (n % 2 !== 0) c.fail('sparse sizes', 'an even number of entries ((list, size) pairs)', `${n} entries`, at);
    const raw = c.array(Uint32Array, 2 * n, 'sparse sizes');
    for (let j = 0; j < n; j += 2) {
      const list = raw[2 * j] + raw[2 * j + 1] * 4294967296;
      if (raw[2 * j + 1] !== 0 || list >= nlist) c.fail(`sparse sizes[${j}]`, `a list number below nlist = ${nlist}`, String(list), at + 8 + 8 * j);
      if (raw[2 * j + 3] >= 0x200000) c.fail(`sparse sizes[${j + 1}]`, 'a list size below 2^53', 'a larger value', at + 16 + 8 * j);
      sizes[list] = raw[2 * j + 2] + raw[2 * j + 3] * 4294967296;
    }
  } else {
    c.failFourcc('invlists.listType', 'list type "full" or "sprs"', lt);
  }
  return sizes;
}

/**
 * Reads an InvertedLists record (`il00` or `ilar`), checking nlist and
 * codeSize against the owning IVF index and every list against the bytes
 * that remain.
 */
export function readInvertedLists(c: Cursor, nlist: number, codeSize: number): InvertedListsRecord {
  const h = c.fourcc('invlists fourcc');
  if (h.text === 'il00') return { fourcc: 'il00' };
  if (h.text !== 'ilar') {
    if (h.text in OUT_OF_SCOPE_INVLISTS_FOURCCS) {
      c.failUnsupported('invlists fourcc', `FAISS inverted lists "${h.text}" (${OUT_OF_SCOPE_INVLISTS_FOURCCS[h.text]})`, h.at);
    }
    c.failFourcc('invlists fourcc', 'inverted lists fourcc "ilar" or "il00"', h);
  }
  c.label('ilar');
  try {
    const atN = c.offset;
    const n = c.u64('nlist');
    if (n !== nlist) c.fail('nlist', `the index nlist ${nlist}`, String(n), atN);
    const atC = c.offset;
    const cs = c.u64('codeSize');
    if (cs !== codeSize) c.fail('codeSize', `the index code size ${codeSize}`, String(cs), atC);
    const sizes = readSizes(c, nlist);
    // check that every list fits before allocating any (fail at the first that does not)
    let need = 0;
    const avail = c.remaining;
    for (let i = 0; i < nlist; i++) {
      const codes = sizes[i] * codeSize;
      const ids = sizes[i] * 8;
      if (need + codes > avail) {
        c.fail(`list ${i} codes`, `${codes} bytes (${sizes[i]} codes)`, `end of data (${avail - need} bytes left)`, c.offset + need);
      }
      if (need + codes + ids > avail) {
        c.fail(`list ${i} ids`, `${ids} bytes (${sizes[i]} ids)`, `end of data (${avail - need - codes} bytes left)`, c.offset + need + codes);
      }
      need += codes + ids;
    }
    c.track(nlist * 8);
    // All lists are read in one pass into one buffer; each list's codes and
    // ids are views of it. The region starts 8-byte aligned in its buffer, so
    // a code at region offset p is 4-byte aligned whenever codeSize is a
    // multiple of 4 (every list starts at a multiple of codeSize + 8). Ids
    // that do not land on an 8-byte boundary (odd code sizes) are copied into
    // one shared spill array.
    const region = need > 0 ? c.region(need, 'lists') : EMPTY_U8;
    let spill = 0;
    for (let i = 0, p = region.byteOffset; i < nlist; i++) {
      const n = sizes[i];
      if (n > 0 && (p + n * codeSize) % 8 !== 0) spill += n;
      p += n * (codeSize + 8);
    }
    const spillIds = spill > 0 ? new BigInt64Array(spill) : EMPTY_I64;
    if (spill > 0) c.track(spill * 8);
    const lists: InvertedList[] = new Array(nlist);
    for (let i = 0, p = 0, s = 0; i < nlist; i++) {
      const n = sizes[i];
      if (n === 0) {
        lists[i] = { codes: EMPTY_U8, ids: EMPTY_I64 };
        continue;
      }
      const codes = region.subarray(p, p + n * codeSize);
      const at = p + n * codeSize;
      let ids: BigInt64Array;
      if ((region.byteOffset + at) % 8 === 0) {
        ids = new BigInt64Array(region.buffer, region.byteOffset + at, n);
      } else {
        ids = spillIds.subarray(s, s + n);
        new Uint8Array(ids.buffer, ids.byteOffset, n * 8).set(region.subarray(at, at + n * 8));
        s += n;
      }
      lists[i] = { codes, ids };
      p = at + n * 8;
    }
    return { fourcc: 'ilar', nlist, codeSize, lists };
  } finally {
    c.unlabel();
  }
}

/** Checks an `ilar` record against its IVF index; returns the lists. */
export function checkArrayInvertedLists(e: Encoder, il: InvertedListsRecord, nlist: number, codeSize: number): InvertedList[] {
  if (typeof il !== 'object' || il === null || (il.fourcc !== 'ilar' && il.fourcc !== 'il00')) {
    e.fail('invlists', 'an InvertedListsRecord with fourcc "ilar" or "il00"', il);
  }
  if (il.fourcc === 'il00') return [];
  if (il.nlist !== nlist) e.fail('invlists.nlist', `the index nlist ${nlist}`, il.nlist);
  if (il.codeSize !== codeSize) e.fail('invlists.codeSize', `the index code size ${codeSize}`, il.codeSize);
  if (!Array.isArray(il.lists) || il.lists.length !== nlist) e.fail('invlists.lists', `an array of nlist = ${nlist} lists`, il.lists);
  for (let i = 0; i < nlist; i++) {
    const l = il.lists[i];
    if (typeof l !== 'object' || l === null) e.fail(`invlists.lists[${i}]`, 'an InvertedList', l);
    const ids = e.typed(l.ids, BigInt64Array, `invlists.lists[${i}].ids`);
    e.typed(l.codes, Uint8Array, `invlists.lists[${i}].codes`, ids.length * codeSize, `ids.length * codeSize = ${ids.length * codeSize}`);
  }
  return il.lists;
}

export function writeInvertedLists(e: Encoder, il: InvertedListsRecord, nlist: number, codeSize: number): void {
  const lists = checkArrayInvertedLists(e, il, nlist, codeSize);
  if (il.fourcc === 'il00') {
    e.fourcc('il00');
    return;
  }
  e.fourcc('ilar');
  e.u64(nlist, 'invlists.nlist');
  e.u64(codeSize, 'invlists.codeSize');
  let nonEmpty = 0;
  for (const l of lists) if (l.ids.length > 0) nonEmpty++;
  // FAISS writes "full" sizes iff more than half of the lists are non-empty
  if (nonEmpty > Math.floor(nlist / 2)) {
    e.fourcc('full');
    e.u64(nlist, 'invlists sizes length');
    for (const l of lists) e.u64(l.ids.length, 'invlists size');
  } else {
    e.fourcc('sprs');
    e.u64(2 * nonEmpty, 'invlists sizes length');
    for (let i = 0; i < nlist; i++) {
      const n = lists[i].ids.length;
      if (n > 0) {
        e.u64(i, 'invlists list number');
        e.u64(n, 'invlists size');
      }
    }
  }
  for (const l of lists) {
    if (l.ids.length > 0) {
      e.raw(l.codes);
      e.raw(l.ids);
    }
  }
}
