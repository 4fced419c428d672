/**
 * io mappings for the IVF family: IndexIVFFlat (IwFl, legacy IvFL / IvFl on
 * read), plus the IVF header and inverted-list conversions that the IVFPQ
 * (io/pq.ts) and IVFScalarQuantizer (io/sq.ts) mappings share.
 *
 * What FAISS 1.7.3's read_ivf_header restores, we restore: nlist, nprobe
 * (the value at write time becomes the default), the nested coarse quantizer
 * (through `ctx`, so any mapped quantizer type works), the direct map as
 * stored (hashtable pairs keep their order, so a FAISS file writes back byte
 * for byte) and the lists. Training settings that FAISS does not store (the
 * clustering parameters, quantizer_trains_alone, max_codes) revert to their
 * defaults, as in FAISS. An IVF written without its lists (`il00`) cannot be
 * searched and is refused.
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { checkMetric, headerOf, registerMapping, type MappingContext } from './registry';

type IvfRecord = io.IndexIVFFlatRecord | io.IndexIVFPQRecord | io.IndexIVFScalarQuantizerRecord;

const DIRECT_MAP_TYPES: readonly ix.DirectMapType[] = ['none', 'array', 'hashtable'];

/**
 * Runs an index constructor / fromParts on a file's fields: argument errors
 * become IO_FORMAT naming the record (the file is what is wrong), other
 * codes (UNSUPPORTED, ...) pass through.
 */
export function fromFile<T>(fourcc: string, build: () => T): T {
  try {
    return build();
  } catch (cause) {
    if (MetalFaissError.isInstance(cause) && (cause.code === 'INVALID_ARGUMENT' || cause.code === 'DIMENSION_MISMATCH')) {
      throw new MetalFaissError('IO_FORMAT', `invalid ${fourcc} index in the file: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

/** The IVF fields of a record as an IndexIVF subclass's fromParts takes them (quantizer, lists, direct map, ...). */
export function ivfPartsFromRecord(
  r: IvfRecord,
  ctx: MappingContext,
  codeSize: number,
): { d: number; nlist: number; metric: ix.MetricType; quantizer: ix.Index } & ix.IndexIVFParts {
  checkMetric(r.header, r.fourcc);
  if (r.invlists.fourcc !== 'ilar') {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `the ${r.fourcc} index in the file was written without its inverted lists ("${r.invlists.fourcc}"); metalfaiss needs the lists stored in the file`,
    );
  }
  const quantizer = ctx.fromRecord(r.quantizer);
  if (!(quantizer instanceof ix.Index)) {
    throw new MetalFaissError('IO_FORMAT', `expected a float index as the quantizer of the ${r.fourcc} index, received a ${quantizer.constructor.name}`);
  }
  const stored = r.invlists;
  const invlists = fromFile(r.fourcc, () => {
    if (stored.nlist !== r.nlist || stored.codeSize !== codeSize) {
      throw new MetalFaissError(
        'IO_FORMAT',
        `expected inverted lists with nlist = ${r.nlist} and code size ${codeSize} in the ${r.fourcc} index, received nlist = ${stored.nlist}, code size ${stored.codeSize}`,
      );
    }
    const lists = new ix.ArrayInvertedLists(r.nlist, codeSize);
    // the record's lists are views of the buffer the file was read into:
    // adopt them without copying (copy-on-write keeps later adds out of it)
    stored.lists.forEach((l, i) => {
      if (l.ids.length > 0) lists.adoptEntries(i, l.ids, l.codes);
    });
    return lists;
  });
  return {
    d: r.header.d,
    nlist: r.nlist,
    metric: r.header.metricType as ix.MetricType,
    quantizer,
    invlists,
    ntotal: r.header.ntotal,
    nprobe: r.nprobe,
    isTrained: r.header.isTrained,
    directMap: { type: DIRECT_MAP_TYPES[r.directMap.type] ?? r.directMap.type, array: r.directMap.array, pairs: r.directMap.hashtable },
  };
}

/** The 'ilar' record of an index's inverted lists (float and binary IVF alike). */
export function invlistsRecordOf(
  inv: { codes(list: number): Uint8Array; ids(list: number): BigInt64Array },
  nlist: number,
  codeSize: number,
): io.IndexIVFFlatRecord['invlists'] {
  const lists: io.InvertedList[] = new Array(nlist);
  for (let l = 0; l < nlist; l++) lists[l] = { codes: inv.codes(l), ids: inv.ids(l) };
  return { fourcc: 'ilar', nlist, codeSize, lists };
}

/** The direct-map record of an index (its hashtable as FAISS's flat (id, list/offset) pairs). */
export function directMapRecordOf(dm: ix.DirectMap): io.IndexIVFFlatRecord['directMap'] {
  const pairs = new BigInt64Array(dm.hashtable.size * 2);
  let j = 0;
  for (const [id, lo] of dm.hashtable) {
    pairs[j++] = id;
    pairs[j++] = lo;
  }
  return { type: ix.DirectMapTypeCode[dm.type], array: dm.array, hashtable: pairs };
}

/** The IVF fields of a record for an IndexIVF (header, nlist, nprobe, quantizer, direct map, lists). */
export function ivfRecordFields(index: ix.IndexIVF, ctx: MappingContext): Omit<io.IndexIVFFlatRecord, 'fourcc'> {
  return {
    header: headerOf(index),
    nlist: index.nlist,
    nprobe: index.nprobe,
    quantizer: ctx.toRecord(index.quantizer) as io.IndexRecord,
    directMap: directMapRecordOf(index.directMap),
    invlists: invlistsRecordOf(index.invlists, index.nlist, index.codeSize),
  };
}

registerMapping({
  name: 'IndexIVFFlat',
  fourccs: ['IwFl', 'IvFL', 'IvFl'],
  fromRecord(record, ctx) {
    const r = record as io.IndexIVFFlatRecord;
    const parts = ivfPartsFromRecord(r, ctx, r.header.d * 4);
    return fromFile(r.fourcc, () => ix.IndexIVFFlat.fromParts(parts));
  },
  writes: (index) => index instanceof ix.IndexIVFFlat,
  toRecord(index, ctx) {
    // FAISS 1.7.3 writes IwFl (the legacy IvFL / IvFl forms are read-only)
    return { fourcc: 'IwFl', ...ivfRecordFields(index as ix.IndexIVFFlat, ctx) } satisfies io.IndexIVFFlatRecord;
  },
});
