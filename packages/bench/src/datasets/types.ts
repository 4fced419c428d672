/**
 * A benchmark dataset. Vectors are compact row-major Float32Arrays: component j
 * of vector i sits at `i * d + j` (the project's one layout).
 */
export interface Dataset {
  /** Short identity used in reports and as the ground-truth cache key, e.g. "fashion-mnist". */
  name: string;
  /** One line for humans: where it came from and its shape. */
  description: string;
  d: number;
  /** database vectors, nb * d */
  xb: Float32Array;
  nb: number;
  /** query vectors, nq * d */
  xq: Float32Array;
  nq: number;
  /** training vectors, nt * d (nt may be 0: train on xb then) */
  xt: Float32Array;
  nt: number;
  /** the metric the dataset is meant for */
  metric: 'l2' | 'ip';
  /** notes to print (e.g. "Fashion-MNIST not installed, using synthetic") */
  notes: string[];
}

/** The first nq queries of a dataset, as a view (no copy). */
export function queriesOf(ds: Dataset, nq: number): Float32Array {
  return ds.xq.subarray(0, nq * ds.d);
}
