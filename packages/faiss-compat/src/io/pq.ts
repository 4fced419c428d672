/**
 * io mappings for the product-quantizer family: IndexPQ (IxPq; legacy IxPQ
 * and IxPo on read, which FAISS treats as L2 whatever the stored metric) and
 * IndexIVFPQ (IwPQ; legacy IvPQ on read).
 *
 * As FAISS 1.7.3's reader does: an IxPQ file, which stores no search
 * parameters, gets IndexPQ's default-constructor values (search_type ST_PQ,
 * encode_signs false, polysemous_ht 1); an IndexIVFPQ gets its precomputed
 * table recomputed (use_precomputed_table back to the default choice) and
 * polysemous_ht / scan_table_threshold at their defaults, none of which is
 * stored.
 */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { fromFile, ivfPartsFromRecord, ivfRecordFields } from './ivf';
import { checkMetric, headerOf, registerMapping } from './registry';
import { checkTrainedFlag } from './sq';

/** polysemous_ht of FAISS's IndexPQ() default constructor (its pq has nbits 0, M 1): what an IxPQ file loads with. */
const LEGACY_POLYSEMOUS_HT = 1;

export function productQuantizerRecord(pq: ix.ProductQuantizer): io.ProductQuantizerRecord {
  return { d: pq.d, M: pq.M, nbits: pq.nbits, centroids: pq.centroids };
}

function checkNbits(fourcc: string, pq: io.ProductQuantizerRecord, max: number, cls: string): void {
  if (pq.nbits > max) {
    throw new MetalFaissError('UNSUPPORTED', `the ${fourcc} index in the file has a product quantizer of nbits = ${pq.nbits}; metalfaiss's ${cls} supports nbits <= ${max}`);
  }
}

function allZero(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

registerMapping({
  name: 'IndexPQ',
  fourccs: ['IxPq', 'IxPo', 'IxPQ'],
  fromRecord(record) {
    const r = record as io.IndexPQRecord | io.IndexPQLegacyRecord;
    // FAISS: "old versions of PQ all had metric_type set to INNER_PRODUCT when they were in fact using L2"
    const metric = r.fourcc === 'IxPq' ? r.header.metricType : ix.MetricType.L2;
    checkMetric({ metricType: metric }, r.fourcc);
    checkNbits(r.fourcc, r.pq, 16, 'IndexPQ');
    return fromFile(r.fourcc, () => {
      const index = new ix.IndexPQ(r.header.d, r.pq.M, r.pq.nbits, metric as ix.MetricType);
      if (r.header.isTrained) {
        index.pq.setCentroids(r.pq.centroids);
      } else if (!allZero(r.pq.centroids)) {
        // FAISS's untrained IndexPQ holds zero centroids; ours cannot hold others untrained
        checkTrainedFlag(r.fourcc, false, true, 'ProductQuantizer');
      }
      if (r.fourcc === 'IxPQ') {
        index.polysemousHt = LEGACY_POLYSEMOUS_HT;
      } else {
        index.searchType = r.searchType as ix.SearchType;
        index.encodeSigns = r.encodeSigns;
        index.polysemousHt = r.polysemousHt;
      }
      if (r.codes.length !== r.header.ntotal * index.codeSize) {
        throw new MetalFaissError('IO_FORMAT', `expected ntotal * code_size = ${r.header.ntotal * index.codeSize} code bytes in the ${r.fourcc} index, received ${r.codes.length}`);
      }
      if (r.codes.length > 0) index.addCodes(r.codes);
      return index;
    });
  },
  writes: (index) => index instanceof ix.IndexPQ,
  toRecord(index) {
    const p = index as ix.IndexPQ;
    return {
      fourcc: 'IxPq',
      header: headerOf(p),
      pq: productQuantizerRecord(p.pq),
      codes: p.codes,
      searchType: p.searchType,
      encodeSigns: p.encodeSigns,
      polysemousHt: p.polysemousHt,
    } satisfies io.IndexPQRecord;
  },
});

registerMapping({
  name: 'IndexIVFPQ',
  fourccs: ['IwPQ', 'IvPQ'],
  fromRecord(record, ctx) {
    const r = record as io.IndexIVFPQRecord;
    checkMetric(r.header, r.fourcc);
    checkNbits(r.fourcc, r.pq, 8, 'IndexIVFPQ');
    const parts = ivfPartsFromRecord(r, ctx, r.codeSize);
    return fromFile(r.fourcc, () => {
      if (!r.header.isTrained && !allZero(r.pq.centroids)) checkTrainedFlag(r.fourcc, false, true, 'ProductQuantizer');
      return ix.IndexIVFPQ.fromParts({ ...parts, M: r.pq.M, nbits: r.pq.nbits, byResidual: r.byResidual, pqCentroids: r.pq.centroids });
    });
  },
  writes: (index) => index instanceof ix.IndexIVFPQ,
  toRecord(index, ctx) {
    const p = index as ix.IndexIVFPQ;
    return {
      fourcc: 'IwPQ',
      ...ivfRecordFields(p, ctx),
      byResidual: p.byResidual,
      codeSize: p.pq.codeSize,
      pq: productQuantizerRecord(p.pq),
    } satisfies io.IndexIVFPQRecord;
  },
});
