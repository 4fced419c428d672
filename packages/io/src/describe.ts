/**
 * Tree summaries of records (for a CLI's "info" command and for logs):
 * type, dimension, size, metric, the parameters that matter per type, and
 * the encoded byte size of every node.
 */
import { writeBinaryIndexRecord, writeIndexRecord } from './codec/dispatch';
import { writeInvertedLists } from './codec/blocks';
import { writeVectorTransform } from './codec/transforms';
import { Encoder } from './encoder';
import { CLASS_NAMES } from './fourcc';
import type {
  AnyIndexRecord,
  BinaryIndexRecord,
  HNSWRecord,
  IndexRecord,
  InvertedListsRecord,
  VectorTransformRecord,
} from './records';
import { METRIC_NAMES, QUANTIZER_TYPE_NAMES } from './records';

export type DescriptionValue = number | string | boolean;

export interface RecordDescription {
  fourcc: string;
  /** FAISS class name. */
  className: string;
  /** Parameters in display order: d, ntotal, metric, nlist, nprobe, M, nbits, efSearch, ... */
  params: Record<string, DescriptionValue>;
  /** Encoded size of this node and its children, in bytes. */
  bytes: number;
  children: Array<{ role: string; node: RecordDescription }>;
}

const BINARY = new Set(['IBxF', 'IBwF', 'IBHf', 'IBMp', 'IBM2']);

function isBinary(r: AnyIndexRecord): r is BinaryIndexRecord {
  return BINARY.has(r.fourcc);
}

function measure(write: (e: Encoder) => void): number {
  const e = new Encoder();
  write(e);
  return e.length;
}

function hnswParams(g: HNSWRecord): Record<string, DescriptionValue> {
  const cum = g.cumNneighborPerLevel;
  const M = cum.length > 2 ? cum[2] - cum[1] : cum.length > 1 ? cum[1] / 2 : 0;
  return { M, efConstruction: g.efConstruction, efSearch: g.efSearch, maxLevel: g.maxLevel, entryPoint: g.entryPoint };
}

function describeInvlists(il: InvertedListsRecord, codeSize: number): RecordDescription {
  if (il.fourcc === 'il00') {
    return { fourcc: 'il00', className: CLASS_NAMES.il00, params: {}, bytes: 4, children: [] };
  }
  let nonEmpty = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let total = 0;
  for (const l of il.lists) {
    const n = l.ids.length;
    if (n > 0) nonEmpty++;
    min = Math.min(min, n);
    max = Math.max(max, n);
    total += n;
  }
  return {
    fourcc: 'ilar',
    className: CLASS_NAMES.ilar,
    params: { nlist: il.nlist, codeSize: il.codeSize, entries: total, nonEmptyLists: nonEmpty, minListSize: il.nlist ? min : 0, maxListSize: max },
    bytes: measure((e) => writeInvertedLists(e, il, il.nlist, codeSize)),
    children: [],
  };
}

function describeTransform(t: VectorTransformRecord): RecordDescription {
  const params: Record<string, DescriptionValue> = { dIn: t.dIn, dOut: t.dOut, trained: t.isTrained };
  const children: RecordDescription['children'] = [];
  switch (t.fourcc) {
    case 'LTra':
    case 'rrot':
    case 'Viqm':
      params.haveBias = t.haveBias;
      break;
    case 'Pcam':
    case 'PcAm':
    case 'PCAm':
      params.eigenPower = t.eigenPower;
      params.randomRotation = t.randomRotation;
      break;
    case 'VNrm':
      params.norm = t.norm;
      break;
    case 'Viqt':
      params.doPca = t.doPca;
      children.push({ role: 'itq', node: describeTransform(t.itq) });
      children.push({ role: 'pcaThenItq', node: describeTransform(t.pcaThenItq) });
      break;
    default:
      break;
  }
  return { fourcc: t.fourcc, className: CLASS_NAMES[t.fourcc] ?? t.fourcc, params, bytes: measure((e) => writeVectorTransform(e, t)), children };
}

/**
 * Summarises a record as a tree: type, d, ntotal, metric, the type's main
 * parameters (nlist/nprobe, M/nbits, qtype, efSearch, ...) and byte sizes.
 * The record is validated on the way (as the writer would).
 */
export function describeRecord(record: AnyIndexRecord): RecordDescription {
  const params: Record<string, DescriptionValue> = {};
  const children: RecordDescription['children'] = [];
  params.d = record.header.d;
  params.ntotal = record.header.ntotal;
  params.trained = record.header.isTrained;
  let bytes: number;
  if (isBinary(record)) {
    bytes = measure((e) => writeBinaryIndexRecord(e, record));
    switch (record.fourcc) {
      case 'IBwF':
        params.nlist = record.nlist;
        params.nprobe = record.nprobe;
        children.push({ role: 'quantizer', node: describeRecord(record.quantizer) });
        children.push({ role: 'invlists', node: describeInvlists(record.invlists, record.header.codeSize) });
        break;
      case 'IBHf':
        Object.assign(params, hnswParams(record.hnsw));
        children.push({ role: 'storage', node: describeRecord(record.storage) });
        break;
      case 'IBMp':
      case 'IBM2':
        children.push({ role: 'index', node: describeRecord(record.index) });
        break;
      default:
        break;
    }
  } else {
    const r: IndexRecord = record;
    bytes = measure((e) => writeIndexRecord(e, r));
    params.metric = METRIC_NAMES[r.header.metricType] ?? String(r.header.metricType);
    if (r.header.metricType > 1) params.metricArg = r.header.metricArg;
    switch (r.fourcc) {
      case 'IxPq':
      case 'IxPo':
      case 'IxPQ':
        params.M = r.pq.M;
        params.nbits = r.pq.nbits;
        break;
      case 'IxSQ':
        params.qtype = QUANTIZER_TYPE_NAMES[r.sq.qtype] ?? r.sq.qtype;
        params.codeSize = r.sq.codeSize;
        break;
      case 'IxHe':
      case 'IxHE':
        params.nbits = r.nbits;
        params.rotateData = r.rotateData;
        params.trainThresholds = r.trainThresholds;
        children.push({ role: 'rrot', node: describeTransform(r.rrot) });
        break;
      case 'IwFl':
      case 'IvFL':
      case 'IvFl':
      case 'IwFd':
      case 'IwPQ':
      case 'IvPQ':
      case 'IwSq':
      case 'IwSQ':
      case 'IvSQ': {
        params.nlist = r.nlist;
        params.nprobe = r.nprobe;
        let codeSize = r.header.d * 4;
        if (r.fourcc === 'IwPQ' || r.fourcc === 'IvPQ') {
          params.M = r.pq.M;
          params.nbits = r.pq.nbits;
          params.byResidual = r.byResidual;
          codeSize = r.codeSize;
        } else if (r.fourcc === 'IwSq' || r.fourcc === 'IwSQ' || r.fourcc === 'IvSQ') {
          params.qtype = QUANTIZER_TYPE_NAMES[r.sq.qtype] ?? r.sq.qtype;
          params.byResidual = r.byResidual;
          codeSize = r.codeSize;
        }
        params.directMap = ['NoMap', 'Array', 'Hashtable'][r.directMap.type] ?? r.directMap.type;
        children.push({ role: 'quantizer', node: describeRecord(r.quantizer) });
        children.push({ role: 'invlists', node: describeInvlists(r.invlists, codeSize) });
        break;
      }
      case 'IHNf':
      case 'IHNp':
      case 'IHNs':
        Object.assign(params, hnswParams(r.hnsw));
        children.push({ role: 'storage', node: describeRecord(r.storage) });
        break;
      case 'IxMp':
      case 'IxM2':
        children.push({ role: 'index', node: describeRecord(r.index) });
        break;
      case 'IxPT':
        r.chain.forEach((t, i) => children.push({ role: `chain[${i}]`, node: describeTransform(t) }));
        children.push({ role: 'index', node: describeRecord(r.index) });
        break;
      case 'IxRF':
        params.kFactor = r.kFactor;
        children.push({ role: 'base', node: describeRecord(r.base) });
        children.push({ role: 'refine', node: describeRecord(r.refine) });
        break;
      default:
        break;
    }
  }
  return { fourcc: record.fourcc, className: CLASS_NAMES[record.fourcc] ?? record.fourcc, params, bytes, children };
}

/** Renders a description as an indented text tree, one node per line. */
export function formatDescription(desc: RecordDescription): string {
  const lines: string[] = [];
  const walk = (node: RecordDescription, prefix: string, childPrefix: string): void => {
    const params = Object.entries(node.params)
      .map(([k, v]) => (typeof v === 'boolean' ? (k === 'trained' ? (v ? 'trained' : 'untrained') : `${k}=${v}`) : `${k}=${v}`))
      .join(' ');
    lines.push(`${prefix}${node.fourcc} ${node.className}${params ? ' ' + params : ''} (${node.bytes} bytes)`);
    node.children.forEach((ch, i) => {
      const last = i === node.children.length - 1;
      walk(ch.node, `${childPrefix}${last ? '└─ ' : '├─ '}${ch.role}: `, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(desc, '', '');
  return lines.join('\n');
}
