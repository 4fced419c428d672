/**
 * Mappings between io records (FAISS's file format as plain data) and
 * `@metalfaiss/indexes` objects. Each index family registers one mapping in
 * its own file (io/flat.ts, io/ivf.ts, ...): the fourccs it reads, a test for
 * the index objects it writes, and the two conversions. Nested records (an
 * IVF's quantizer, an IDMap's index) go through `ctx.fromRecord` /
 * `ctx.toRecord`, so families compose without knowing each other.
 */
import type * as io from '@metalfaiss/io';
import type * as ix from '@metalfaiss/indexes';
import { MetalFaissError } from '@metalfaiss/metal-kernels';

/**
 * An index object of @metalfaiss/indexes: an `ix.Index` for float indexes,
 * or a binary index object (the binary family has its own base class).
 */
export type IndexObject = ix.Index | object;

export interface MappingContext {
  fromRecord(record: io.AnyIndexRecord): IndexObject;
  toRecord(index: IndexObject): io.AnyIndexRecord;
}

export interface RecordMapping {
  /** what this mapping is, for error messages */
  name: string;
  /** fourccs this mapping reads */
  fourccs: readonly string[];
  fromRecord(record: io.AnyIndexRecord, ctx: MappingContext): IndexObject;
  /** whether this mapping writes `index` (checked most recently registered first) */
  writes(index: IndexObject): boolean;
  toRecord(index: IndexObject, ctx: MappingContext): io.AnyIndexRecord;
}

const byFourcc = new Map<string, RecordMapping>();
const writers: RecordMapping[] = [];

export function registerMapping(mapping: RecordMapping): void {
  for (const f of mapping.fourccs) byFourcc.set(f, mapping);
  writers.unshift(mapping);
}

export const mappingContext: MappingContext = {
  fromRecord(record) {
    const m = byFourcc.get(record.fourcc);
    if (!m) {
      throw new MetalFaissError(
        'UNSUPPORTED',
        `the file holds a ${record.fourcc} index, which @metalfaiss/io reads but metalfaiss does not implement yet ` +
          `(implemented: ${[...byFourcc.keys()].sort().join(', ')})`,
      );
    }
    return m.fromRecord(record, mappingContext);
  },
  toRecord(index) {
    const m = writers.find((w) => w.writes(index));
    if (!m) {
      throw new MetalFaissError('UNSUPPORTED', `writing a ${index.constructor.name} to FAISS's format is not supported`);
    }
    return m.toRecord(index, mappingContext);
  },
};

/** The float-index header of an index object. */
export function headerOf(index: ix.Index): io.IndexHeader {
  return { d: index.d, ntotal: index.ntotal, isTrained: index.isTrained, metricType: index.metricType, metricArg: 0 };
}

/** Refuses metrics other than L2 / inner product, naming the record. */
export function checkMetric(header: { metricType: number }, fourcc: string): void {
  if (header.metricType !== 0 && header.metricType !== 1) {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `the ${fourcc} index in the file uses FAISS metric ${header.metricType}; metalfaiss supports L2 (1) and inner product (0)`,
    );
  }
}
