/**
 * Indexes that wrap other indexes: HNSW (IHNf/IHNp/IHNs), IDMap (IxMp/IxM2),
 * PreTransform (IxPT), Refine (IxRF), and the binary IBHf/IBMp/IBM2 (plus
 * IBxF, the binary flat storage they wrap).
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import type {
  BinaryIndexRecord,
  IndexBinaryFlatRecord,
  IndexBinaryHNSWRecord,
  IndexBinaryIDMapRecord,
  IndexHNSWRecord,
  IndexIDMapRecord,
  IndexPreTransformRecord,
  IndexRecord,
  IndexRefineRecord,
  VectorTransformRecord,
} from '../records';
import {
  readBinaryHeader,
  readHeader,
  readHNSW,
  writeBinaryHeader,
  writeHeader,
  writeHNSW,
} from './blocks';
import type { ReadBinaryChild, ReadChild, WriteBinaryChild, WriteChild } from './ivf';
import { readVectorTransform, writeVectorTransform } from './transforms';

/** Storage fourccs each HNSW flavour accepts (FAISS casts the storage to this class). */
export const HNSW_STORAGE: Readonly<Record<'IHNf' | 'IHNp' | 'IHNs', readonly string[]>> = {
  IHNf: ['IxF2', 'IxFI', 'IxFl'],
  IHNp: ['IxPq', 'IxPo', 'IxPQ'],
  IHNs: ['IxSQ'],
};

type Sized = { fourcc: string; header: { d: number; ntotal: number } };

function childProblem(child: Sized, d: number, ntotal: number | undefined): string | undefined {
  if (child.header.d !== d) return `dimension ${child.header.d} (expected d = ${d})`;
  if (ntotal !== undefined && child.header.ntotal !== ntotal) return `ntotal ${child.header.ntotal} (expected ntotal = ${ntotal})`;
  return undefined;
}

function checkChildRead(c: Cursor, field: string, child: Sized, d: number, ntotal: number | undefined, at: number): void {
  const p = childProblem(child, d, ntotal);
  if (p) c.fail(field, `a nested "${child.fourcc}" index with d = ${d}${ntotal === undefined ? '' : ` and ntotal = ${ntotal}`}`, p, at);
}

function checkChildWrite(e: Encoder, field: string, child: unknown, d: number, ntotal: number | undefined): Sized {
  const ch = child as Sized;
  if (typeof ch !== 'object' || ch === null || typeof ch.header !== 'object' || ch.header === null) e.fail(field, 'an index record', child);
  const p = childProblem(ch, d, ntotal);
  if (p) e.fail(field, `a nested index with d = ${d}${ntotal === undefined ? '' : ` and ntotal = ${ntotal}`}`, p);
  return ch;
}

// ---------------------------------------------------------------------------
// float

export function readHNSWIndex(c: Cursor, fourcc: 'IHNf' | 'IHNp' | 'IHNs', readChild: ReadChild): IndexHNSWRecord {
  const header = readHeader(c);
  const hnsw = readHNSW(c, header.ntotal);
  const at = c.offset;
  const storage = readChild(c);
  if (!HNSW_STORAGE[fourcc].includes(storage.fourcc)) {
    c.fail('storage', `storage of type ${HNSW_STORAGE[fourcc].join('/')} for "${fourcc}"`, `fourcc "${storage.fourcc}"`, at);
  }
  checkChildRead(c, 'storage', storage, header.d, header.ntotal, at);
  return { fourcc, header, hnsw, storage };
}

export function writeHNSWIndex(e: Encoder, r: IndexHNSWRecord, writeChild: WriteChild): void {
  writeHeader(e, r.header);
  const s = checkChildWrite(e, 'storage', r.storage, r.header.d, r.header.ntotal);
  if (!HNSW_STORAGE[r.fourcc].includes(s.fourcc)) e.fail('storage', `storage of type ${HNSW_STORAGE[r.fourcc].join('/')}`, `fourcc "${s.fourcc}"`);
  writeHNSW(e, r.hnsw, r.header.ntotal);
  writeChild(e, r.storage);
}

export function readIDMap(c: Cursor, fourcc: 'IxMp' | 'IxM2', readChild: ReadChild): IndexIDMapRecord {
  const header = readHeader(c);
  const at = c.offset;
  const index = readChild(c);
  checkChildRead(c, 'index', index, header.d, header.ntotal, at);
  const idMap = c.vector(BigInt64Array, 'idMap', header.ntotal);
  return { fourcc, header, index, idMap };
}

export function writeIDMap(e: Encoder, r: IndexIDMapRecord, writeChild: WriteChild): void {
  writeHeader(e, r.header);
  checkChildWrite(e, 'index', r.index, r.header.d, r.header.ntotal);
  const ids = e.typed(r.idMap, BigInt64Array, 'idMap', r.header.ntotal, `ntotal = ${r.header.ntotal}`);
  writeChild(e, r.index);
  e.vector(ids, BigInt64Array, 'idMap');
}

function chainProblem(d: number, chain: VectorTransformRecord[], indexD: number): [string, string, string] | undefined {
  let cur = d;
  for (let i = 0; i < chain.length; i++) {
    if (chain[i].dIn !== cur) return [`chain[${i}].dIn`, i === 0 ? `the index dimension ${d}` : `chain[${i - 1}].dOut = ${cur}`, String(chain[i].dIn)];
    cur = chain[i].dOut;
  }
  if (indexD !== cur) return ['index', `a nested index of dimension ${cur} (the chain's output)`, `dimension ${indexD}`];
  return undefined;
}

export function readPreTransform(c: Cursor, readChild: ReadChild): IndexPreTransformRecord {
  const header = readHeader(c);
  const atN = c.offset;
  const nt = c.i32('chain length');
  // each transform takes at least 13 bytes (fourcc + d_in + d_out + is_trained)
  if (nt < 0 || nt * 13 > c.remaining) c.fail('chain length', `a transform count in [0, ${Math.floor(c.remaining / 13)}]`, String(nt), atN);
  const chain: VectorTransformRecord[] = [];
  for (let i = 0; i < nt; i++) {
    c.label(`chain[${i}]`);
    try {
      chain.push(readVectorTransform(c));
    } finally {
      c.unlabel();
    }
  }
  const at = c.offset;
  const index = readChild(c);
  const bad = chainProblem(header.d, chain, index.header.d);
  if (bad) c.fail(bad[0], bad[1], bad[2], at);
  if (index.header.ntotal !== header.ntotal) c.fail('index', `a nested index with ntotal = ${header.ntotal}`, `ntotal ${index.header.ntotal}`, at);
  return { fourcc: 'IxPT', header, chain, index };
}

export function writePreTransform(e: Encoder, r: IndexPreTransformRecord, writeChild: WriteChild): void {
  writeHeader(e, r.header);
  if (!Array.isArray(r.chain)) e.fail('chain', 'an array of VectorTransformRecords', r.chain);
  const index = checkChildWrite(e, 'index', r.index, r.index?.header?.d, r.header.ntotal);
  for (let i = 0; i < r.chain.length; i++) {
    const t = r.chain[i];
    if (typeof t !== 'object' || t === null) e.fail(`chain[${i}]`, 'a VectorTransformRecord', t);
  }
  const bad = chainProblem(r.header.d, r.chain, index.header.d);
  if (bad) e.fail(bad[0], bad[1], bad[2]);
  e.i32(r.chain.length, 'chain length', 0);
  for (let i = 0; i < r.chain.length; i++) {
    e.enter(`chain[${i}]`);
    try {
      writeVectorTransform(e, r.chain[i]);
    } finally {
      e.leave();
    }
  }
  writeChild(e, r.index);
}

function kFactorOk(k: number): boolean {
  return Number.isFinite(k) && k >= 1 && k <= 1000;
}

export function readRefine(c: Cursor, readChild: ReadChild): IndexRefineRecord {
  const header = readHeader(c);
  const atB = c.offset;
  const base = readChild(c);
  checkChildRead(c, 'base', base, header.d, header.ntotal, atB);
  const atR = c.offset;
  const refine = readChild(c);
  checkChildRead(c, 'refine', refine, header.d, header.ntotal, atR);
  const atK = c.offset;
  const kFactor = c.f32('kFactor');
  if (!kFactorOk(kFactor)) c.fail('kFactor', 'a finite value in [1, 1000]', String(kFactor), atK);
  return { fourcc: 'IxRF', header, base, refine, kFactor };
}

export function writeRefine(e: Encoder, r: IndexRefineRecord, writeChild: WriteChild): void {
  writeHeader(e, r.header);
  checkChildWrite(e, 'base', r.base, r.header.d, r.header.ntotal);
  checkChildWrite(e, 'refine', r.refine, r.header.d, r.header.ntotal);
  if (typeof r.kFactor !== 'number' || !kFactorOk(Math.fround(r.kFactor))) e.fail('kFactor', 'a finite value in [1, 1000]', r.kFactor);
  writeChild(e, r.base);
  writeChild(e, r.refine);
  e.f32(r.kFactor, 'kFactor');
}

// ---------------------------------------------------------------------------
// binary

export function readBinaryFlat(c: Cursor): IndexBinaryFlatRecord {
  const header = readBinaryHeader(c);
  const xb = c.vector(Uint8Array, 'xb', header.ntotal * header.codeSize);
  return { fourcc: 'IBxF', header, xb };
}

export function writeBinaryFlat(e: Encoder, r: IndexBinaryFlatRecord): void {
  writeBinaryHeader(e, r.header);
  const n = r.header.ntotal * r.header.codeSize;
  e.vector(r.xb, Uint8Array, 'xb', n, `ntotal * codeSize = ${n}`);
}

export function readBinaryHNSW(c: Cursor, readChild: ReadBinaryChild): IndexBinaryHNSWRecord {
  const header = readBinaryHeader(c);
  const hnsw = readHNSW(c, header.ntotal);
  const at = c.offset;
  const storage = readChild(c);
  if (storage.fourcc !== 'IBxF') c.fail('storage', 'IndexBinaryFlat ("IBxF") storage', `fourcc "${storage.fourcc}"`, at);
  checkChildRead(c, 'storage', storage, header.d, header.ntotal, at);
  return { fourcc: 'IBHf', header, hnsw, storage };
}

export function writeBinaryHNSW(e: Encoder, r: IndexBinaryHNSWRecord, writeChild: WriteBinaryChild): void {
  writeBinaryHeader(e, r.header);
  const s = checkChildWrite(e, 'storage', r.storage, r.header.d, r.header.ntotal);
  if (s.fourcc !== 'IBxF') e.fail('storage', 'IndexBinaryFlat ("IBxF") storage', `fourcc "${s.fourcc}"`);
  writeHNSW(e, r.hnsw, r.header.ntotal);
  writeChild(e, r.storage);
}

export function readBinaryIDMap(c: Cursor, fourcc: 'IBMp' | 'IBM2', readChild: ReadBinaryChild): IndexBinaryIDMapRecord {
  const header = readBinaryHeader(c, true);
  const at = c.offset;
  const index = readChild(c);
  checkChildRead(c, 'index', index, header.d, header.ntotal, at);
  const idMap = c.vector(BigInt64Array, 'idMap', header.ntotal);
  return { fourcc, header, index, idMap };
}

export function writeBinaryIDMap(e: Encoder, r: IndexBinaryIDMapRecord, writeChild: WriteBinaryChild): void {
  writeBinaryHeader(e, r.header, true);
  checkChildWrite(e, 'index', r.index, r.header.d, r.header.ntotal);
  const ids = e.typed(r.idMap, BigInt64Array, 'idMap', r.header.ntotal, `ntotal = ${r.header.ntotal}`);
  writeChild(e, r.index);
  e.vector(ids, BigInt64Array, 'idMap');
}

export type { BinaryIndexRecord, IndexRecord };
