/**
 * Fourcc dispatch for float and binary index records (the recursive entry
 * points used for top-level records and nested children alike).
 */
import type { Cursor } from '../cursor';
import type { Encoder } from '../encoder';
import {
  BINARY_INDEX_FOURCCS,
  FLOAT_INDEX_FOURCCS,
  OUT_OF_SCOPE_BINARY_FOURCCS,
  OUT_OF_SCOPE_FLOAT_FOURCCS,
  printableFourcc,
} from '../fourcc';
import type { BinaryIndexRecord, IndexRecord } from '../records';
import {
  readBinaryFlat,
  readBinaryHNSW,
  readBinaryIDMap,
  readHNSWIndex,
  readIDMap,
  readPreTransform,
  readRefine,
  writeBinaryFlat,
  writeBinaryHNSW,
  writeBinaryIDMap,
  writeHNSWIndex,
  writeIDMap,
  writePreTransform,
  writeRefine,
} from './composite';
import { readFlat, readLSH, readPQ, readSQ, writeFlat, writeLSH, writePQ, writeSQ } from './flat';
import { readBinaryIvf, readIvf, writeBinaryIvf, writeIvf } from './ivf';

const FLOAT = new Set<string>(FLOAT_INDEX_FOURCCS);
const BINARY = new Set<string>(BINARY_INDEX_FOURCCS);

export function readIndexRecord(c: Cursor): IndexRecord {
  const h = c.fourcc('index fourcc');
  const f = h.text;
  if (!FLOAT.has(f)) {
    if (f in OUT_OF_SCOPE_FLOAT_FOURCCS) c.failUnsupported('index fourcc', `FAISS index type "${f}" (${OUT_OF_SCOPE_FLOAT_FOURCCS[f]})`, h.at);
    if (BINARY.has(f) || f in OUT_OF_SCOPE_BINARY_FOURCCS) {
      c.fail('index fourcc', 'a float index fourcc (this is a binary index: use readIndexBinary)', `fourcc "${f}"`, h.at);
    }
    c.fail('index fourcc', 'an index fourcc known to FAISS 1.7.3', `fourcc ${printableFourcc(h.value)}`, h.at);
  }
  c.enter(f);
  try {
    switch (f) {
      case 'IxF2':
      case 'IxFI':
      case 'IxFl':
        return readFlat(c, f);
      case 'IxPq':
      case 'IxPo':
      case 'IxPQ':
        return readPQ(c, f);
      case 'IxSQ':
        return readSQ(c);
      case 'IxHe':
      case 'IxHE':
        return readLSH(c, f);
      case 'IwFl':
      case 'IvFL':
      case 'IvFl':
      case 'IwFd':
      case 'IwPQ':
      case 'IvPQ':
      case 'IwSq':
      case 'IwSQ':
      case 'IvSQ':
        return readIvf(c, f, readIndexRecord);
      case 'IHNf':
      case 'IHNp':
      case 'IHNs':
        return readHNSWIndex(c, f, readIndexRecord);
      case 'IxMp':
      case 'IxM2':
        return readIDMap(c, f, readIndexRecord);
      case 'IxPT':
        return readPreTransform(c, readIndexRecord);
      case 'IxRF':
        return readRefine(c, readIndexRecord);
      default:
        return c.fail('index fourcc', 'a supported index fourcc', `fourcc "${f}"`, h.at);
    }
  } finally {
    c.leave();
  }
}

export function writeIndexRecord(e: Encoder, r: IndexRecord): void {
  const f = (r as { fourcc?: unknown } | null)?.fourcc;
  if (typeof r !== 'object' || r === null || typeof f !== 'string' || !FLOAT.has(f)) {
    if (typeof f === 'string' && BINARY.has(f)) e.fail('record', 'a float index record (this is a binary record: use writeIndexBinary)', `fourcc "${f}"`);
    e.fail('record.fourcc', `one of ${FLOAT_INDEX_FOURCCS.join(', ')}`, f === undefined ? r : f);
  }
  e.enter(r.fourcc);
  try {
    e.fourcc(r.fourcc);
    switch (r.fourcc) {
      case 'IxF2':
      case 'IxFI':
      case 'IxFl':
        return writeFlat(e, r);
      case 'IxPq':
      case 'IxPo':
      case 'IxPQ':
        return writePQ(e, r);
      case 'IxSQ':
        return writeSQ(e, r);
      case 'IxHe':
      case 'IxHE':
        return writeLSH(e, r);
      case 'IwFl':
      case 'IvFL':
      case 'IvFl':
      case 'IwFd':
      case 'IwPQ':
      case 'IvPQ':
      case 'IwSq':
      case 'IwSQ':
      case 'IvSQ':
        return writeIvf(e, r, writeIndexRecord);
      case 'IHNf':
      case 'IHNp':
      case 'IHNs':
        return writeHNSWIndex(e, r, writeIndexRecord);
      case 'IxMp':
      case 'IxM2':
        return writeIDMap(e, r, writeIndexRecord);
      case 'IxPT':
        return writePreTransform(e, r, writeIndexRecord);
      case 'IxRF':
        return writeRefine(e, r, writeIndexRecord);
    }
  } finally {
    e.leave();
  }
}

export function readBinaryIndexRecord(c: Cursor): BinaryIndexRecord {
  const h = c.fourcc('index fourcc');
  const f = h.text;
  if (!BINARY.has(f)) {
    if (f in OUT_OF_SCOPE_BINARY_FOURCCS) c.failUnsupported('index fourcc', `FAISS binary index type "${f}" (${OUT_OF_SCOPE_BINARY_FOURCCS[f]})`, h.at);
    if (FLOAT.has(f) || f in OUT_OF_SCOPE_FLOAT_FOURCCS) {
      c.fail('index fourcc', 'a binary index fourcc (this is a float index: use readIndex)', `fourcc "${f}"`, h.at);
    }
    c.fail('index fourcc', 'a binary index fourcc known to FAISS 1.7.3', `fourcc ${printableFourcc(h.value)}`, h.at);
  }
  c.enter(f);
  try {
    switch (f) {
      case 'IBxF':
        return readBinaryFlat(c);
      case 'IBwF':
        return readBinaryIvf(c, readBinaryIndexRecord);
      case 'IBHf':
        return readBinaryHNSW(c, readBinaryIndexRecord);
      case 'IBMp':
      case 'IBM2':
        return readBinaryIDMap(c, f, readBinaryIndexRecord);
      default:
        return c.fail('index fourcc', 'a supported binary index fourcc', `fourcc "${f}"`, h.at);
    }
  } finally {
    c.leave();
  }
}

export function writeBinaryIndexRecord(e: Encoder, r: BinaryIndexRecord): void {
  const f = (r as { fourcc?: unknown } | null)?.fourcc;
  if (typeof r !== 'object' || r === null || typeof f !== 'string' || !BINARY.has(f)) {
    if (typeof f === 'string' && FLOAT.has(f)) e.fail('record', 'a binary index record (this is a float record: use writeIndex)', `fourcc "${f}"`);
    e.fail('record.fourcc', `one of ${BINARY_INDEX_FOURCCS.join(', ')}`, f === undefined ? r : f);
  }
  e.enter(r.fourcc);
  try {
    e.fourcc(r.fourcc);
    switch (r.fourcc) {
      case 'IBxF':
        return writeBinaryFlat(e, r);
      case 'IBwF':
        return writeBinaryIvf(e, r, writeBinaryIndexRecord);
      case 'IBHf':
        return writeBinaryHNSW(e, r, writeBinaryIndexRecord);
      case 'IBMp':
      case 'IBM2':
        return writeBinaryIDMap(e, r, writeBinaryIndexRecord);
    }
  } finally {
    e.leave();
  }
}
