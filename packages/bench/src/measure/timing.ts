/**
 * Timing helpers. Method (printed with every report): each batch figure is
 * `warmup` untimed runs followed by `reps` timed runs; we report the best
 * (minimum) time and keep the median beside it. Single-query latency: the
 * first `warmup` queries are run untimed, then every query is timed once and
 * we report percentiles over them. Wall-clock time via performance.now().
 */
import { checkInteger } from '../errors';

export interface RepeatStats {
  warmup: number;
  reps: number;
  /** every timed run, seconds, in order */
  seconds: number[];
  best: number;
  median: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Percentile p (0..100) with linear interpolation between closest ranks
 * (numpy's default), so results match `np.percentile`.
 */
export function percentile(values: number[] | Float64Array, p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export interface LatencyStats {
  /** number of timed queries */
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  /** unit of every figure above: milliseconds */
  unit: 'ms';
}

export function latencyStats(samplesMs: number[] | Float64Array): LatencyStats {
  const n = samplesMs.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of samplesMs) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    n,
    p50: percentile(samplesMs, 50),
    p95: percentile(samplesMs, 95),
    p99: percentile(samplesMs, 99),
    mean: n ? sum / n : NaN,
    min: n ? min : NaN,
    max: n ? max : NaN,
    unit: 'ms',
  };
}

/** Runs fn warmup times untimed, then reps times timed. */
export async function repeat<T>(fn: () => T | Promise<T>, options: { warmup?: number; reps?: number } = {}): Promise<RepeatStats & { last: T }> {
  const warmup = checkInteger('warmup', options.warmup ?? 1, 0);
  const reps = checkInteger('reps', options.reps ?? 3, 1);
  let last!: T;
  for (let i = 0; i < warmup; i++) last = await fn();
  const seconds: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    last = await fn();
    seconds.push((performance.now() - t0) / 1000);
  }
  return { warmup, reps, seconds, best: Math.min(...seconds), median: median(seconds), last };
}

/** Times one call, seconds. */
export async function timeOnce<T>(fn: () => T | Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

/**
 * One query at a time: runs query(i) for i in [0, warmup) untimed, then times
 * query(i) for i in [0, n) once each. Returns per-query latencies in ms.
 */
export async function timeSingleQueries(
  n: number,
  query: (i: number) => unknown | Promise<unknown>,
  warmup = 10,
): Promise<Float64Array> {
  checkInteger('n', n, 1);
  for (let i = 0; i < Math.min(warmup, n); i++) {
    const r = query(i);
    if (r instanceof Promise) await r;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = query(i);
    if (r instanceof Promise) await r; // sync queries are timed without a microtask hop
    out[i] = performance.now() - t0;
  }
  return out;
}

/** Describes the method for reports. */
export function describeMethod(warmup: number, reps: number, singleN: number, singleWarmup = 10): string {
  return `batch: ${warmup} warm-up + best of ${reps} timed runs (median kept too); single: ${singleWarmup} warm-up queries, then ${singleN} queries timed one at a time, percentiles over them; wall clock`;
}
