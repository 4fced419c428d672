/**
 * The benchmark report: runFullReport on a tiny synthetic set (flat and
 * ivf-flat, FAISS beside us when installed) writes results.json, one
 * recall-vs-qps SVG per scenario with its measurement footnote, build/memory
 * charts and a README naming the machine, the commit and how each figure was
 * measured; --render-only reproduces the page from results.json. Plus the
 * ANN scenario's sizing helpers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  detectFaiss, nlistFor, pqMFor, qpsAtRecall, renderFromResults, runFullReport, withFootnote, emptyRow, ANN_SPECS, syntheticDataset,
} from '../src/index';
import { tempDir } from './helpers';

describe('ANN scenario sizing', () => {
  it('nlist near 4 sqrt(nb), a power of two, at most nb / 8; PQ M divides d', () => {
    expect(nlistFor(60000)).toBe(1024);
    expect(nlistFor(1_000_000)).toBe(4096);
    expect(nlistFor(4000)).toBe(256);
    expect(nlistFor(100)).toBe(8);
    expect(pqMFor(784)).toBe(16);
    expect(pqMFor(128)).toBe(16);
    expect(pqMFor(30)).toBe(15);
    const ds = { ...syntheticDataset({ d: 784, nb: 10, nq: 1, nt: 0 }), nb: 60000 }; // only d and nb matter
    expect(ANN_SPECS.map((s) => s.factory(ds))).toEqual([
      'IVF1024,Flat', 'IVF1024,PQ16', 'IVF1024,SQ8', 'HNSW32', 'OPQ16_64,IVF1024,PQ16',
    ]);
    expect(ANN_SPECS[0].sweep(ds).map((p) => p.label)).toEqual(['nprobe=1', 'nprobe=2', 'nprobe=4', 'nprobe=8', 'nprobe=16', 'nprobe=32', 'nprobe=64', 'nprobe=128', 'nprobe=256']);
  });

  it('qpsAtRecall keeps the fastest setting that reaches the target', () => {
    const row = (impl: string, params: string, recall: number, qps: number) => ({ ...emptyRow({ scenario: 's', dataset: 'd', impl, mode: 'batch', params, threads: 1, nq: 1, k: 10 }), recall, qps });
    const m = qpsAtRecall([row('a', 'p1', 0.8, 900), row('a', 'p2', 0.91, 500), row('a', 'p3', 0.99, 100), row('b', 'p1', 0.5, 1000)], 0.9);
    expect(m.get('a')).toEqual({ qps: 500, params: 'p2' });
    expect(m.get('b')).toBeNull();
  });

  it('withFootnote grows the chart and wraps long lines', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="760" height="460" viewBox="0 0 760 460" font-size="12">\n<rect x="0" y="0" width="760" height="460" fill="#ffffff"/>\n</svg>\n';
    const out = withFootnote(svg, ['x'.repeat(10) + ' ' + 'word '.repeat(40)]);
    expect(out).toMatch(/height="496" viewBox="0 0 760 496"/);
    expect(out.match(/<text /g)).toHaveLength(2);
  });
});

describe('runFullReport', () => {
  it('writes results.json, a figure per scenario with how it was measured, and the README', async () => {
    const out = tempDir('mf-report-');
    const lines: string[] = [];
    const faiss = detectFaiss().available;
    const { results, files } = await runFullReport({
      out,
      datasets: [{ key: 'tiny', spec: 'synthetic:d=16,nb=3000,nq=100,nt=3000', label: 'Tiny synthetic', nq: 100 }],
      scenarios: ['flat', 'ivf-flat'],
      overrides: { reps: 1, warmup: 1, singleQueries: 10, singleWarmup: 2, peers: false, faissEnvironment: 'inherit', cacheDir: tempDir('mf-report-gt-') },
      log: (l) => lines.push(l),
    });
    expect(results.entries.map((e) => [e.scenario, e.error ?? 'ok'])).toEqual([['flat', 'ok'], ['ivf-flat', 'ok']]);
    for (const f of ['results.json', 'README.md', 'tiny-flat.svg', 'tiny-ivf-flat.svg', 'tiny-build.svg', 'tiny-memory.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(files.length).toBeGreaterThanOrEqual(5);
    const ivf = results.entries[1].report!;
    const ours = ivf.rows.filter((r) => r.impl === 'metalfaiss');
    expect(ours.map((r) => r.params)).toEqual(['nprobe=1', 'nprobe=2', 'nprobe=4', 'nprobe=8', 'nprobe=16', 'nprobe=32', 'nprobe=64', 'nprobe=128', 'nprobe=256']); // nlist 256
    expect(ours[ours.length - 1].recall).toBe(1); // nprobe = nlist scans everything
    expect(ours[0].recall!).toBeLessThan(ours[ours.length - 1].recall!);
    if (faiss) {
      const theirs = ivf.rows.filter((r) => r.impl === 'faiss');
      expect(theirs).toHaveLength(ours.length);
      expect(theirs[theirs.length - 1].recall).toBe(1);
    }

    const svg = readFileSync(join(out, 'tiny-ivf-flat.svg'), 'utf8');
    expect(svg).toContain('<g class="footnote">');
    expect(svg).toMatch(/Measured: 100 queries, k=10/);
    expect(svg).toContain('data-name="metalfaiss"');
    if (faiss) expect(svg).toContain('data-name="faiss"');

    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/^# Benchmarks/);
    expect(readme).toMatch(/- \*\*CPU\*\*: .*cores/);
    expect(readme).toMatch(/- \*\*Commit\*\*: `[0-9a-f]{12}`/);
    expect(readme).toContain('![ivf-flat on tiny](tiny-ivf-flat.svg)');
    expect(readme.match(/\*How it was measured:\*/g)!.length).toBeGreaterThanOrEqual(4);
    expect(readme).toMatch(/\| ivf-flat \| [\d,]+ \(nprobe=\d+\)/);
    expect(readme).toContain('## Not in this report yet');

    // re-rendering from results.json gives the same page
    renderFromResults(out);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toBe(readme);
  }, 240_000);
});

describe('binary scenario helpers', () => {
  it('binarizes one bit per dimension above the mean, and measures tie-aware recall against exact Hamming distances', async () => {
    const { binarize, hammingKthDistances, tieAwareRecall } = await import('../src/scenarios/binary');
    const ds = syntheticDataset({ d: 16, nb: 300, nq: 5, nt: 0 });
    const set = binarize(ds, 5);
    expect([set.dBits, set.codeSize, set.xb.length, set.xq.length]).toEqual([16, 2, 600, 10]);
    // bit j of vector i is set exactly when component j is above the mean of dimension j
    const mean = Array.from({ length: 16 }, (_, j) => ds.xb.filter((_, t) => t % 16 === j).reduce((a, b) => a + b, 0) / 300);
    for (let j = 0; j < 16; j++) expect(((set.xb[j >> 3] >> (j & 7)) & 1) === 1).toBe(ds.xb[j] > mean[j]);
    const gt = hammingKthDistances(set, 3);
    // an exhaustive answer, in any order among ties, has recall 1
    const labels = new BigInt64Array(5 * 3);
    for (let q = 0; q < 5; q++) {
      const order = Array.from({ length: 300 }, (_, i) => i).sort((a, b) => {
        const h = (i: number) => { let c = 0; for (let t = 0; t < 2; t++) { let v = set.xq[q * 2 + t] ^ set.xb[i * 2 + t]; while (v) { c += v & 1; v >>= 1; } } return c; };
        return h(a) - h(b) || b - a; // ties in reverse index order: still correct
      });
      for (let j = 0; j < 3; j++) labels[q * 3 + j] = BigInt(order[j]);
    }
    expect(tieAwareRecall(labels, set, gt, 3)).toEqual({ recall: 1, r1: 1 });
    labels.fill(-1n);
    expect(tieAwareRecall(labels, set, gt, 3)).toEqual({ recall: 0, r1: 0 });
  });
});
