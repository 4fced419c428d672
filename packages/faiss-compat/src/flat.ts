import * as ix from '@metalfaiss/indexes';
import { Index } from './base';
import { registerWrapper, wrapIndex } from './wrap';

export class IndexFlat extends Index<ix.IndexFlat> {
  /** `faiss.IndexFlat(d, metric=faiss.METRIC_L2)` */
  constructor(d: number, metric: number = ix.MetricType.L2) {
    super(new ix.IndexFlat(d, { metric: metric as ix.MetricType }));
  }
  /** the stored vectors (`faiss.rev_swig_ptr(index.get_xb(), ...)` in Python) */
  get_xb(): Float32Array {
    return this.impl.vectors;
  }
}

export class IndexFlatL2 extends IndexFlat {
  constructor(d: number) {
    super(d, ix.MetricType.L2);
  }
}

export class IndexFlatIP extends IndexFlat {
  constructor(d: number) {
    super(d, ix.MetricType.INNER_PRODUCT);
  }
}

/** `faiss.IndexIDMap(index)`: add_with_ids over any index. */
export class IndexIDMap extends Index<ix.IndexIDMap> {
  readonly index: Index;
  constructor(index: Index) {
    super(new ix.IndexIDMap(index.impl));
    this.index = index;
  }
  get id_map(): BigInt64Array {
    return this.impl.idMap;
  }
}

/** `faiss.IndexIDMap2(index)`: IndexIDMap that can reconstruct by id. */
export class IndexIDMap2 extends Index<ix.IndexIDMap2> {
  readonly index: Index;
  constructor(index: Index) {
    super(new ix.IndexIDMap2(index.impl));
    this.index = index;
  }
  get id_map(): BigInt64Array {
    return this.impl.idMap;
  }
}

registerWrapper(ix.IndexFlat, IndexFlat);
registerWrapper(ix.IndexFlatL2, IndexFlatL2);
registerWrapper(ix.IndexFlatIP, IndexFlatIP);
registerWrapper(ix.IndexIDMap, IndexIDMap, (w, impl) => {
  Object.defineProperty(w, 'index', { value: wrapIndex(impl.index), enumerable: true });
});
registerWrapper(ix.IndexIDMap2, IndexIDMap2, (w, impl) => {
  Object.defineProperty(w, 'index', { value: wrapIndex(impl.index), enumerable: true });
});
