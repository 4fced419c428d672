/**
 * Real FAISS beside us, through /usr/bin/python3 and python/faiss_runner.py.
 *
 * "FAISS at its best" on this kind of machine: the runner process gets the
 * environment of ours minus OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (which hold
 * OpenBLAS to AVX2) and plus OMP_WAIT_POLICY=PASSIVE (OpenMP threads otherwise
 * spin against OpenBLAS's), and it runs once per thread count (1 and the core
 * count, as separate processes); per figure we keep the faster and record
 * which thread count gave it. Our own process's environment is never changed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MetalFaissError } from '../errors';
import type { Dataset } from '../datasets/types';
import { writeF32 } from '../datasets/vecs';
import { latencyStats, median, type LatencyStats } from '../measure/timing';

export const FAISS_PYTHON = '/usr/bin/python3';
export const FAISS_INSTALL_HINT = 'install it with `apt-get install -y python3-faiss libopenblas0-pthread` to enable the FAISS columns';

/** Environment variables removed from the FAISS runner's environment (only there). */
export const FAISS_REMOVED_ENV = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export interface FaissDetection {
  available: boolean;
  python: string;
  version?: string;
  /** why FAISS is not available, with the install hint */
  reason?: string;
}

/** Checks `python -c "import faiss"` (synchronously, once per process per python). */
const detectionCache = new Map<string, FaissDetection>();
export function detectFaiss(python = FAISS_PYTHON): FaissDetection {
  const hit = detectionCache.get(python);
  if (hit) return hit;
  let det: FaissDetection;
  const r = spawnSync(python, ['-c', 'import faiss, numpy; print(faiss.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    det = { available: false, python, reason: `${python} cannot run (${r.error.message}); ${FAISS_INSTALL_HINT}` };
  } else if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    det = { available: false, python, reason: `${python} -c "import faiss" failed (${last}); ${FAISS_INSTALL_HINT}` };
  } else {
    det = { available: true, python, version: r.stdout.trim() };
  }
  detectionCache.set(python, det);
  return det;
}

/** The runner's environment: ours minus FAISS_REMOVED_ENV, plus OMP_WAIT_POLICY=PASSIVE. */
export function faissEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of FAISS_REMOVED_ENV) delete env[name];
  env.OMP_WAIT_POLICY = 'PASSIVE';
  return env;
}

/** Finds python/faiss_runner.py from src/peers (tests) or dist (built). */
export function runnerScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'python', 'faiss_runner.py');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new MetalFaissError('BACKEND_UNAVAILABLE', `expected python/faiss_runner.py next to the bench package for the FAISS runner, received no such file above ${fileURLToPath(import.meta.url)}`);
}

/** What to ask FAISS to do. */
export interface FaissJob {
  /** index factory string, e.g. "Flat", "IVF1024,Flat", "HNSW32" */
  factory: string;
  metric: 'l2' | 'ip';
  k: number;
  nq: number;
  modes: Array<'batch' | 'single'>;
  /** ParameterSpace strings, one search (batch and/or single) per entry; [''] = none */
  searchParams?: string[];
  warmup?: number;
  reps?: number;
  singleQueries?: number;
  singleWarmup?: number;
  measureMemory?: boolean;
  /**
   * A binary index (faiss.index_binary_factory): d is in bits and the data are
   * packed codes the caller wrote as xb.u8 / xq.u8 (/ xt.u8) into the session dir.
   */
  binary?: boolean;
  /** the dimension in bits of a binary job (default: the session's d) */
  dBits?: number;
}

interface RawSearch {
  params: string;
  batch?: { seconds: number[]; labelsFile: string; distancesFile: string };
  single?: { latenciesMs: number[]; labelsFile: string; distancesFile: string };
}
interface RawResult {
  faissVersion: string;
  threads: number;
  ompMaxThreads: number;
  env: Record<string, string | null>;
  trainSeconds: number;
  addSeconds: number;
  memoryBytes?: number;
  memoryMethod?: string;
  searches: RawSearch[];
}

export interface FaissThreadRun {
  threads: number;
  /** OMP_WAIT_POLICY / OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as the runner saw them (null = unset) */
  env: Record<string, string | null>;
  trainSeconds: number;
  addSeconds: number;
  memoryBytes: number | null;
  searches: Array<{
    params: string;
    batch?: { seconds: number[]; best: number; median: number; labels: BigInt64Array; distances: Float32Array };
    single?: { latenciesMs: number[]; stats: LatencyStats; labels: BigInt64Array; distances: Float32Array };
  }>;
}

/** A figure with the thread count of the run that gave it. */
export interface BestOf<T> {
  value: T;
  threads: number;
}

export interface FaissBest {
  version: string;
  factory: string;
  runs: FaissThreadRun[];
  trainSeconds: BestOf<number>;
  addSeconds: BestOf<number>;
  memoryBytes: number | null;
  searches: Array<{
    params: string;
    batch?: BestOf<{ best: number; median: number; seconds: number[]; labels: BigInt64Array; distances: Float32Array }>;
    single?: BestOf<{ stats: LatencyStats; latenciesMs: number[]; labels: BigInt64Array; distances: Float32Array }>;
  }>;
  /** human-readable: what "at its best" meant here */
  method: string;
}

let jobCounter = 0;
const liveSessions = new Set<FaissSession>();

/** Disposes every FaissSession not disposed yet (the CLI calls it on SIGINT/SIGTERM). */
export function disposeAllFaissSessions(): void {
  for (const s of [...liveSessions]) s.dispose();
}

/**
 * A FAISS session: the dataset written once as raw float32 into a temp dir,
 * then any number of runner jobs. Call dispose() when done.
 */
export class FaissSession {
  readonly dir: string;
  readonly d: number;
  readonly detection: FaissDetection;
  /** 'best': the runner env is tuned (see the module doc); 'inherit': the runner gets our env unchanged */
  readonly environment: 'best' | 'inherit';
  private disposed = false;
  private readonly children = new Set<import('node:child_process').ChildProcess>();

  private constructor(dir: string, d: number, detection: FaissDetection, environment: 'best' | 'inherit') {
    this.dir = dir;
    this.d = d;
    this.detection = detection;
    this.environment = environment;
  }

  /**
   * Writes xb, the first nq queries and xt (if any) to a fresh temp dir.
   * Throws BACKEND_UNAVAILABLE without FAISS. environment 'inherit' (used by
   * the tests, which never change OPENBLAS_* variables) runs the runner with
   * our environment as it is.
   */
  static create(ds: Dataset, nq: number, options: { python?: string; environment?: 'best' | 'inherit' } = {}): FaissSession {
    const python = options.python ?? FAISS_PYTHON;
    const det = detectFaiss(python);
    if (!det.available) throw new MetalFaissError('BACKEND_UNAVAILABLE', `expected a Python with FAISS at ${python}, received none: ${det.reason}`);
    const dir = mkdtempSync(join(tmpdir(), 'metalfaiss-bench-'));
    writeF32(join(dir, 'xb.f32'), ds.xb.subarray(0, ds.nb * ds.d));
    writeF32(join(dir, 'xq.f32'), ds.xq.subarray(0, nq * ds.d));
    writeF32(join(dir, 'xt.f32'), ds.xt.subarray(0, ds.nt * ds.d));
    const session = new FaissSession(dir, ds.d, det, options.environment ?? 'best');
    liveSessions.add(session);
    return session;
  }

  /** Runs one job at one thread count in a fresh runner process. */
  async run(job: FaissJob, threads: number): Promise<FaissThreadRun> {
    if (this.disposed) throw new MetalFaissError('INVALID_ARGUMENT', 'expected a live FaissSession for run, received a disposed one');
    const tag = `j${++jobCounter}-t${threads}`;
    const jobFile = join(this.dir, `job-${tag}.json`);
    const resultFile = `result-${tag}.json`;
    writeFileSync(
      jobFile,
      JSON.stringify({
        ...job,
        searchParams: job.searchParams ?? [''],
        d: job.binary && job.dBits !== undefined ? job.dBits : this.d,
        dataDir: this.dir,
        outDir: this.dir,
        threads,
        tag,
        resultFile,
      }),
    );
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(this.detection.python, [runnerScript(), jobFile], {
        env: this.environment === 'best' ? faissEnvironment() : process.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.children.add(child);
      let err = '';
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => {
        err += s;
      });
      child.on('error', reject);
      child.on('close', (c) => {
        this.children.delete(child);
        resolve({ code: c, stderr: err });
      });
    });
    if (code !== 0) {
      let msg = stderr.trim().split('\n').pop() ?? '';
      try {
        msg = (JSON.parse(msg) as { error: string }).error;
      } catch {
        // not our JSON line: keep the raw text
      }
      throw new MetalFaissError('NATIVE', `FAISS runner (${job.factory}, ${threads} threads) exited with status ${code}: ${msg}`);
    }
    const raw = JSON.parse(readFileSync(join(this.dir, resultFile), 'utf8')) as RawResult;
    return {
      threads,
      env: raw.env,
      trainSeconds: raw.trainSeconds,
      addSeconds: raw.addSeconds,
      memoryBytes: raw.memoryBytes ?? null,
      searches: raw.searches.map((s) => ({
        params: s.params,
        batch: s.batch && {
          seconds: s.batch.seconds,
          best: Math.min(...s.batch.seconds),
          median: median(s.batch.seconds),
          labels: readTyped(join(this.dir, s.batch.labelsFile), BigInt64Array),
          distances: readTyped(join(this.dir, s.batch.distancesFile), Float32Array),
        },
        single: s.single && {
          latenciesMs: s.single.latenciesMs,
          stats: latencyStats(s.single.latenciesMs),
          labels: readTyped(join(this.dir, s.single.labelsFile), BigInt64Array),
          distances: readTyped(join(this.dir, s.single.distancesFile), Float32Array),
        },
      })),
    };
  }

  /**
   * Runs the job once per thread count (default 1 and the core count) and
   * keeps the best per figure: lowest train, add and batch time, lowest
   * single-query p50.
   */
  async runBest(job: FaissJob, threadCounts = defaultFaissThreads(), onProgress?: (line: string) => void): Promise<FaissBest> {
    const runs: FaissThreadRun[] = [];
    for (const t of threadCounts) {
      onProgress?.(`FAISS ${job.factory}: ${t} thread${t > 1 ? 's' : ''} ...`);
      runs.push(await this.run(job, t));
    }
    const pick = <T>(get: (r: FaissThreadRun) => T | undefined, score: (v: T) => number): BestOf<T> | undefined => {
      let best: BestOf<T> | undefined;
      for (const r of runs) {
        const v = get(r);
        if (v === undefined) continue;
        if (best === undefined || score(v) < score(best.value)) best = { value: v, threads: r.threads };
      }
      return best;
    };
    const searches = runs[0].searches.map((s, i) => ({
      params: s.params,
      batch: pick((r) => r.searches[i].batch, (b) => b.best),
      single: pick((r) => r.searches[i].single, (v) => v.stats.p50),
    }));
    return {
      version: this.detection.version ?? 'unknown',
      factory: job.factory,
      runs,
      trainSeconds: pick((r) => r.trainSeconds, (v) => v)!,
      addSeconds: pick((r) => r.addSeconds, (v) => v)!,
      memoryBytes: runs[0].memoryBytes,
      searches,
      method: `FAISS ${this.detection.version} via ${this.detection.python}; ${
        this.environment === 'best' ? `runner env without ${FAISS_REMOVED_ENV.join(', ')}, with OMP_WAIT_POLICY=PASSIVE` : 'runner env inherited unchanged (not FAISS at its best)'
      }; faiss.omp_set_num_threads(${threadCounts.join(') and (')}) in separate processes, faster kept per figure`,
    };
  }

  /** Stops running runner processes and deletes the temp dir. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveSessions.delete(this);
    for (const c of this.children) c.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** [1, cores] (deduplicated). */
export function defaultFaissThreads(): number[] {
  const n = availableParallelism();
  return n > 1 ? [1, n] : [1];
}

function readTyped<T extends BigInt64Array | Float32Array>(file: string, ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number }): T {
  const bytes = readFileSync(file);
  const ab = new ArrayBuffer(bytes.length);
  new Uint8Array(ab).set(bytes);
  return new ctor(ab);
}
