/**
 * Graph-index peers for the HNSW scenario, built with the same M and
 * efConstruction as FAISS's HNSW and searched with the same efSearch sweep:
 *
 * - usearch (optional dependency, prebuilt): its `Index` (HNSW), batch search
 *   on our thread count. Its expansion_search is fixed when an Index is
 *   constructed, so the index is built once, saved to a temporary file, and
 *   viewed (memory-mapped) by one Index per efSearch value.
 * - hnswlib-node (compiled from source at install, so it is not a workspace
 *   dependency): loaded from the bench package if present, else from the
 *   peers cache (`${XDG_CACHE_HOME:-~/.cache}/metalfaiss/peers`), where
 *   `installHnswlib()` puts it with npm (needs python3, make and a C++
 *   compiler). Its API takes one vector (number[]) per call and has no batch
 *   search, so it is timed one query per call, on one thread.
 *
 * A peer that cannot load is reported as skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PeerLoad } from './usearch';

export const HNSWLIB_VERSION = '3.0.0';

export interface GraphSearchResult {
  labels: BigInt64Array;
  distances: Float32Array;
}

/** A built graph index: search the nq queries at one efSearch. */
export interface GraphPeerIndex {
  /** all queries at once when the peer can, else one per call */
  search(xq: Float32Array, nq: number, k: number, ef: number): GraphSearchResult;
  /** 'batch' (one call for all queries) or 'single' (one call per query) */
  readonly searchMode: 'batch' | 'single';
  threads: number;
  dispose(): void;
}

export interface GraphPeer {
  name: 'usearch' | 'hnswlib-node';
  version: string;
  build(xb: Float32Array, nb: number, d: number, metric: 'l2' | 'ip', M: number, efConstruction: number, threads: number): GraphPeerIndex;
}

export function peersCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME && process.env.XDG_CACHE_HOME !== '' ? process.env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'metalfaiss', 'peers');
}

function versionOf(entry: string, name: string): string {
  let dir = dirname(entry);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

// ---------------------------------------------------------------- usearch HNSW

interface UsearchIndex {
  add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
  search(vectors: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
  save(path: string): void;
  view(path: string): void;
  size(): number;
}
interface UsearchModule {
  Index: new (config: Record<string, unknown>) => UsearchIndex;
}

export function loadUsearchHnsw(): PeerLoad<GraphPeer> {
  let mod: UsearchModule;
  let version: string;
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('usearch');
    const m = require('usearch') as UsearchModule & { default?: UsearchModule };
    mod = typeof m.Index === 'function' ? m : (m.default as UsearchModule);
    if (typeof mod?.Index !== 'function') return { ok: false, name: 'usearch', reason: 'usearch loaded but has no Index class' };
    version = versionOf(entry, 'usearch');
  } catch (e) {
    return { ok: false, name: 'usearch', reason: `usearch failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  const peer: GraphPeer = {
    name: 'usearch',
    version,
    build(xb, nb, d, metric, M, efConstruction, threads) {
      const config = (ef: number): Record<string, unknown> => ({
        dimensions: d,
        metric: metric === 'l2' ? 'l2sq' : 'ip',
        quantization: 'f32',
        connectivity: M,
        expansion_add: efConstruction,
        expansion_search: ef,
        multi: false,
      });
      const index = new mod.Index(config(16));
      const keys = new BigUint64Array(nb);
      for (let i = 0; i < nb; i++) keys[i] = BigInt(i);
      const data = xb.byteOffset === 0 && xb.buffer.byteLength === xb.byteLength ? xb : xb.slice(); // usearch ignores byteOffset
      index.add(keys, data, threads);
      const dir = mkdtempSync(join(tmpdir(), 'metalfaiss-usearch-'));
      const file = join(dir, 'index.usearch');
      index.save(file);
      const views = new Map<number, UsearchIndex>();
      return {
        searchMode: 'batch',
        threads,
        search(xq, nq, k, ef) {
          let v = views.get(ef);
          if (!v) {
            v = new mod.Index(config(ef));
            v.view(file);
            views.set(ef, v);
          }
          const q = xq.byteOffset === 0 && xq.buffer.byteLength === xq.byteLength ? xq : xq.slice();
          const r = v.search(q, k, threads);
          const labels = new BigInt64Array(nq * k).fill(-1n);
          const distances = new Float32Array(nq * k).fill(Infinity);
          for (let i = 0; i < nq; i++) {
            const count = r.counts ? Number(r.counts[i]) : k;
            for (let j = 0; j < Math.min(count, k); j++) {
              labels[i * k + j] = BigInt.asIntN(64, r.keys[i * k + j]);
              distances[i * k + j] = metric === 'ip' ? 1 - r.distances[i * k + j] : r.distances[i * k + j];
            }
          }
          return { labels, distances };
        },
        dispose() {
          views.clear();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
  return { ok: true, peer };
}

// ---------------------------------------------------------------- hnswlib-node

interface HnswlibIndex {
  initIndex(maxElements: number, m?: number, efConstruction?: number, randomSeed?: number): void;
  addPoint(point: number[], label: number): void;
  setEf(ef: number): void;
  searchKnn(query: number[], k: number): { distances: number[]; neighbors: number[] };
}
interface HnswlibModule {
  HierarchicalNSW: new (space: string, dim: number) => HnswlibIndex;
}

function requireHnswlib(): { mod: HnswlibModule; entry: string } | { error: string } {
  const tries = [import.meta.url, join(peersCacheDir(), 'package.json')];
  let last = '';
  for (const from of tries) {
    try {
      const require = createRequire(from);
      const entry = require.resolve('hnswlib-node');
      return { mod: require('hnswlib-node') as HnswlibModule, entry };
    } catch (e) {
      last = (e as Error).message.split('\n')[0];
    }
  }
  return { error: last };
}

/**
 * Installs hnswlib-node into the peers cache with npm (compiles its addon;
 * about a minute). Returns null on success, else the reason.
 */
export function installHnswlib(log: (line: string) => void = () => undefined): string | null {
  const dir = peersCacheDir();
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json'))) {
    spawnSync('npm', ['init', '-y'], { cwd: dir, encoding: 'utf8' });
  }
  log(`installing hnswlib-node@${HNSWLIB_VERSION} into ${dir} (compiles its C++ addon) ...`);
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `hnswlib-node@${HNSWLIB_VERSION}`], { cwd: dir, encoding: 'utf8', timeout: 15 * 60_000 });
  if (r.status !== 0) return `npm install hnswlib-node@${HNSWLIB_VERSION} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`;
  return null;
}

export function loadHnswlib(options: { install?: boolean; log?: (line: string) => void } = {}): PeerLoad<GraphPeer> {
  let found = requireHnswlib();
  if ('error' in found && options.install) {
    const why = installHnswlib(options.log);
    if (why) return { ok: false, name: 'hnswlib-node', reason: why };
    found = requireHnswlib();
  }
  if ('error' in found) {
    return {
      ok: false,
      name: 'hnswlib-node',
      reason: `hnswlib-node is not installed (${found.error}); \`metalfaiss-bench report\` installs it into ${peersCacheDir()} (or: npm install --prefix ${peersCacheDir()} hnswlib-node@${HNSWLIB_VERSION})`,
    };
  }
  const { mod, entry } = found;
  const peer: GraphPeer = {
    name: 'hnswlib-node',
    version: versionOf(entry, 'hnswlib-node'),
    build(xb, nb, d, metric, M, efConstruction) {
      const index = new mod.HierarchicalNSW(metric === 'l2' ? 'l2' : 'ip', d);
      index.initIndex(nb, M, efConstruction, 100);
      const row = new Array<number>(d);
      for (let i = 0; i < nb; i++) {
        for (let j = 0; j < d; j++) row[j] = xb[i * d + j];
        index.addPoint(row, i);
      }
      return {
        searchMode: 'single',
        threads: 1,
        search(xq, nq, k, ef) {
          index.setEf(Math.max(ef, k));
          const labels = new BigInt64Array(nq * k).fill(-1n);
          const distances = new Float32Array(nq * k).fill(Infinity);
          const q = new Array<number>(d);
          for (let i = 0; i < nq; i++) {
            for (let j = 0; j < d; j++) q[j] = xq[i * d + j];
            const r = index.searchKnn(q, k);
            // order by hnswlib's distance (smaller is nearer for both spaces; 'ip' is 1 - <x, y>)
            const order = r.neighbors.map((_, j) => j).sort((a, b) => r.distances[a] - r.distances[b] || r.neighbors[a] - r.neighbors[b]);
            for (let t = 0; t < order.length && t < k; t++) {
              const j = order[t];
              labels[i * k + t] = BigInt(r.neighbors[j]);
              distances[i * k + t] = metric === 'ip' ? 1 - r.distances[j] : r.distances[j];
            }
          }
          return { labels, distances };
        },
        dispose() {},
      };
    },
  };
  return { ok: true, peer };
}
