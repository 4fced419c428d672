import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetalFaissError } from '@metalfaiss/metal-kernels';
import { main } from '../src/cli-main';
import { parseCsv } from '../src/report/csv';
import { detectFaiss } from '../src/peers/faiss';
import { loadUsearch } from '../src/peers/usearch';
import { defaultSettings, runBench, writeReport } from '../src/run';
import { listScenarios } from '../src/scenarios/index';
import { tempDir } from './helpers';

// Small enough to run in a few seconds; nothing here asserts a speed.
const DATASET = 'synthetic:d=32,nb=3000,nq=60,nt=0,seed=3';
const faiss = detectFaiss();
const usearch = loadUsearch();

describe('scenario registry', () => {
  it('has flat', () => {
    expect(listScenarios().map((s) => s.name)).toContain('flat');
  });
});

describe('flat scenario end to end', () => {
  it('measures ours (and FAISS and usearch when present) with recall against exact ground truth', async () => {
    const lines: string[] = [];
    const cacheDir = tempDir();
    const report = await runBench(
      'flat',
      defaultSettings({ dataset: DATASET, nq: 60, k: 10, reps: 1, warmup: 1, singleQueries: 15, singleWarmup: 2, cacheDir, faissEnvironment: 'inherit', log: (l) => lines.push(l) }),
    );
    const row = (impl: string, mode: string) => report.rows.find((r) => r.impl === impl && r.mode === mode);
    const ours = row('metalfaiss', 'batch')!;
    expect(ours).toBeDefined();
    expect(ours.recall).toBeGreaterThanOrEqual(0.99);
    expect(ours.qps).toBeGreaterThan(0);
    expect(ours.gflops).toBeCloseTo((2 * 3000 * 32 * ours.qps!) / 1e9, 6);
    expect(ours.memoryBytes).toBeGreaterThanOrEqual(3000 * 32 * 4);
    const single = row('metalfaiss', 'single')!;
    expect(single.p50).toBeGreaterThan(0);
    expect(single.p99).toBeGreaterThanOrEqual(single.p50!);
    expect(single.recall).toBeGreaterThanOrEqual(0.99);
    expect(lines.some((l) => l.startsWith('ground truth'))).toBe(true);
    if (faiss.available) {
      const f = row('faiss', 'batch')!;
      expect(f.recall).toBe(1);
      expect(ours.ratioVsFaiss).toBeCloseTo(ours.qps! / f.qps!, 9);
      expect(ours.labelMismatches).toBe(0);
      expect(row('faiss', 'single')!.p50).toBeGreaterThan(0);
      expect(report.provenance.faiss?.version).toMatch(/^\d/);
    } else {
      expect(report.skipped.map((s) => s.impl)).toContain('faiss');
    }
    if (usearch.ok) {
      expect(row('usearch', 'batch')!.recall).toBeGreaterThanOrEqual(0.99);
    } else {
      expect(report.skipped.map((s) => s.impl)).toContain('usearch');
    }

    const out = tempDir();
    const files = writeReport(report, out);
    for (const f of ['flat-results.csv', 'flat-results.json', 'flat-machine.json', 'flat-qps-batch.svg', 'flat-qps-single.svg', 'flat-recall-qps.svg']) {
      expect(files).toContain(join(out, f));
    }
    const csv = parseCsv(readFileSync(join(out, 'flat-results.csv'), 'utf8'));
    expect(csv.length).toBe(report.rows.length + 1);
    const machine = JSON.parse(readFileSync(join(out, 'flat-machine.json'), 'utf8'));
    for (const key of ['cpuModel', 'cores', 'node', 'backend', 'git', 'date', 'method']) expect(machine).toHaveProperty(key);
    expect(readFileSync(join(out, 'flat-qps-batch.svg'), 'utf8')).toContain('metalfaiss');
  });
});

describe('CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('run flat prints a table and writes the files into --out', async () => {
    const out = tempDir();
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main(['run', 'flat', '--dataset', DATASET, '--nq', '30', '--k', '5', '--reps', '1', '--single', '5', '--no-peers', '--no-faiss', '--no-cache', '--out', out]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    expect(stdout).toContain('recall@k');
    expect(stdout).toContain('metalfaiss');
    expect(existsSync(join(out, 'flat-results.csv'))).toBe(true);
  });

  it('rejects unknown scenarios and options with MetalFaissError', async () => {
    await expect(main(['run', 'no-such-scenario'])).rejects.toSatisfy((e: unknown) => MetalFaissError.isInstance(e) && /flat/.test((e as Error).message));
    await expect(main(['run', 'flat', '--bogus'])).rejects.toSatisfy((e: unknown) => MetalFaissError.isInstance(e) && (e as MetalFaissError).code === 'INVALID_ARGUMENT');
    await expect(main(['run', 'flat', '--nq', 'many'])).rejects.toThrow(/--nq/);
  });
});
