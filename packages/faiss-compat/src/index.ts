/**
 * @metalfaiss/faiss-compat: FAISS's Python names for metalfaiss.
 *
 *   import * as faiss from '@metalfaiss/faiss-compat';
 *   const index = new faiss.IndexFlatL2(d);
 *   index.add(xb);
 *   const [D, I] = index.search(xq, k);
 */
export { Index } from './base';
export type { SearchParameters, SearchResultTuple, RangeSearchResultTuple } from './base';
export { IndexFlat, IndexFlatL2, IndexFlatIP, IndexIDMap, IndexIDMap2 } from './flat';
export { METRIC_INNER_PRODUCT, METRIC_L2, normalize_L2, knn, omp_set_num_threads, omp_get_max_threads } from './functions';
export { IDSelectorRange, IDSelectorBatch, MetalFaissError } from '@metalfaiss/indexes';
export type { IDSelector } from '@metalfaiss/indexes';
