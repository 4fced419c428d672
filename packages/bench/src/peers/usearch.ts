/**
 * usearch (npm, prebuilt native binary) as a Node peer for exact search.
 * It is an optional dependency: when it cannot load, the peer is reported as
 * skipped with the reason, never fatal.
 *
 * Its exactSearch ignores a typed array's byteOffset, so it always gets fresh
 * copies (offset 0) of the base and the queries.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface UsearchModule {
  exactSearch(
    dataset: Float32Array,
    queries: Float32Array,
    dimensions: number,
    count: number,
    metric: string,
    threads?: number,
  ): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
}

export interface UsearchPeer {
  name: 'usearch';
  version: string;
  /**
   * Exact k-NN (squared L2 or inner product). xb and xq must be arrays that
   * start at byteOffset 0 (use prepare()). Returns nq*k labels and distances.
   */
  exactSearch(xb: Float32Array, xq: Float32Array, d: number, k: number, metric: 'l2' | 'ip', threads: number): { labels: BigUint64Array; distances: Float32Array };
  /** A fresh copy with byteOffset 0 when needed. */
  prepare(x: Float32Array): Float32Array;
}

export type PeerLoad<T> = { ok: true; peer: T } | { ok: false; name: string; reason: string };

export function loadUsearch(): PeerLoad<UsearchPeer> {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('usearch');
    const mod = require('usearch') as UsearchModule & { default?: UsearchModule };
    const api: UsearchModule = typeof mod.exactSearch === 'function' ? mod : (mod.default as UsearchModule);
    if (typeof api?.exactSearch !== 'function') return { ok: false, name: 'usearch', reason: 'usearch loaded but has no exactSearch' };
    let version = 'unknown';
    let dir = dirname(entry);
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'usearch') {
          version = pkg.version ?? version;
          break;
        }
      } catch {
        // keep walking up
      }
      dir = dirname(dir);
    }
    const peer: UsearchPeer = {
      name: 'usearch',
      version,
      prepare: (x) => (x.byteOffset === 0 && x.buffer.byteLength === x.byteLength ? x : x.slice()),
      exactSearch(xb, xq, d, k, metric, threads) {
        const r = api.exactSearch(xb, xq, d, k, metric === 'l2' ? 'l2sq' : 'ip', threads);
        if (metric === 'ip') {
          // usearch's 'ip' is the distance 1 - <x, y>; give back the similarity like FAISS
          for (let i = 0; i < r.distances.length; i++) r.distances[i] = 1 - r.distances[i];
        }
        return { labels: r.keys, distances: r.distances };
      },
    };
    return { ok: true, peer };
  } catch (e) {
    return { ok: false, name: 'usearch', reason: `usearch failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
}
