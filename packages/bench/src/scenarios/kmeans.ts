/**
 * Scenario `kmeans`: k-means of the whole base set (Fashion-MNIST: 60000 x
 * 784) into k centroids (nlistFor(nb): 1024 there) for 20 iterations, seed
 * 1234: our Kmeans (sync and async `train`) beside FAISS's faiss.Kmeans with
 * the same parameters, in the same run.
 *
 * Both start from the same centroids (our k-means draws them with FAISS's
 * mt19937 rand_perm), so the final objectives are reported side by side and
 * must agree within 1%. Figure of merit: training time; `qps` holds point
 * assignments per second (n * niter / seconds), so ratioVsFaiss is FAISS's
 * time over ours (the target: ours <= 0.7x FAISS's time, i.e. ratio
 * >= 1.43). FAISS runs at its best: BLAS variables unset, OMP_WAIT_POLICY
 * =PASSIVE, 1 and all threads in separate processes, the faster kept.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ix from '@metalfaiss/indexes';
import { MetalFaissError } from '../errors';
import { repeat } from '../measure/timing';
import { defaultFaissThreads, faissEnvironment } from '../peers/faiss';
import { useThreads } from '../peers/ours';
import { emptyRow, type ResultRow } from '../report/rows';
import { nlistFor } from './ann';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types';

export const KMEANS_NITER = 20;
export const KMEANS_SEED = 1234;

interface FaissKmeansRun {
  faissVersion: string;
  threads: number;
  n: number;
  seconds: number[];
  obj: number[];
}

/** Finds python/faiss_kmeans.py from src/scenarios (tests) or dist (built). */
export function kmeansRunnerScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'python', 'faiss_kmeans.py');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new MetalFaissError('BACKEND_UNAVAILABLE', `expected python/faiss_kmeans.py next to the bench package, received no such file above ${fileURLToPath(import.meta.url)}`);
}

async function runFaissKmeans(ctx: ScenarioContext, k: number, threads: number, reps: number): Promise<FaissKmeansRun> {
  const session = ctx.faiss!;
  const tag = `kmeans-t${threads}-${Date.now()}`;
  const jobFile = join(session.dir, `${tag}.json`);
  const outFile = `${tag}-out.json`;
  writeFileSync(jobFile, JSON.stringify({ dataDir: session.dir, d: session.d, k, niter: KMEANS_NITER, seed: KMEANS_SEED, threads, reps, outFile }));
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(session.detection.python, [kmeansRunnerScript(), jobFile], { env: faissEnvironment(), stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      err += s;
    });
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  if (code !== 0) throw new MetalFaissError('BACKEND_UNAVAILABLE', `expected the FAISS k-means runner to succeed, received exit code ${code}: ${stderr.trim()}`);
  return JSON.parse(readFileSync(join(session.dir, outFile), 'utf8')) as FaissKmeansRun;
}

export async function runKmeans(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const { dataset: ds, settings: s, log } = ctx;
  const d = ds.d;
  const n = ds.nb;
  const k = nlistFor(n);
  const xb = ds.xb.subarray(0, n * d);
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const skipped: ScenarioOutcome['skipped'] = [];
  const details: Record<string, unknown> = { n, d, k, niter: KMEANS_NITER, seed: KMEANS_SEED };
  const params = `k=${k} niter=${KMEANS_NITER}`;
  const base = { scenario: 'kmeans', dataset: ds.name, params, nq: n, k: 1, mode: 'batch' as const };
  const reps = Math.max(1, Math.min(s.reps, 3));
  const work = n * KMEANS_NITER;

  // ---- ours: sync and async train
  const threads = useThreads(s.threads);
  const ours: Record<string, { seconds: number; obj: number[] }> = {};
  for (const mode of ['sync', 'async'] as const) {
    log(`metalfaiss Kmeans(${d}, ${k}, niter=${KMEANS_NITER}) ${mode} train on ${n} points, ${reps} runs ...`);
    let km: ix.Kmeans | null = null;
    const r = await repeat(
      async () => {
        km = new ix.Kmeans(d, k, { niter: KMEANS_NITER, seed: KMEANS_SEED });
        return mode === 'sync' ? km.trainSync(xb) : km.train(xb);
      },
      { warmup: 0, reps },
    );
    const obj = (km as ix.Kmeans | null)?.obj ?? [];
    ours[mode] = { seconds: r.best, obj };
    const row = emptyRow({ ...base, impl: 'metalfaiss', threads });
    row.params = `${params} ${mode}`;
    row.seconds = r.best;
    row.medianSeconds = r.median;
    row.buildSeconds = r.best;
    row.qps = work / r.best;
    row.note = `Kmeans.${mode === 'sync' ? 'trainSync' : 'train'}: best of ${reps} (s); final objective ${obj[obj.length - 1]?.toExponential(6)}; qps = point assignments per second (n * niter / time)`;
    rows.push(row);
  }
  details.ours = ours;

  // ---- FAISS: faiss.Kmeans, same parameters, best of 1 and all threads
  if (ctx.faiss) {
    const runs: FaissKmeansRun[] = [];
    for (const t of defaultFaissThreads()) {
      log(`FAISS Kmeans(${d}, ${k}, niter=${KMEANS_NITER}) on ${t} thread(s), ${reps} runs ...`);
      runs.push(await runFaissKmeans(ctx, k, t, reps));
    }
    const best = runs.reduce((a, b) => (Math.min(...b.seconds) < Math.min(...a.seconds) ? b : a));
    const seconds = Math.min(...best.seconds);
    for (const mode of ['sync', 'async'] as const) {
      const row = emptyRow({ ...base, impl: 'faiss', threads: best.threads });
      row.params = `${params} ${mode}`;
      row.seconds = seconds;
      row.buildSeconds = seconds;
      row.qps = work / seconds;
      row.note = `FAISS ${best.faissVersion} faiss.Kmeans.train, best of threads ${runs.map((r) => r.threads).join('/')} (${reps} runs each); final objective ${best.obj[best.obj.length - 1]?.toExponential(6)}`;
      rows.push(row);
    }
    const fobj = best.obj[best.obj.length - 1];
    details.faiss = { version: best.faissVersion, runs: runs.map((r) => ({ threads: r.threads, seconds: r.seconds, finalObj: r.obj[r.obj.length - 1] })) };
    for (const mode of ['sync', 'async'] as const) {
      const o = ours[mode];
      const oobj = o.obj[o.obj.length - 1];
      const rel = Math.abs(oobj - fobj) / Math.abs(fobj);
      notes.push(
        `kmeans ${mode}: ours ${o.seconds.toFixed(2)} s vs FAISS ${seconds.toFixed(2)} s = ${(o.seconds / seconds).toFixed(2)}x FAISS's time (target <= 0.70x); ` +
          `final objective ${oobj.toExponential(6)} vs ${fobj.toExponential(6)} (${(rel * 100).toFixed(3)}% apart)`,
      );
    }
  } else if (ctx.faissSkipReason) {
    skipped.push({ impl: 'faiss', reason: ctx.faissSkipReason });
  }
  return { rows, notes, skipped, details };
}

export const kmeansScenario: Scenario = {
  name: 'kmeans',
  summary: 'k-means of the base set into nlistFor(nb) centroids (1024 for Fashion-MNIST), 20 iterations: our Kmeans (sync/async) vs faiss.Kmeans, time and objective',
  defaultDataset: 'default',
  defaults: { nq: 100, k: 10 },
  run: runKmeans,
};
