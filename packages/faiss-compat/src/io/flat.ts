/** io mappings for IndexFlat (IxF2 / IxFI / IxFl) and IndexIDMap / IndexIDMap2 (IxMp / IxM2). */
import * as ix from '@metalfaiss/indexes';
import type * as io from '@metalfaiss/io';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { checkMetric, headerOf, registerMapping } from './registry';

registerMapping({
  name: 'IndexFlat',
  fourccs: ['IxF2', 'IxFI', 'IxFl'],
  fromRecord(record) {
    const r = record as io.IndexFlatRecord;
    checkMetric(r.header, r.fourcc);
    // FAISS's reader builds IndexFlatL2 for IxF2 and IndexFlatIP for IxFI.
    if (r.fourcc === 'IxF2') return ix.IndexFlatL2.fromVectors(r.header.d, r.xb);
    if (r.fourcc === 'IxFI') return ix.IndexFlatIP.fromVectors(r.header.d, r.xb);
    return ix.IndexFlat.fromVectors(r.header.d, r.xb, { metric: r.header.metricType as ix.MetricType });
  },
  writes: (index) => index instanceof ix.IndexFlat,
  toRecord(index) {
    const flat = index as ix.IndexFlat;
    return {
      fourcc: flat.metricType === ix.MetricType.L2 ? 'IxF2' : 'IxFI',
      header: headerOf(flat),
      xb: flat.vectors,
    } satisfies io.IndexFlatRecord;
  },
});

registerMapping({
  name: 'IndexIDMap',
  fourccs: ['IxMp', 'IxM2'],
  fromRecord(record, ctx) {
    const r = record as io.IndexIDMapRecord;
    const sub = ctx.fromRecord(r.index) as ix.Index;
    if (r.idMap.length !== sub.ntotal) {
      throw new MetalFaissError('IO_FORMAT', `expected ${sub.ntotal} ids (the sub-index's ntotal) in the ${r.fourcc} id map, received ${r.idMap.length}`);
    }
    return ix.IndexIDMap.fromParts(sub, r.idMap, r.fourcc === 'IxM2');
  },
  writes: (index) => index instanceof ix.IndexIDMap,
  toRecord(index, ctx) {
    const m = index as ix.IndexIDMap;
    return {
      fourcc: m instanceof ix.IndexIDMap2 ? 'IxM2' : 'IxMp',
      header: headerOf(m),
      index: ctx.toRecord(m.index) as io.IndexRecord,
      idMap: m.idMap,
    } satisfies io.IndexIDMapRecord;
  },
});
