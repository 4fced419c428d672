export { Clustering, clusteringParameters, DEFAULT_CLUSTERING_PARAMETERS } from './clustering';
export type {
  ClusteringIterationStats,
  ClusteringOptions,
  ClusteringParameters,
  ClusteringProgress,
  ClusteringPruneStats,
  ClusteringTrainOptions,
} from './clustering';
export { Kmeans } from './kmeans';
export type { KmeansAssignment, KmeansTrainOptions } from './kmeans';
export { MersenneTwister, randPerm } from './random';
