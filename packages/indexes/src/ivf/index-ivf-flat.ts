/**
 * IndexIVFFlat (FAISS's IndexIVFFlat): an IVF index whose codes are the raw
 * float32 vectors (codeSize = 4 * d), so distances are exact within the
 * probed lists. Searches run on the native IVF-Flat kernel (lists grouped so
 * that each probed list is read once per batch, SIMD, all threads), which
 * falls back to the TypeScript reference when the addon is unavailable.
 */
import {
  ivfRangeSearchFlat,
  ivfRangeSearchFlatAsync,
  ivfSearchFlat,
  ivfSearchFlatAsync,
  type IvfRangeSearchFlatArgs,
  type IvfSearchFlatArgs,
} from '@metalfaiss/metal-kernels';
import type { RangeSearchResult } from '../index-base';
import { MetricType, type MetricInput } from '../metric';
import type { Index } from '../index-base';
import { IndexIVF, type IndexIVFOptions, type IndexIVFParts } from './index-ivf';
import type { InvertedListScanner, IVFRangeJob, IVFSearchJob } from './scanner';

/** A stored IndexIVFFlat (FAISS's IwFl record): its shape, quantizer and IVF state. */
export interface IndexIVFFlatParts extends IndexIVFParts {
  d: number;
  nlist: number;
  /** 'l2' | 'ip' or FAISS's metric code */
  metric: MetricInput;
  /** the coarse quantizer (trained: nlist centroids) */
  quantizer: Index;
}

export class IndexIVFFlat extends IndexIVF {
  /**
   * `new IndexIVFFlat(d, nlist, { metric: 'l2' | 'ip', quantizer, nprobe })`;
   * train it (k-means into nlist lists) before adding.
   */
  constructor(d: number, nlist: number, options: IndexIVFOptions = {}) {
    super(d, nlist, d * 4, options);
  }

  /**
   * An index from stored parts (e.g. a FAISS file): lists of raw float32
   * vectors (codeSize 4 * d), ntotal, direct map, nprobe and is_trained.
   * @throws MetalFaissError INVALID_ARGUMENT / DIMENSION_MISMATCH for inconsistent parts
   */
  static fromParts(parts: IndexIVFFlatParts): IndexIVFFlat {
    const index = new IndexIVFFlat(parts.d, parts.nlist, { metric: parts.metric, quantizer: parts.quantizer });
    index.restoreParts(parts);
    return index;
  }

  protected encodeVectors(x: Float32Array, n: number, _listNos: BigInt64Array): Uint8Array {
    return new Uint8Array(x.buffer, x.byteOffset, n * this.d * 4);
  }

  protected reconstructFromOffset(listNo: number, offset: number): Float32Array {
    const code = this.invlists.getSingleCode(listNo, offset);
    return new Float32Array(code.buffer, code.byteOffset, this.d);
  }

  /** The plain-TypeScript scanner (the reference path; searches use the kernel). */
  protected getInvertedListScanner(): InvertedListScanner {
    const d = this.d;
    const l2 = this.metricType === MetricType.L2;
    let query: Float32Array = new Float32Array(d);
    return {
      setQuery(q: Float32Array) {
        query = q;
      },
      setList() {},
      distanceToCode(codes: Uint8Array, i: number): number {
        const v = new Float32Array(codes.buffer, codes.byteOffset + i * d * 4, d);
        let s = 0;
        if (l2) {
          for (let t = 0; t < d; t++) {
            const diff = query[t] - v[t];
            s += diff * diff;
          }
        } else {
          for (let t = 0; t < d; t++) s += query[t] * v[t];
        }
        return s;
      },
    };
  }

  #args(job: IVFSearchJob): IvfSearchFlatArgs {
    return {
      xq: job.xq,
      nq: job.nq,
      d: this.d,
      k: job.k,
      metric: job.metric,
      coarse: job.coarse,
      nprobe: job.nprobe,
      lists: job.lists,
      storePairs: job.storePairs,
      distances: job.distances,
      labels: job.labels,
    };
  }

  #rangeArgs(job: IVFRangeJob): IvfRangeSearchFlatArgs {
    return {
      xq: job.xq,
      nq: job.nq,
      d: this.d,
      radius: job.radius,
      metric: job.metric,
      coarse: job.coarse,
      nprobe: job.nprobe,
      lists: job.lists,
      storePairs: job.storePairs,
    };
  }

  protected scanListsSync(job: IVFSearchJob): void {
    ivfSearchFlat(this.#args(job));
  }

  protected async scanLists(job: IVFSearchJob): Promise<void> {
    await ivfSearchFlatAsync(this.#args(job));
  }

  protected rangeScanListsSync(job: IVFRangeJob): RangeSearchResult {
    return ivfRangeSearchFlat(this.#rangeArgs(job));
  }

  protected async rangeScanLists(job: IVFRangeJob): Promise<RangeSearchResult> {
    return ivfRangeSearchFlatAsync(this.#rangeArgs(job));
  }

  /** The plain-TypeScript search path through the scanner (a test oracle). */
  scanWithScannerSync(job: IVFSearchJob): void {
    super.scanListsSync(job);
  }
}
