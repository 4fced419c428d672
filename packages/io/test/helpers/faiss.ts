/**
 * Running real FAISS (Debian's python3-faiss 1.7.3, through /usr/bin/python3)
 * from the tests: detection, fixture generation, and the check script that
 * reads our files with FAISS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readNpy, type NpyArray } from './npy';

export const PYTHON = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURE_SCRIPT = join(HERE, '..', 'fixtures', 'make_fixtures.py');
export const CHECK_SCRIPT = join(HERE, '..', 'fixtures', 'check_ours.py');

export function faissStatus(): { ok: boolean; reason: string } {
  const r = spawnSync(PYTHON, ['-c', 'import faiss, numpy'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run (${r.error.message})` };
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} -c "import faiss" failed: ${(r.stderr || '').trim().split('\n').pop()}` };
  return { ok: true, reason: '' };
}

function run(args: string[]): void {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

export interface FixtureCase {
  fourcc: string;
  binary: boolean;
  file: string;
  d: number;
  ntotal: number;
  is_trained: boolean;
  metric_type?: number;
  metric_arg?: number;
  arrays: Record<string, string>;
  [key: string]: unknown;
}

export interface Fixtures {
  dir: string;
  d: number;
  k: number;
  nq: number;
  cases: Record<string, FixtureCase>;
  path(name: string): string;
  array(name: string, field: string): NpyArray;
  has(name: string, field: string): boolean;
  npy(file: string): NpyArray;
}

/** Runs make_fixtures.py into a fresh temporary folder. */
export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'metalfaiss-io-fixtures-'));
  run([FIXTURE_SCRIPT, dir]);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return {
    dir,
    d: m.d,
    k: m.k,
    nq: m.nq,
    cases: m.cases,
    path: (name) => join(dir, m.cases[name].file),
    array: (name, field) => {
      const f = m.cases[name].arrays?.[field];
      if (!f) throw new Error(`fixture ${name} has no array ${field}`);
      return readNpy(join(dir, f)).data;
    },
    has: (name, field) => Boolean(m.cases[name].arrays?.[field]),
    npy: (file) => readNpy(join(dir, file)).data,
  };
}

export interface CheckRequest {
  name: string;
  /** Index file we wrote. */
  file: string;
  binary: boolean;
  /** .npy queries (float32 or uint8). */
  queries: string;
  k: number;
  /** Also return reconstruct_n(0, ntotal). */
  reconstruct?: boolean;
}

export interface CheckResult {
  className: string;
  d: number;
  ntotal: number;
  metricType: number;
  nprobe?: number;
  efSearch?: number;
  listSizes?: number[];
  D: Float32Array | Int32Array;
  I: BigInt64Array;
  recon?: Float32Array;
}

/** Reads each of our files with FAISS in one subprocess and returns what FAISS sees. */
export function checkWithFaiss(dir: string, requests: CheckRequest[]): Record<string, CheckResult> {
  const manifest = join(dir, 'check.json');
  writeFileSync(manifest, JSON.stringify(requests));
  run([CHECK_SCRIPT, manifest, dir]);
  const out = JSON.parse(readFileSync(join(dir, 'check-results.json'), 'utf8'));
  const res: Record<string, CheckResult> = {};
  for (const r of requests) {
    const o = out[r.name];
    res[r.name] = {
      className: o.class,
      d: o.d,
      ntotal: o.ntotal,
      metricType: o.metric_type,
      nprobe: o.nprobe,
      efSearch: o.efSearch,
      listSizes: o.list_sizes,
      D: readNpy(join(dir, o.D)).data as Float32Array,
      I: readNpy(join(dir, o.I)).data as BigInt64Array,
      recon: o.recon ? (readNpy(join(dir, o.recon)).data as Float32Array) : undefined,
    };
  }
  return res;
}
