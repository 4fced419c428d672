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
export {
  read_index,
  write_index,
  serialize_index,
  deserialize_index,
  read_index_binary,
  write_index_binary,
  serialize_index_binary,
  deserialize_index_binary,
} from './io/api';
export { registerMapping, mappingContext } from './io/registry';
export type { RecordMapping, MappingContext, IndexObject } from './io/registry';
export { wrapIndex, wrapObject, registerWrapper } from './wrap';
import './io/flat';
export { IDSelectorRange, IDSelectorBatch, MetalFaissError } from '@metalfaiss/indexes';
export type { IDSelector } from '@metalfaiss/indexes';
export {
  VectorTransform,
  LinearTransform,
  RandomRotationMatrix,
  PCAMatrix,
  ITQMatrix,
  ITQTransform,
  OPQMatrix,
  NormalizationTransform,
  CenteringTransform,
  RemapDimensionsTransform,
  downcast_VectorTransform,
  vector_to_array,
} from './transforms';
export { IndexPreTransform, IndexIVFOPQ, IndexRefine, IndexRefineFlat, IndexShards, IndexReplicas } from './meta';
import './io/composite';
import './io/ivf';
import './io/sq';
import './io/pq';
export { index_factory, index_binary_factory } from './factory';
export { ParameterSpace, downcast_index, extract_index_ivf, setNumProbes } from './parameter-space';
export { HNSW, IndexHNSW, IndexHNSWFlat, IndexHNSWPQ, IndexHNSWSQ } from './hnsw';
export type { SearchParametersHNSW } from './hnsw';
export { IndexBinary, IndexBinaryFlat, IndexBinaryHNSW, IndexBinaryIDMap, IndexBinaryIDMap2, IndexBinaryIVF } from './binary';
export type { BinarySearchResultTuple, BinaryRangeSearchResultTuple, BinarySearchParameters } from './binary';
export { IndexLSH } from './lsh';
export { ScalarQuantizer, IndexFlatCodes, IndexScalarQuantizer, IndexIVFScalarQuantizer } from './sq';
export { ProductQuantizer, IndexPQ, IndexIVFPQ } from './pq';
export { IndexIVF, IndexIVFFlat, InvertedLists, ArrayInvertedLists, DirectMap, SearchParametersIVF } from './ivf';
export { Kmeans, Clustering, ClusteringParameters } from './clustering';
export type { KmeansOptions, ClusteringIterationStats, ClusteringParameterName } from './clustering';
