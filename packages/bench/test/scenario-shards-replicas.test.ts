import { describe, expect, it } from 'vitest';
import { defaultSettings, runBench } from '../src/run';
import { listScenarios } from '../src/scenarios/index';
import { tempDir } from './helpers';

// Small and quick; nothing here asserts a speed.
describe('shards-replicas scenario', () => {
  it('is registered and measures shards/replicas with the single index results', async () => {
    expect(listScenarios().map((s) => s.name)).toContain('shards-replicas');
    const report = await runBench(
      'shards-replicas',
      defaultSettings({
        dataset: 'synthetic:d=16,nb=4000,nq=40,nt=0,seed=5', nq: 40, k: 5, reps: 1, warmup: 0, faiss: false, peers: false,
        cacheDir: tempDir(), faissEnvironment: 'inherit', log: () => {},
      }),
    );
    if (report.rows.length === 0) {
      expect(report.skipped[0].reason).toMatch(/IndexIVFFlat/);
      return;
    }
    expect(report.rows.length).toBe(6);
    const one = report.rows.find((r) => r.params.startsWith('IVF') && r.params.endsWith('async'))!;
    for (const r of report.rows) {
      expect(r.qps).toBeGreaterThan(0);
      expect(r.recall).toBeCloseTo(one.recall!, 9);
      if (r !== one && !r.params.startsWith('IVF')) expect(r.labelMismatches).toBe(0);
    }
  });
});
