import type { Dataset } from '../datasets/types';
import type { GroundTruth } from '../measure/ground-truth';
import type { FaissSession } from '../peers/faiss';
import type { ResultRow } from '../report/rows';

/** Everything a run is configured with (the CLI's flags, resolved). */
export interface BenchSettings {
  /** dataset spec (see loadDataset): 'default', 'fashion-mnist', 'synthetic[:...]' or a path */
  dataset: string;
  nq: number;
  k: number;
  /** threads for our kernels and the Node peers */
  threads: number;
  /** run FAISS beside us (when installed) */
  faiss: boolean;
  /** run Node peers (usearch, hnswlib-node) */
  peers: boolean;
  /** install missing peers that need a build (hnswlib-node) into the peers cache (the report command does) */
  installPeers?: boolean;
  /** untimed runs before the timed batch runs */
  warmup: number;
  /** timed batch runs (best is reported, median kept) */
  reps: number;
  /** queries timed one at a time for latency percentiles */
  singleQueries: number;
  /** untimed single queries first */
  singleWarmup: number;
  /** ground-truth cache root; null disables the cache; undefined = ${XDG_CACHE_HOME:-~/.cache}/metalfaiss */
  cacheDir?: string | null;
  /** machine peak GFLOP/s used for "% of peak" */
  peakGflops: number;
  /** dimension for raw .f32 dataset files */
  dim?: number;
  /** python with FAISS (default /usr/bin/python3) */
  python?: string;
  /**
   * 'best' (default): the FAISS runner's environment drops OPENBLAS_CORETYPE and
   * OPENBLAS_L2_SIZE and sets OMP_WAIT_POLICY=PASSIVE; 'inherit': unchanged (tests)
   */
  faissEnvironment?: 'best' | 'inherit';
  /** FAISS thread counts to try, keeping the faster per figure (default: 1 and the core count) */
  faissThreads?: number[];
  /** progress lines (the CLI sends them to stderr) */
  log: (line: string) => void;
}

export interface ScenarioContext {
  settings: BenchSettings;
  dataset: Dataset;
  /** the first settings.nq queries (a view) */
  xq: Float32Array;
  /** exact float64 ground truth for those queries, settings.k per query */
  gt: GroundTruth;
  /** FAISS with the dataset already written, or null (see faissSkipReason) */
  faiss: FaissSession | null;
  faissSkipReason: string | null;
  log: (line: string) => void;
}

export interface ScenarioOutcome {
  rows: ResultRow[];
  /** lines to print under the table */
  notes: string[];
  /** implementations that did not run, and why */
  skipped: Array<{ impl: string; reason: string }>;
  /** anything else worth keeping in results.json (e.g. FAISS's per-thread runs) */
  details: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  /** one line for `metalfaiss-bench list` */
  summary: string;
  /** dataset spec used when --dataset is not given */
  defaultDataset: string;
  defaults?: { nq?: number; k?: number };
  run(ctx: ScenarioContext): Promise<ScenarioOutcome>;
}
