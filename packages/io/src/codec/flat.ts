/**
 * Indexes that hold one code per vector in a single array: IndexFlat
 * (IxF2/IxFI/IxFl), IndexPQ (IxPq/IxPo/IxPQ), IndexScalarQuantizer (IxSQ)
 * and IndexLSH (IxHe/IxHE).
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import type {
  IndexFlatRecord,
  IndexHeader,
  IndexLSHRecord,
  IndexPQLegacyRecord,
  IndexPQRecord,
  IndexScalarQuantizerRecord,
  LinearTransformRecord,
} from '../records';
import {
  MAX_D,
  metricText,
  pqCodeSize,
  readHeader,
  readProductQuantizer,
  readScalarQuantizer,
  writeHeader,
  writeProductQuantizer,
  writeScalarQuantizer,
} from './blocks';
import { readVectorTransform, writeVectorTransform } from './transforms';

/** The flat fourcc FAISS writes for a metric. */
export function flatFourccFor(metricType: number): 'IxF2' | 'IxFI' | 'IxFl' {
  return metricType === 0 ? 'IxFI' : metricType === 1 ? 'IxF2' : 'IxFl';
}

/** Reads `count` codes of `codeSize` bytes stored as a vector<uint8_t>. */
function readCodes(c: Cursor, field: string, ntotal: number, codeSize: number): Uint8Array {
  return c.vector(Uint8Array, field, ntotal * codeSize);
}

export function readFlat(c: Cursor, fourcc: 'IxF2' | 'IxFI' | 'IxFl'): IndexFlatRecord {
  const header = readHeader(c);
  if (fourcc !== flatFourccFor(header.metricType)) {
    c.fail('header.metricType', `the metric of a "${fourcc}" record`, metricText(header.metricType));
  }
  // FAISS >= 1.7.3 stores the vectors as bytes but writes the count in floats
  const xb = c.vector(Float32Array, 'xb', header.ntotal * header.d);
  return { fourcc, header, xb };
}

export function writeFlat(e: Encoder, r: IndexFlatRecord): void {
  writeHeader(e, r.header);
  if (r.fourcc !== flatFourccFor(r.header.metricType)) {
    e.fail('header.metricType', `a metric that FAISS writes as "${r.fourcc}"`, metricText(r.header.metricType));
  }
  const n = r.header.ntotal * r.header.d;
  e.vector(r.xb, Float32Array, 'xb', n, `ntotal * d = ${n}`);
}

const SEARCH_TYPES = 'an IndexPQ search type in [0, 5]';

export function readPQ(c: Cursor, fourcc: 'IxPq' | 'IxPo' | 'IxPQ'): IndexPQRecord | IndexPQLegacyRecord {
  const header = readHeader(c);
  if (header.d < 1) c.fail('header.d', 'a positive dimension', String(header.d));
  const pq = readProductQuantizer(c, 'pq', header.d);
  const codes = readCodes(c, 'codes', header.ntotal, pqCodeSize(pq.M, pq.nbits));
  if (fourcc === 'IxPQ') return { fourcc, header, pq, codes };
  const at = c.offset;
  const searchType = c.i32('searchType');
  if (searchType < 0 || searchType > 5) c.fail('searchType', SEARCH_TYPES, String(searchType), at);
  const encodeSigns = c.bool('encodeSigns');
  const polysemousHt = c.i32('polysemousHt');
  return { fourcc, header, pq, codes, searchType, encodeSigns, polysemousHt };
}

export function writePQ(e: Encoder, r: IndexPQRecord | IndexPQLegacyRecord): void {
  writeHeader(e, r.header);
  writeProductQuantizer(e, r.pq, 'pq', r.header.d);
  const n = r.header.ntotal * pqCodeSize(r.pq.M, r.pq.nbits);
  e.vector(r.codes, Uint8Array, 'codes', n, `ntotal * codeSize = ${n}`);
  if (r.fourcc === 'IxPQ') return;
  e.i32(r.searchType, 'searchType', 0, 5);
  e.bool(r.encodeSigns, 'encodeSigns');
  e.i32(r.polysemousHt, 'polysemousHt');
}

export function readSQ(c: Cursor): IndexScalarQuantizerRecord {
  const header = readHeader(c);
  const sq = readScalarQuantizer(c, 'sq', header);
  const codes = readCodes(c, 'codes', header.ntotal, sq.codeSize);
  return { fourcc: 'IxSQ', header, sq, codes };
}

export function writeSQ(e: Encoder, r: IndexScalarQuantizerRecord): void {
  writeHeader(e, r.header);
  writeScalarQuantizer(e, r.sq, 'sq', r.header);
  const n = r.header.ntotal * r.sq.codeSize;
  e.vector(r.codes, Uint8Array, 'codes', n, `ntotal * codeSize = ${n}`);
}

export function readLSH(c: Cursor, fourcc: 'IxHe' | 'IxHE'): IndexLSHRecord {
  const header = readHeader(c);
  const atB = c.offset;
  const nbits = c.i32('nbits');
  if (nbits < 0 || nbits > MAX_D) c.fail('nbits', `a bit count in [0, ${MAX_D}]`, String(nbits), atB);
  if (fourcc === 'IxHE' && nbits % 64 !== 0) c.fail('nbits', 'a multiple of 64 in the legacy "IxHE" format', String(nbits), atB);
  const rotateData = c.bool('rotateData');
  const trainThresholds = c.bool('trainThresholds');
  const atT = c.offset;
  const thresholds = c.vector(Float32Array, 'thresholds');
  if (thresholds.length !== 0 && thresholds.length !== nbits) {
    c.fail('thresholds', `0 or nbits = ${nbits} floats`, `${thresholds.length} floats`, atT);
  }
  const atC = c.offset;
  const stored = c.i32('codeSize');
  const codeSize = fourcc === 'IxHE' ? stored * 8 : stored;
  const expect = Math.ceil(nbits / 8);
  if (codeSize !== expect) {
    c.fail('codeSize', fourcc === 'IxHE' ? `nbits / 64 = ${nbits / 64} words` : `ceil(nbits / 8) = ${expect} bytes`, String(stored), atC);
  }
  const atR = c.offset;
  const rrot = readVectorTransform(c);
  if (rrot.fourcc !== 'rrot') c.fail('rrot', 'a RandomRotationMatrix ("rrot")', `fourcc "${rrot.fourcc}"`, atR);
  if (rrot.dIn !== header.d || rrot.dOut !== nbits) {
    c.fail('rrot', `dIn = d = ${header.d} and dOut = nbits = ${nbits}`, `dIn ${rrot.dIn}, dOut ${rrot.dOut}`, atR);
  }
  const codes = readCodes(c, 'codes', header.ntotal, codeSize);
  return { fourcc, header, nbits, rotateData, trainThresholds, thresholds, codeSize, rrot: rrot as LinearTransformRecord, codes };
}

export function writeLSH(e: Encoder, r: IndexLSHRecord): void {
  writeHeader(e, r.header);
  e.i32(r.nbits, 'nbits', 0, MAX_D);
  if (r.fourcc === 'IxHE' && r.nbits % 64 !== 0) e.fail('nbits', 'a multiple of 64 for the legacy "IxHE" format', r.nbits);
  e.bool(r.rotateData, 'rotateData');
  e.bool(r.trainThresholds, 'trainThresholds');
  const t = e.typed(r.thresholds, Float32Array, 'thresholds');
  if (t.length !== 0 && t.length !== r.nbits) e.fail('thresholds', `a Float32Array of length 0 or nbits = ${r.nbits}`, t);
  e.vector(t, Float32Array, 'thresholds');
  const expect = Math.ceil(r.nbits / 8);
  if (r.codeSize !== expect) e.fail('codeSize', `ceil(nbits / 8) = ${expect}`, r.codeSize);
  e.i32(r.fourcc === 'IxHE' ? r.codeSize / 8 : r.codeSize, 'codeSize');
  const rr = r.rrot as LinearTransformRecord | undefined;
  if (typeof rr !== 'object' || rr === null || rr.fourcc !== 'rrot') e.fail('rrot', 'a LinearTransformRecord with fourcc "rrot"', rr);
  if (rr.dIn !== r.header.d || rr.dOut !== r.nbits) {
    e.fail('rrot', `dIn = d = ${r.header.d} and dOut = nbits = ${r.nbits}`, `dIn ${rr.dIn}, dOut ${rr.dOut}`);
  }
  writeVectorTransform(e, rr);
  const n = r.header.ntotal * r.codeSize;
  e.vector(r.codes, Uint8Array, 'codes', n, `ntotal * codeSize = ${n}`);
}

export type { IndexHeader };
