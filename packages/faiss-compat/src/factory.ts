/**
 * `faiss.index_factory(d, description, metric)` and
 * `faiss.index_binary_factory(d, description)`: FAISS's grammar (see
 * @metalfaiss/indexes' factory), returning faiss-compat objects.
 */
import * as ix from '@metalfaiss/indexes';
import type { Index } from './base';
import type { IndexBinary } from './binary';
import { wrapIndex, wrapObject } from './wrap';

export function index_factory(d: number, description: string, metric: number = ix.MetricType.L2): Index {
  return wrapIndex(ix.indexFactory(d, description, metric as ix.MetricType));
}

/** The binary index a description names (BFlat, BIVF{n}[_HNSW{M}], BHNSW{M}, IDMap/IDMap2 around them), as its compat class. */
export function index_binary_factory(d: number, description: string): IndexBinary {
  return wrapObject(ix.indexBinaryFactory(d, description)) as IndexBinary;
}
