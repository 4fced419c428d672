/**
 * IVF indexes: IndexIVFFlat (IwFl, legacy IvFL/IvFl), IndexIVFFlatDedup
 * (IwFd), IndexIVFPQ (IwPQ, legacy IvPQ), IndexIVFScalarQuantizer (IwSq,
 * legacy IwSQ/IvSQ), and the binary IndexBinaryIVF (IBwF).
 *
 * IVF header: float header, nlist (u64), nprobe (u64), the coarse quantizer
 * (a nested index), [legacy: one vector<i64> of ids per list], DirectMap.
 * Current forms end with an InvertedLists record; legacy forms end with one
 * code vector per list.
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import type {
  ArrayInvertedListsRecord,
  BinaryIndexRecord,
  DirectMapRecord,
  IndexBinaryIVFRecord,
  IndexHeader,
  IndexIVFFlatDedupRecord,
  IndexIVFFlatRecord,
  IndexIVFPQRecord,
  IndexIVFScalarQuantizerRecord,
  IndexRecord,
  InvertedList,
  InvertedListsRecord,
} from '../records';
import {
  EMPTY_I64,
  EMPTY_U8,
  checkArrayInvertedLists,
  maxNlist,
  pqCodeSize,
  readBinaryHeader,
  readDirectMap,
  readHeader,
  readInvertedLists,
  readProductQuantizer,
  readScalarQuantizer,
  writeBinaryHeader,
  writeDirectMap,
  writeHeader,
  writeInvertedLists,
  writeProductQuantizer,
  writeScalarQuantizer,
} from './blocks';

export type ReadChild = (c: Cursor) => IndexRecord;
export type WriteChild = (e: Encoder, r: IndexRecord) => void;
export type ReadBinaryChild = (c: Cursor) => BinaryIndexRecord;
export type WriteBinaryChild = (e: Encoder, r: BinaryIndexRecord) => void;

type IvfFourcc = IndexIVFFlatRecord['fourcc'] | IndexIVFFlatDedupRecord['fourcc'] | IndexIVFPQRecord['fourcc'] | IndexIVFScalarQuantizerRecord['fourcc'];

interface IvfHead {
  header: IndexHeader;
  nlist: number;
  nprobe: number;
  quantizer: IndexRecord;
  legacyIds?: BigInt64Array[];
  directMap: DirectMapRecord;
}

function readNlist(c: Cursor): number {
  const at = c.offset;
  const limit = maxNlist(c.size);
  const nlist = c.u64('nlist');
  if (nlist > limit) c.fail('nlist', `at most ${limit} lists for ${c.size} bytes of data`, String(nlist), at);
  return nlist;
}

function checkQuantizer(c: Cursor, q: { header: { d: number; ntotal: number } }, d: number, nlist: number, isTrained: boolean, at: number): void {
  if (q.header.d !== d) c.fail('quantizer', `a quantizer of dimension d = ${d}`, `dimension ${q.header.d}`, at);
  if (isTrained && q.header.ntotal !== nlist) {
    c.fail('quantizer', `nlist = ${nlist} centroids in the quantizer of a trained index`, `${q.header.ntotal} centroids`, at);
  }
}

function readIvfHead(c: Cursor, readChild: ReadChild, legacy: boolean): IvfHead {
  const header = readHeader(c);
  if (header.d < 1) c.fail('header.d', 'a positive dimension', String(header.d));
  const nlist = readNlist(c);
  const nprobe = c.u64('nprobe');
  const atQ = c.offset;
  const quantizer = readChild(c);
  checkQuantizer(c, quantizer, header.d, nlist, header.isTrained, atQ);
  let legacyIds: BigInt64Array[] | undefined;
  if (legacy) {
    c.track(nlist * 8);
    legacyIds = new Array(nlist);
    for (let i = 0; i < nlist; i++) legacyIds[i] = c.vector(BigInt64Array, `list ${i} ids`);
  }
  const directMap = readDirectMap(c, header.ntotal);
  return { header, nlist, nprobe, quantizer, legacyIds, directMap };
}

function writeIvfHead(e: Encoder, r: IvfHead & { invlists: InvertedListsRecord }, writeChild: WriteChild, legacy: boolean, codeSize: number): void {
  writeHeader(e, r.header);
  if (r.header.d < 1) e.fail('header.d', 'a positive dimension', r.header.d);
  e.u64(r.nlist, 'nlist');
  e.u64(r.nprobe, 'nprobe');
  const q = r.quantizer;
  if (typeof q !== 'object' || q === null || typeof q.header !== 'object' || q.header === null) e.fail('quantizer', 'an IndexRecord', q);
  if (q.header.d !== r.header.d) e.fail('quantizer', `a quantizer of dimension d = ${r.header.d}`, `dimension ${q.header.d}`);
  if (r.header.isTrained && q.header.ntotal !== r.nlist) {
    e.fail('quantizer', `nlist = ${r.nlist} centroids in the quantizer of a trained index`, `${q.header.ntotal} centroids`);
  }
  // check the lists before writing anything that depends on them
  const lists = checkArrayInvertedLists(e, r.invlists, r.nlist, codeSize);
  if (legacy && r.invlists.fourcc !== 'ilar') e.fail('invlists', 'an "ilar" record (legacy formats always store their lists)', r.invlists.fourcc);
  writeChild(e, q);
  if (legacy) for (const l of lists) e.vector(l.ids, BigInt64Array, 'list ids');
  writeDirectMap(e, r.directMap, r.header.ntotal);
}

/** Legacy forms store one code vector per list after the type-specific fields. */
function readLegacyLists(c: Cursor, head: IvfHead, codeSize: number, asFloats: boolean): ArrayInvertedListsRecord {
  const ids = head.legacyIds as BigInt64Array[];
  c.track(head.nlist * 8);
  const lists: InvertedList[] = new Array(head.nlist);
  for (let i = 0; i < head.nlist; i++) {
    const at = c.offset;
    const bytes = ids[i].length * codeSize;
    const elem = asFloats ? 4 : 1;
    const n = c.vectorCount(elem, `list ${i} codes`);
    if (n * elem !== bytes) c.fail(`list ${i} codes`, `${bytes / elem} ${asFloats ? 'floats' : 'bytes'} (ids * codeSize)`, String(n), at);
    lists[i] = { codes: n === 0 ? EMPTY_U8 : c.array(Uint8Array, bytes, `list ${i} codes`), ids: ids[i].length === 0 ? EMPTY_I64 : ids[i] };
  }
  return { fourcc: 'ilar', nlist: head.nlist, codeSize, lists };
}

function writeLegacyLists(e: Encoder, il: InvertedListsRecord, asFloats: boolean): void {
  const lists = (il as ArrayInvertedListsRecord).lists;
  for (const l of lists) {
    e.u64(asFloats ? l.codes.length / 4 : l.codes.length, 'list codes length');
    e.raw(l.codes);
  }
}

export function readIvf(c: Cursor, fourcc: IvfFourcc, readChild: ReadChild): IndexRecord {
  const legacy = fourcc === 'IvFL' || fourcc === 'IvFl' || fourcc === 'IvPQ' || fourcc === 'IvSQ';
  const head = readIvfHead(c, readChild, legacy);
  const base = { header: head.header, nlist: head.nlist, nprobe: head.nprobe, quantizer: head.quantizer, directMap: head.directMap };
  switch (fourcc) {
    case 'IwFl':
    case 'IvFL':
    case 'IvFl': {
      const codeSize = head.header.d * 4;
      const invlists = legacy ? readLegacyLists(c, head, codeSize, fourcc === 'IvFl') : readInvertedLists(c, head.nlist, codeSize);
      return { fourcc, ...base, invlists };
    }
    case 'IwFd': {
      const at = c.offset;
      const instances = c.vector(BigInt64Array, 'instances');
      if (instances.length % 2 !== 0) c.fail('instances', 'an even number of entries ((id, id) pairs)', String(instances.length), at);
      const invlists = readInvertedLists(c, head.nlist, head.header.d * 4);
      return { fourcc, ...base, instances, invlists };
    }
    case 'IwPQ':
    case 'IvPQ': {
      const byResidual = c.bool('byResidual');
      const atC = c.offset;
      const codeSize = c.u64('codeSize');
      const pq = readProductQuantizer(c, 'pq', head.header.d);
      const expect = pqCodeSize(pq.M, pq.nbits);
      if (codeSize !== expect) c.fail('codeSize', `ceil(M * nbits / 8) = ${expect}`, String(codeSize), atC);
      const invlists = legacy ? readLegacyLists(c, head, codeSize, false) : readInvertedLists(c, head.nlist, codeSize);
      return { fourcc, ...base, byResidual, codeSize, pq, invlists };
    }
    case 'IwSq':
    case 'IwSQ':
    case 'IvSQ': {
      const sq = readScalarQuantizer(c, 'sq', head.header);
      const atC = c.offset;
      const codeSize = c.u64('codeSize');
      if (codeSize !== sq.codeSize) c.fail('codeSize', `sq.codeSize = ${sq.codeSize}`, String(codeSize), atC);
      const byResidual = fourcc === 'IwSq' ? c.bool('byResidual') : true;
      const invlists = legacy ? readLegacyLists(c, head, codeSize, false) : readInvertedLists(c, head.nlist, codeSize);
      return { fourcc, ...base, sq, codeSize, byResidual, invlists };
    }
  }
}

type IvfRecord = IndexIVFFlatRecord | IndexIVFFlatDedupRecord | IndexIVFPQRecord | IndexIVFScalarQuantizerRecord;

export function writeIvf(e: Encoder, r: IvfRecord, writeChild: WriteChild): void {
  const legacy = r.fourcc === 'IvFL' || r.fourcc === 'IvFl' || r.fourcc === 'IvPQ' || r.fourcc === 'IvSQ';
  if (typeof r.header !== 'object' || r.header === null) e.fail('header', 'an IndexHeader object', r.header);
  switch (r.fourcc) {
    case 'IwFl':
    case 'IvFL':
    case 'IvFl': {
      const codeSize = r.header.d * 4;
      writeIvfHead(e, r, writeChild, legacy, codeSize);
      if (legacy) writeLegacyLists(e, r.invlists, r.fourcc === 'IvFl');
      else writeInvertedLists(e, r.invlists, r.nlist, codeSize);
      return;
    }
    case 'IwFd': {
      const codeSize = r.header.d * 4;
      const inst = e.typed(r.instances, BigInt64Array, 'instances');
      if (inst.length % 2 !== 0) e.fail('instances', 'a BigInt64Array of even length', inst);
      writeIvfHead(e, r, writeChild, false, codeSize);
      e.vector(inst, BigInt64Array, 'instances');
      writeInvertedLists(e, r.invlists, r.nlist, codeSize);
      return;
    }
    case 'IwPQ':
    case 'IvPQ': {
      if (typeof r.pq !== 'object' || r.pq === null) e.fail('pq', 'a ProductQuantizerRecord', r.pq);
      const expect = pqCodeSize(r.pq.M, r.pq.nbits);
      if (r.codeSize !== expect) e.fail('codeSize', `ceil(M * nbits / 8) = ${expect}`, r.codeSize);
      writeIvfHead(e, r, writeChild, legacy, r.codeSize);
      e.bool(r.byResidual, 'byResidual');
      e.u64(r.codeSize, 'codeSize');
      writeProductQuantizer(e, r.pq, 'pq', r.header.d);
      if (legacy) writeLegacyLists(e, r.invlists, false);
      else writeInvertedLists(e, r.invlists, r.nlist, r.codeSize);
      return;
    }
    case 'IwSq':
    case 'IwSQ':
    case 'IvSQ': {
      if (typeof r.sq !== 'object' || r.sq === null) e.fail('sq', 'a ScalarQuantizerRecord', r.sq);
      if (r.codeSize !== r.sq.codeSize) e.fail('codeSize', `sq.codeSize = ${r.sq.codeSize}`, r.codeSize);
      if (r.fourcc !== 'IwSq' && r.byResidual !== true) e.fail('byResidual', `true (the legacy "${r.fourcc}" format implies it)`, r.byResidual);
      writeIvfHead(e, r, writeChild, legacy, r.codeSize);
      writeScalarQuantizer(e, r.sq, 'sq', r.header);
      e.u64(r.codeSize, 'codeSize');
      if (r.fourcc === 'IwSq') e.bool(r.byResidual, 'byResidual');
      if (legacy) writeLegacyLists(e, r.invlists, false);
      else writeInvertedLists(e, r.invlists, r.nlist, r.codeSize);
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// binary IVF

export function readBinaryIvf(c: Cursor, readChild: ReadBinaryChild): IndexBinaryIVFRecord {
  const header = readBinaryHeader(c);
  const nlist = readNlist(c);
  const nprobe = c.u64('nprobe');
  const atQ = c.offset;
  const quantizer = readChild(c);
  checkQuantizer(c, quantizer, header.d, nlist, header.isTrained, atQ);
  const directMap = readDirectMap(c, header.ntotal);
  const invlists = readInvertedLists(c, nlist, header.codeSize);
  return { fourcc: 'IBwF', header, nlist, nprobe, quantizer, directMap, invlists };
}

export function writeBinaryIvf(e: Encoder, r: IndexBinaryIVFRecord, writeChild: WriteBinaryChild): void {
  writeBinaryHeader(e, r.header);
  e.u64(r.nlist, 'nlist');
  e.u64(r.nprobe, 'nprobe');
  const q = r.quantizer;
  if (typeof q !== 'object' || q === null || typeof q.header !== 'object' || q.header === null) e.fail('quantizer', 'a BinaryIndexRecord', q);
  if (q.header.d !== r.header.d) e.fail('quantizer', `a quantizer of dimension d = ${r.header.d}`, `dimension ${q.header.d}`);
  if (r.header.isTrained && q.header.ntotal !== r.nlist) {
    e.fail('quantizer', `nlist = ${r.nlist} centroids in the quantizer of a trained index`, `${q.header.ntotal} centroids`);
  }
  checkArrayInvertedLists(e, r.invlists, r.nlist, r.header.codeSize);
  writeChild(e, q);
  writeDirectMap(e, r.directMap, r.header.ntotal);
  writeInvertedLists(e, r.invlists, r.nlist, r.header.codeSize);
}
