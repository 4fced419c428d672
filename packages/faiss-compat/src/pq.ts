/**
 * FAISS's product-quantizer names: `faiss.ProductQuantizer(d, M, nbits)`,
 * `faiss.IndexPQ(d, M, nbits, metric)` (search_type ST_PQ; the others throw
 * UNSUPPORTED) and `faiss.IndexIVFPQ(quantizer, d, nlist, M, nbits)`.
 * Codes are Uint8Arrays of n * code_size bytes; tables n * M * ksub floats.
 */
import * as ix from '@metalfaiss/indexes';
import type { VectorsInput } from '@metalfaiss/linalg';
import type { Index } from './base';
import { IndexIVF, quantizerImpl } from './ivf';
import { IndexFlatCodes } from './sq';
import { registerWrapper } from './wrap';

/** `faiss.ProductQuantizer(d, M, nbits)`: a view of (or a new) @metalfaiss/indexes ProductQuantizer. */
export class ProductQuantizer {
  readonly impl: ix.ProductQuantizer;

  constructor(d: number | ix.ProductQuantizer, M?: number, nbits = 8) {
    this.impl = d instanceof ix.ProductQuantizer ? d : new ix.ProductQuantizer(d, M as number, nbits);
  }

  get d(): number {
    return this.impl.d;
  }
  get M(): number {
    return this.impl.M;
  }
  get nbits(): number {
    return this.impl.nbits;
  }
  get dsub(): number {
    return this.impl.dsub;
  }
  get ksub(): number {
    return this.impl.ksub;
  }
  get code_size(): number {
    return this.impl.codeSize;
  }
  /** M * ksub * dsub floats (a copy; assign a Float32Array to set them, as faiss.copy_array_to_vector does) */
  get centroids(): Float32Array {
    return this.impl.centroids.slice();
  }
  set centroids(v: Float32Array) {
    this.impl.setCentroids(v);
  }
  /** the clustering parameters of the per-sub-space k-means (FAISS's `cp`) */
  get cp(): ix.ClusteringParameters {
    return this.impl.cp;
  }
  get verbose(): boolean {
    return this.impl.verbose;
  }
  set verbose(v: boolean) {
    this.impl.verbose = v;
  }

  train(x: VectorsInput): void {
    this.impl.train(x);
  }
  train_async(x: VectorsInput): Promise<void> {
    return this.impl.trainAsync(x);
  }
  /** n * code_size bytes */
  compute_codes(x: VectorsInput): Uint8Array {
    return this.impl.computeCodes(x);
  }
  /** n * d floats */
  decode(codes: Uint8Array): Float32Array {
    return this.impl.decode(codes);
  }
  /** n * M * ksub squared L2 distances */
  compute_distance_tables(x: VectorsInput): Float32Array {
    return this.impl.computeDistanceTables(x);
  }
  /** n * M * ksub inner products */
  compute_inner_prod_tables(x: VectorsInput): Float32Array {
    return this.impl.computeInnerProdTables(x);
  }
  /** Sets sub-quantizer m's ksub * dsub centroids (FAISS's set_params). */
  set_params(centroids: Float32Array, m: number): void {
    this.impl.setParams(centroids, m);
  }
}

/** `faiss.IndexPQ(d, M, nbits, metric=faiss.METRIC_L2)` */
export class IndexPQ extends IndexFlatCodes<ix.IndexPQ> {
  static readonly ST_PQ = 0;
  static readonly ST_HE = 1;
  static readonly ST_generalized_HE = 2;
  static readonly ST_SDC = 3;
  static readonly ST_polysemous = 4;
  static readonly ST_polysemous_generalize = 5;

  constructor(d: number, M: number, nbits = 8, metric: number = ix.MetricType.L2) {
    super(new ix.IndexPQ(d, M, nbits, metric as ix.MetricType));
  }
  get pq(): ProductQuantizer {
    return new ProductQuantizer(this.impl.pq);
  }
  /** FAISS's search_type (only ST_PQ searches; others throw UNSUPPORTED at search time) */
  get search_type(): number {
    return this.impl.searchType;
  }
  set search_type(v: number) {
    this.impl.searchType = v as ix.SearchType;
  }
  get polysemous_ht(): number {
    return this.impl.polysemousHt;
  }
  set polysemous_ht(v: number) {
    this.impl.polysemousHt = v;
  }
  get do_polysemous_training(): boolean {
    return this.impl.doPolysemousTraining;
  }
  set do_polysemous_training(v: boolean) {
    this.impl.doPolysemousTraining = v;
  }
}

/** `faiss.IndexIVFPQ(quantizer, d, nlist, M, nbits=8, metric=faiss.METRIC_L2)` */
export class IndexIVFPQ extends IndexIVF<ix.IndexIVFPQ> {
  constructor(quantizer: Index, d: number, nlist: number, M: number, nbits = 8, metric: number = ix.MetricType.L2) {
    super(new ix.IndexIVFPQ(d, nlist, M, nbits, { metric: metric as ix.MetricType, quantizer: quantizerImpl(quantizer, 'IndexIVFPQ') }));
    this.keepQuantizer(quantizer);
  }
  get pq(): ProductQuantizer {
    return new ProductQuantizer(this.impl.pq);
  }
  get by_residual(): boolean {
    return this.impl.byResidual;
  }
  set by_residual(v: boolean) {
    this.impl.byResidual = v;
  }
  /** FAISS's use_precomputed_table (-1, 0, 1) */
  get use_precomputed_table(): number {
    return this.impl.usePrecomputedTable;
  }
  set use_precomputed_table(v: number) {
    this.impl.usePrecomputedTable = v as -1 | 0 | 1;
  }
  /** (Re)computes the precomputed table (FAISS's precompute_table). */
  precompute_table(): void {
    this.impl.precomputeTable();
  }
  get polysemous_ht(): number {
    return this.impl.polysemousHt;
  }
  set polysemous_ht(v: number) {
    this.impl.polysemousHt = v;
  }
  get do_polysemous_training(): boolean {
    return this.impl.doPolysemousTraining;
  }
  set do_polysemous_training(v: boolean) {
    this.impl.doPolysemousTraining = v;
  }
}

registerWrapper(ix.IndexPQ, IndexPQ);
registerWrapper(ix.IndexIVFPQ, IndexIVFPQ);
