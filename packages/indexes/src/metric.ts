import { METRIC_INNER_PRODUCT, METRIC_L2, MetalFaissError, describeValue } from '@metalfaiss/metal-kernels';

/** FAISS's metric codes (the values FAISS writes to files). */
export const MetricType = {
  INNER_PRODUCT: METRIC_INNER_PRODUCT,
  L2: METRIC_L2,
} as const;
export type MetricType = (typeof MetricType)[keyof typeof MetricType];

/** How callers name a metric: 'l2', 'ip' (or 'innerProduct'), or FAISS's code. */
export type MetricInput = 'l2' | 'ip' | 'innerProduct' | MetricType;

export function parseMetric(metric: MetricInput | undefined, fallback: MetricType = MetricType.L2): MetricType {
  if (metric === undefined) return fallback;
  if (metric === 'l2' || metric === MetricType.L2) return MetricType.L2;
  if (metric === 'ip' || metric === 'innerProduct' || metric === MetricType.INNER_PRODUCT) return MetricType.INNER_PRODUCT;
  throw new MetalFaissError(
    typeof metric === 'number' ? 'UNSUPPORTED' : 'INVALID_ARGUMENT',
    `expected one of 'l2', 'ip', 1 (METRIC_L2) or 0 (METRIC_INNER_PRODUCT) for metric, received ${describeValue(metric)}` +
      (typeof metric === 'number' ? ' (other FAISS metrics such as L1 or Linf are not supported yet)' : ''),
  );
}

export function metricName(metric: MetricType): string {
  return metric === MetricType.L2 ? 'L2' : 'INNER_PRODUCT';
}

/** True when larger scores are better (inner product). */
export function isSimilarity(metric: MetricType): boolean {
  return metric === MetricType.INNER_PRODUCT;
}
