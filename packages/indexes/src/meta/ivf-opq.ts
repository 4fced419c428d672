/**
 * IndexIVFOPQ: the seed's one-class name for FAISS's `OPQ{M}[_{dOut}],IVF{nlist},PQ{M}`
 * recipe: an OPQMatrix rotation (trained first) in front of an IndexIVFPQ
 * (trained on the rotated vectors); add and search rotate, then delegate.
 * It is an IndexPreTransform, so it is written exactly as FAISS writes the
 * equivalent IndexPreTransform (IxPT + LTra + IwPQ) and FAISS reads it;
 * reading such a file back gives an IndexPreTransform.
 */
import { MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';
import { IndexIVFPQ } from '../ivf/ivf-pq';
import { type MetricInput } from '../metric';
import { OPQMatrix } from '../transforms/opq';
import { IndexPreTransform } from './pre-transform';

export interface IndexIVFOPQOptions {
  metric?: MetricInput;
  /** the rotation's output dimension = the IVF-PQ's dimension (default d) */
  dOut?: number;
  /** default nprobe of the IVF-PQ (default 1) */
  nprobe?: number;
}

export class IndexIVFOPQ extends IndexPreTransform<IndexIVFPQ> {
  /**
   * `new IndexIVFOPQ(d, nlist, M, nbits = 8, { metric, dOut, nprobe })`
   * @throws MetalFaissError INVALID_ARGUMENT when M does not divide dOut, or bad sizes
   */
  constructor(d: number, nlist: number, M: number, nbits = 8, options: IndexIVFOPQOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new MetalFaissError('INVALID_ARGUMENT', `expected an options object for IndexIVFOPQ, received ${describeValue(options)}`);
    }
    const dOut = options.dOut ?? d;
    const opq = new OPQMatrix(d, M, dOut);
    const ivfpq = new IndexIVFPQ(dOut, nlist, M, nbits, { metric: options.metric, nprobe: options.nprobe });
    super([opq], ivfpq);
  }

  /** the rotation (FAISS: `faiss.downcast_VectorTransform(index.chain.at(0))`) */
  get opq(): OPQMatrix {
    return this.chain[0] as OPQMatrix;
  }

  /** the IVF-PQ over the rotated vectors (FAISS: `faiss.downcast_index(index.index)`) */
  get ivfpq(): IndexIVFPQ {
    return this.index;
  }

  /** default nprobe of the inner IVF-PQ */
  get nprobe(): number {
    return this.index.nprobe;
  }
  set nprobe(v: number) {
    this.index.nprobe = v;
  }
}
