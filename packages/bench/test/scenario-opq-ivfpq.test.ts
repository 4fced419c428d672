import { describe, expect, it } from 'vitest';
import { qpsAtRecall } from '../src/scenarios/opq-ivfpq';
import { defaultSettings, runBench } from '../src/run';
import { listScenarios } from '../src/scenarios/index';
import { emptyRow } from '../src/report/rows';
import { tempDir } from './helpers';

describe('opq-ivfpq scenario', () => {
  it('interpolates FAISS qps at a recall', () => {
    const row = (recall: number, qps: number) => Object.assign(emptyRow({ scenario: 's', dataset: 'd', impl: 'faiss', mode: 'batch', params: 'p', threads: 1, nq: 1, k: 1 }), { recall, qps });
    const rows = [row(0.5, 1000), row(0.9, 100)];
    expect(qpsAtRecall(rows, 0.7)).toBeCloseTo(Math.sqrt(1000 * 100), 6);
    expect(qpsAtRecall(rows, 0.95)).toBeNull();
  });

  it('runs ours on a small synthetic dataset (nothing timed is asserted)', async () => {
    expect(listScenarios().map((s) => s.name)).toContain('opq-ivfpq');
    const report = await runBench(
      'opq-ivfpq',
      defaultSettings({
        dataset: 'synthetic:d=32,nb=3000,nq=30,nt=0,seed=7', nq: 30, k: 5, reps: 1, warmup: 0, faiss: false, peers: false,
        cacheDir: tempDir(), faissEnvironment: 'inherit', log: () => {},
      }),
    );
    const ours = report.rows.filter((r) => r.impl === 'metalfaiss');
    expect(ours.length).toBeGreaterThan(0);
    expect(ours[0].params).toMatch(/^nprobe=/);
    expect(ours[ours.length - 1].recall).toBeGreaterThan(0.3);
  });
});
