export { MetalFaissError, invalidArgument, describeValue } from './errors';
export type { MetalFaissErrorCode } from './errors';
export { Index } from './index-base';
export { signalOf, throwIfAborted, abortedError, yieldToEventLoop } from './abort';
export type { AsyncOptions } from './abort';
export type { SearchResult, RangeSearchResult, SearchParameters } from './index-base';
export { MetricType, parseMetric, metricName, isSimilarity } from './metric';
export type { MetricInput } from './metric';
export { IndexFlat, IndexFlatL2, IndexFlatIP } from './flat';
export type { IndexFlatOptions } from './flat';
export { IndexIDMap, IndexIDMap2 } from './idmap';
export { IDSelectorRange, IDSelectorBatch, toSelector } from './selector';
export type { IDSelector } from './selector';
export { toIds, toId, checkK, checkDimension } from './validate';
export type { IdsInput } from './validate';
export { VectorTransform, LinearTransform } from './transforms/vector-transform';
export { RandomRotationMatrix, randomRotation } from './transforms/random-rotation';
export { PCAMatrix } from './transforms/pca';
export type { PCAMatrixOptions } from './transforms/pca';
export { ITQMatrix, ITQTransform } from './transforms/itq';
export { NormalizationTransform, CenteringTransform, RemapDimensionsTransform } from './transforms/simple';
export { floatRandn, randPerm as faissRandPerm, maybeSubsample } from './transforms/random-normal';
export { IndexPreTransform } from './meta/pre-transform';
export { IndexRefine, IndexRefineFlat } from './meta/refine';
export type { SearchParametersRefine } from './meta/refine';
export { IndexShards, IndexReplicas, mergeShardResults } from './meta/shards';
export type { IndexShardsOptions } from './meta/shards';
export { Clustering, Kmeans, clusteringParameters, DEFAULT_CLUSTERING_PARAMETERS } from './clustering/index';
export type {
  ClusteringIterationStats, ClusteringOptions, ClusteringParameters, ClusteringProgress, ClusteringPruneStats,
  ClusteringTrainOptions, KmeansAssignment, KmeansTrainOptions,
} from './clustering/index';
export {
  IndexIVF, IndexIVFFlat, ArrayInvertedLists, imbalanceFactorOf, DirectMap, DirectMapTypeCode, parseDirectMapType,
  loBuild, loListNo, loOffset, scanWithScanner, rangeScanWithScanner,
} from './ivf/index';
export type {
  IndexIVFOptions, SearchParametersIVF, InvertedLists, InvertedListsSnapshot, DirectMapType, InvertedListScanner,
  IVFSearchJob, IVFRangeJob, IndexIVFParts, IndexIVFFlatParts, IndexIVFTrainOptions, IVFTrainProgress,
} from './ivf/index';
export * from './sq/index';
export * from './factory/index';
export * from './hnsw';
export * from './pq/index';
export { OPQMatrix } from './transforms/opq';
export type { OPQProgress, OPQProductQuantizer } from './transforms/opq';
export * from './binary';
export * from './lsh';
export { IndexIVFPQ, PRECOMPUTED_TABLE_MAX_BYTES } from './ivf/ivf-pq';
export type { IndexIVFPQOptions, IndexIVFPQParts } from './ivf/ivf-pq';
export { IndexIVFScalarQuantizer } from './ivf/ivf-sq';
export type { IndexIVFScalarQuantizerOptions, IndexIVFScalarQuantizerParts } from './ivf/ivf-sq';
export { IndexIVFOPQ } from './meta/ivf-opq';
export type { IndexIVFOPQOptions } from './meta/ivf-opq';
