/**
 * io mappings for the composite indexes: IndexPreTransform (IxPT) and
 * IndexRefine / IndexRefineFlat (IxRF). IndexShards and IndexReplicas have no
 * FAISS file format (FAISS's write_index refuses them too).
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { checkMetric, headerOf, registerMapping } from './registry';
import { transformFromRecord, transformToRecord } from './transforms';

registerMapping({
  name: 'IndexPreTransform',
  fourccs: ['IxPT'],
  fromRecord(record, ctx) {
    const r = record as io.IndexPreTransformRecord;
    checkMetric(r.header, r.fourcc);
    const chain = r.chain.map(transformFromRecord);
    const index = ctx.fromRecord(r.index) as ix.Index;
    if ((chain.length ? chain[0].dIn : index.d) !== r.header.d) {
      throw new MetalFaissError('IO_FORMAT', `expected the IxPT header's d = ${r.header.d} to equal the chain's input dimension, received ${chain.length ? chain[0].dIn : index.d}`);
    }
    if (index.ntotal !== r.header.ntotal) {
      throw new MetalFaissError('IO_FORMAT', `expected the IxPT header's ntotal = ${r.header.ntotal} to equal the inner index's, received ${index.ntotal}`);
    }
    try {
      return new ix.IndexPreTransform(chain, index);
    } catch (cause) {
      throw new MetalFaissError('IO_FORMAT', `invalid IxPT index in the file: ${(cause as Error).message}`, { cause });
    }
  },
  writes: (index) => index instanceof ix.IndexPreTransform,
  toRecord(index, ctx) {
    const pt = index as ix.IndexPreTransform;
    return {
      fourcc: 'IxPT',
      header: headerOf(pt),
      chain: pt.chain.map(transformToRecord),
      index: ctx.toRecord(pt.index) as io.IndexRecord,
    } satisfies io.IndexPreTransformRecord;
  },
});

registerMapping({
  name: 'IndexRefine',
  fourccs: ['IxRF'],
  fromRecord(record, ctx) {
    const r = record as io.IndexRefineRecord;
    checkMetric(r.header, r.fourcc);
    const base = ctx.fromRecord(r.base) as ix.Index;
    const refine = ctx.fromRecord(r.refine) as ix.Index;
    if (!(r.kFactor >= 1) || !Number.isFinite(r.kFactor)) {
      throw new MetalFaissError('IO_FORMAT', `expected k_factor >= 1 in the IxRF index, received ${r.kFactor}`);
    }
    try {
      // FAISS's reader makes an IndexRefineFlat when the refine index is flat
      return refine instanceof ix.IndexFlat
        ? ix.IndexRefineFlat.fromParts(base, refine, r.kFactor)
        : ix.IndexRefine.fromParts(base, refine, r.kFactor);
    } catch (cause) {
      throw new MetalFaissError('IO_FORMAT', `invalid IxRF index in the file: ${(cause as Error).message}`, { cause });
    }
  },
  writes: (index) => index instanceof ix.IndexRefine,
  toRecord(index, ctx) {
    const rf = index as ix.IndexRefine;
    return {
      fourcc: 'IxRF',
      header: headerOf(rf),
      base: ctx.toRecord(rf.baseIndex) as io.IndexRecord,
      refine: ctx.toRecord(rf.refineIndex) as io.IndexRecord,
      kFactor: rf.kFactor,
    } satisfies io.IndexRefineRecord;
  },
});

registerMapping({
  name: 'IndexShards/IndexReplicas',
  fourccs: [],
  fromRecord() {
    throw new MetalFaissError('UNSUPPORTED', 'IndexShards and IndexReplicas have no FAISS file format');
  },
  writes: (index) => index instanceof ix.IndexShards || index instanceof ix.IndexReplicas,
  toRecord(index) {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `writing a ${index.constructor.name} is not supported: FAISS's format has no IndexShards/IndexReplicas (write each sub-index instead)`,
    );
  },
});
