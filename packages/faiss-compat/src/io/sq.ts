/**
 * io mappings for the scalar-quantizer family: IndexScalarQuantizer (IxSQ)
 * and IndexIVFScalarQuantizer (IwSq; legacy IwSQ / IvSQ on read, which store
 * no by_residual and imply true). The ScalarQuantizer block (qtype,
 * rangestat, rangestat_arg, d, code_size, trained) maps to
 * `ix.ScalarQuantizer` field for field; is_trained of an
 * IndexScalarQuantizer follows from the trained parameters, as in FAISS.
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { fromFile, ivfPartsFromRecord, ivfRecordFields } from './ivf';
import { checkMetric, headerOf, registerMapping } from './registry';

export function scalarQuantizerRecord(sq: ix.ScalarQuantizer): io.ScalarQuantizerRecord {
  return { qtype: sq.qtype, rangestat: sq.rangestat, rangestatArg: sq.rangestatArg, d: sq.d, codeSize: sq.codeSize, trained: sq.trained };
}

/** Refuses a header is_trained that disagrees with what the index derives from its codec. */
export function checkTrainedFlag(fourcc: string, stored: boolean, derived: boolean, what: string): void {
  if (stored !== derived) {
    throw new MetalFaissError(
      'UNSUPPORTED',
      `the ${fourcc} index in the file says is_trained = ${stored} but its ${what} ${derived ? 'is' : 'is not'} trained; ` +
        'metalfaiss derives is_trained from the quantizer and cannot represent this index',
    );
  }
}

registerMapping({
  name: 'IndexScalarQuantizer',
  fourccs: ['IxSQ'],
  fromRecord(record) {
    const r = record as io.IndexScalarQuantizerRecord;
    checkMetric(r.header, r.fourcc);
    return fromFile(r.fourcc, () => {
      const index = new ix.IndexScalarQuantizer(r.header.d, r.sq.qtype as ix.QuantizerType, {
        metric: r.header.metricType as ix.MetricType,
        rangestat: r.sq.rangestat as ix.RangeStat,
        rangestatArg: r.sq.rangestatArg,
      });
      if (r.sq.trained.length > 0) index.sq.setTrained(r.sq.trained);
      checkTrainedFlag(r.fourcc, r.header.isTrained, index.isTrained, 'ScalarQuantizer');
      if (r.codes.length !== r.header.ntotal * index.codeSize) {
        throw new MetalFaissError('IO_FORMAT', `expected ntotal * code_size = ${r.header.ntotal * index.codeSize} code bytes in the IxSQ index, received ${r.codes.length}`);
      }
      if (r.codes.length > 0) index.addCodes(r.codes);
      return index;
    });
  },
  writes: (index) => index instanceof ix.IndexScalarQuantizer,
  toRecord(index) {
    const s = index as ix.IndexScalarQuantizer;
    return { fourcc: 'IxSQ', header: headerOf(s), sq: scalarQuantizerRecord(s.sq), codes: s.codes } satisfies io.IndexScalarQuantizerRecord;
  },
});

registerMapping({
  name: 'IndexIVFScalarQuantizer',
  fourccs: ['IwSq', 'IwSQ', 'IvSQ'],
  fromRecord(record, ctx) {
    const r = record as io.IndexIVFScalarQuantizerRecord;
    checkMetric(r.header, r.fourcc);
    const parts = ivfPartsFromRecord(r, ctx, r.codeSize);
    return fromFile(r.fourcc, () =>
      ix.IndexIVFScalarQuantizer.fromParts({
        ...parts,
        qtype: r.sq.qtype as ix.QuantizerType,
        byResidual: r.fourcc === 'IwSq' ? r.byResidual : true,
        trained: r.sq.trained,
        rangestat: r.sq.rangestat as ix.RangeStat,
        rangestatArg: r.sq.rangestatArg,
      }),
    );
  },
  writes: (index) => index instanceof ix.IndexIVFScalarQuantizer,
  toRecord(index, ctx) {
    const s = index as ix.IndexIVFScalarQuantizer;
    return {
      fourcc: 'IwSq',
      ...ivfRecordFields(s, ctx),
      sq: scalarQuantizerRecord(s.sq),
      codeSize: s.sq.codeSize,
      byResidual: s.byResidual,
    } satisfies io.IndexIVFScalarQuantizerRecord;
  },
});
