/**
 * IndexPQ (FAISS's name): exhaustive asymmetric-distance search (ADC) over
 * product-quantizer codes. Each query gets an M x ksub table of distances (or
 * inner products) to the sub-quantizer centroids; a code's score is the sum
 * of its M entries (in FAISS's order). Labels are positions 0..ntotal-1.
 *
 * Only FAISS's search_type ST_PQ is implemented; the other search types
 * (Hamming / SDC / polysemous) and polysemous training throw UNSUPPORTED.
 */
import { MetalFaissError, describeValue, pqRangeSearch, pqRangeSearchAsync, pqSearch, pqSearchAsync } from '@metalfaiss/metal-kernels';
import type { VectorsInput } from '@metalfaiss/linalg';
import type { SearchParameters } from '../index-base';
import { type MetricInput, parseMetric } from '../metric';
import { throwIfAborted } from '../abort';
import { FlatQuantizerIndex, type FlatScanKernels, type IndexFlatCodes } from '../sq/flat-codes';
import type { QuantizerOptions } from '../sq/options';
import { ProductQuantizer } from './product-quantizer';

/** FAISS's IndexPQ::Search_type_t. */
export const SearchType = {
  ST_PQ: 0,
  ST_HE: 1,
  ST_generalized_HE: 2,
  ST_SDC: 3,
  ST_polysemous: 4,
  ST_polysemous_generalize: 5,
} as const;
export type SearchType = (typeof SearchType)[keyof typeof SearchType];

const SEARCH_TYPE_NAMES = ['ST_PQ', 'ST_HE', 'ST_generalized_HE', 'ST_SDC', 'ST_polysemous', 'ST_polysemous_generalize'];

/** Per-call parameters of IndexPQ (FAISS's SearchParametersPQ). */
export interface SearchParametersPQ extends SearchParameters {
  searchType?: SearchType;
  polysemousHt?: number;
}

export class IndexPQ extends FlatQuantizerIndex<SearchParametersPQ> {
  /** the product quantizer (FAISS's `pq`) */
  readonly pq: ProductQuantizer;
  #searchType: SearchType = SearchType.ST_PQ;
  /** FAISS's polysemous_ht (kept for files; polysemous search is not supported) */
  polysemousHt: number;
  /** FAISS's encode_signs (kept for files; only meaningful to the unsupported Hamming searches) */
  encodeSigns = false;
  #polysemousTraining = false;

  /**
   * @param M sub-quantizers (must divide d); @param nbits bits per index, 1..16 (default 8)
   * @param metricOrOptions a metric ('l2' | 'ip' | FAISS code) or `{ metric }`
   * @throws MetalFaissError INVALID_ARGUMENT (the message states the violated constraint)
   */
  constructor(d: number, M: number, nbits = 8, metricOrOptions: MetricInput | { metric?: MetricInput } = 'l2') {
    const pq = new ProductQuantizer(d, M, nbits);
    const metric = typeof metricOrOptions === 'object' && metricOrOptions !== null ? metricOrOptions.metric : metricOrOptions;
    super(d, parseMetric(metric), pq.codeSize);
    this.pq = pq;
    this.polysemousHt = nbits * M + 1;
  }

  get isTrained(): boolean {
    return this.pq.isTrained;
  }

  /** FAISS's search_type; anything but ST_PQ makes search throw UNSUPPORTED. */
  get searchType(): SearchType {
    return this.#searchType;
  }
  set searchType(t: SearchType) {
    if (!Number.isInteger(t) || t < 0 || t > 5) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected a search type 0..5 (${SEARCH_TYPE_NAMES.join(', ')}) for searchType, received ${describeValue(t)}`);
    }
    this.#searchType = t;
  }

  /** FAISS's do_polysemous_training: setting it true is UNSUPPORTED. */
  get doPolysemousTraining(): boolean {
    return this.#polysemousTraining;
  }
  set doPolysemousTraining(v: boolean) {
    if (v) throw new MetalFaissError('UNSUPPORTED', 'IndexPQ.doPolysemousTraining = true is not supported: polysemous training is not implemented');
    this.#polysemousTraining = false;
  }

  /** Trains the product quantizer (FAISS's IndexPQ::train, standard training). */
  trainSync(x: VectorsInput): void {
    this.pq.train(x);
  }

  /** Trains off the event loop, reporting progress per sub-quantizer; `options.signal` aborts it. */
  async train(x: VectorsInput, options?: QuantizerOptions): Promise<void> {
    throwIfAborted(options?.signal, 'IndexPQ.train');
    await this.pq.trainAsync(x, options);
  }

  protected encodeRows(x: Float32Array, n: number): Uint8Array {
    return this.pq.computeCodes(new Float32Array(x.buffer, x.byteOffset, n * this.d));
  }

  protected encodeRowsAsync(x: Float32Array, n: number): Promise<Uint8Array> {
    return this.pq.computeCodesAsync(new Float32Array(x.buffer, x.byteOffset, n * this.d));
  }

  protected decodeRows(codes: Uint8Array, n: number): Float32Array {
    return this.pq.decode(codes.subarray(0, n * this.codeSize));
  }

  protected checkCompatible(other: IndexFlatCodes): void {
    const o = other as IndexPQ;
    if (o.pq.M !== this.pq.M || o.pq.nbits !== this.pq.nbits || o.metricType !== this.metricType) {
      throw new MetalFaissError(
        'INVALID_ARGUMENT',
        `expected an IndexPQ with M = ${this.pq.M}, nbits = ${this.pq.nbits}, metric ${this.metricName} for mergeFrom, received M = ${o.pq.M}, nbits = ${o.pq.nbits}, ${o.metricName}`,
      );
    }
  }

  protected codecBytes(): number {
    return this.pq.memoryBytes();
  }

  /** Only ST_PQ searches (per call or the index's searchType). */
  protected checkSearchParams(params: SearchParametersPQ): void {
    const t = params.searchType ?? this.#searchType;
    if (t !== SearchType.ST_PQ) {
      const name = SEARCH_TYPE_NAMES[t] ?? String(t);
      throw new MetalFaissError('UNSUPPORTED', `IndexPQ search with search_type ${name} is not supported: only ST_PQ (asymmetric distance computation) is implemented`);
    }
  }

  /** ADC scans (M x ksub tables per query, FAISS's summation order). */
  protected scanKernels(): FlatScanKernels {
    const codec = { d: this.d, M: this.pq.M, nbits: this.pq.nbits, centroids: this.pq.centroids };
    return {
      search: (job) => pqSearch({ ...codec, ...job }),
      searchAsync: (job) => pqSearchAsync({ ...codec, ...job }),
      rangeSearch: (job) => pqRangeSearch({ ...codec, ...job }),
      rangeSearchAsync: (job) => pqRangeSearchAsync({ ...codec, ...job }),
    };
  }
}
