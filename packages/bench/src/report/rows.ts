/** One measured configuration: an implementation, a mode and parameters on one dataset. */
export interface ResultRow {
  scenario: string;
  dataset: string;
  /** 'metalfaiss', 'faiss', 'usearch', ... */
  impl: string;
  /** 'batch' (all queries in one call) or 'single' (one query per call) */
  mode: 'batch' | 'single';
  /** index/search parameters, e.g. "IndexFlatL2" or "nprobe=16" */
  params: string;
  /** threads used (for FAISS: the count that gave the best figure) */
  threads: number;
  /** queries measured (single rows: the queries timed one at a time) */
  nq: number;
  k: number;
  /** recall@k against exact float64 ground truth (FAISS's definition) */
  recall: number | null;
  /** 1-recall@1 ("R@1" in FAISS's benchs) */
  r1: number | null;
  /** queries per second: nq / best batch time, or 1000 / mean single-query latency (ms) */
  qps: number | null;
  /** best batch time (s), for batch rows */
  seconds: number | null;
  /** median batch time (s), for batch rows */
  medianSeconds: number | null;
  /** single-query latency percentiles (ms), for single rows */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** time to build the index (train + add), seconds */
  buildSeconds: number | null;
  /** bytes held by the index */
  memoryBytes: number | null;
  /** our qps / FAISS qps in the same mode and params (> 1: faster than FAISS) */
  ratioVsFaiss: number | null;
  /** for exhaustive scenarios: 2 * nq * nb * d / time */
  gflops: number | null;
  /** gflops / machine peak */
  peakFraction: number | null;
  /** positions whose label differs from FAISS's and whose distance differs too */
  labelMismatches: number | null;
  /** positions whose label differs from FAISS's at an equal distance (ties) */
  labelTies: number | null;
  note: string;
}

/** A row with every measure empty; fill in what was measured. */
export function emptyRow(base: Pick<ResultRow, 'scenario' | 'dataset' | 'impl' | 'mode' | 'params' | 'threads' | 'nq' | 'k'>): ResultRow {
  return {
    ...base,
    recall: null,
    r1: null,
    qps: null,
    seconds: null,
    medianSeconds: null,
    p50: null,
    p95: null,
    p99: null,
    buildSeconds: null,
    memoryBytes: null,
    ratioVsFaiss: null,
    gflops: null,
    peakFraction: null,
    labelMismatches: null,
    labelTies: null,
    note: '',
  };
}

/**
 * Fills ratioVsFaiss on every row that has a FAISS row with the same
 * scenario, dataset, mode and params: row.qps / faiss.qps.
 */
export function applyFaissRatios(rows: ResultRow[]): void {
  const key = (r: ResultRow): string => `${r.scenario}\u0000${r.dataset}\u0000${r.mode}\u0000${r.params}`;
  const faiss = new Map<string, ResultRow>();
  for (const r of rows) if (r.impl === 'faiss') faiss.set(key(r), r);
  for (const r of rows) {
    const f = faiss.get(key(r));
    r.ratioVsFaiss = f && f.qps && r.qps ? r.qps / f.qps : null;
  }
}
