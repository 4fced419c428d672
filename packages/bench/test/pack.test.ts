/**
 * Installability: scripts/pack-test.mjs packs every package, installs the
 * tarballs with npm into a fresh project outside the workspace and runs the
 * quickstart there as ESM and CJS (see the script for every check). It runs
 * here because bench's tests start after every package is built.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('pack test (scripts/pack-test.mjs)', () => {
  it('every package packs, installs from its tarball with npm, and the quickstart runs in ESM and CJS', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'pack-test.mjs'), '--json'], { encoding: 'utf8', cwd: root, timeout: 240_000 });
    let summary: { ok: boolean; checks: Array<{ name: string; ok: boolean; detail: string }>; timings: Record<string, number> } | null = null;
    try {
      summary = JSON.parse(r.stdout);
    } catch {
      throw new Error(`pack-test.mjs printed no JSON summary (exit ${r.status}): ${r.stderr.slice(-2000)}`);
    }
    const failed = summary!.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).toEqual([]);
    expect(r.status).toBe(0);
    const names = summary!.checks.map((c) => c.name);
    for (const pkg of ['metal-kernels', 'linalg', 'indexes', 'io', 'faiss-compat', 'bench']) {
      expect(names).toContain(`@metalfaiss/${pkg}: README.md packed`);
    }
    expect(names).toContain('quickstart (ESM): the native kernels loaded from the prebuild');
    expect(names).toContain('quickstart (CJS): the native kernels loaded from the prebuild');
  }, 300_000);
});
