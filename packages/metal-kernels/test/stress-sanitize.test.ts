/**
 * The native kernels under a memory checker, from the test suite (CI sets
 * METALFAISS_SANITIZE when the tools exist):
 *
 * - `asan`: scripts/asan.sh rebuilds the addon with -fsanitize=address and
 *   runs this package's other test files against it (not the child-process
 *   ones, which test loading, not memory): no AddressSanitizer error and no
 *   leak with a frame of the addon;
 * - `valgrind`: scripts/valgrind.sh runs every core kernel, sync and async,
 *   under memcheck: no invalid access, uninitialised read or definite leak
 *   from the addon.
 *
 * METALFAISS_SANITIZE=asan,valgrind (or 1) runs both. Without it these tests
 * are skipped with this note.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(pkg, '..', '..');
const wanted = (process.env.METALFAISS_SANITIZE ?? '').split(',').map((s) => s.trim());
const all = wanted.includes('1') || wanted.includes('all');
// CI (.ci/run) exports METALFAISS_CI_START: the AddressSanitizer run (about 4-6 minutes) only starts
// when the whole CI run can still finish in its 20 minutes.
const ciStart = Number(process.env.METALFAISS_CI_START ?? '');
const ciElapsed = Number.isFinite(ciStart) && ciStart > 0 ? Date.now() / 1000 - ciStart : 0;
const ASAN_LATEST_START_S = 8 * 60;
const asanWanted = all || wanted.includes('asan');
const asan = asanWanted && ciElapsed < ASAN_LATEST_START_S;
if (asanWanted && !asan) {
  console.warn(`AddressSanitizer run skipped: the CI run is ${Math.round(ciElapsed)} s old, past ${ASAN_LATEST_START_S} s, so it would not finish in time (run scripts/asan.sh by hand)`);
}
const valgrind = all || wanted.includes('valgrind');
if (!asan && !valgrind) {
  console.warn('sanitizer runs skipped: set METALFAISS_SANITIZE=asan,valgrind to run the kernel tests under AddressSanitizer and valgrind (scripts/asan.sh, scripts/valgrind.sh)');
}

function runScript(name: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('bash', [join(root, 'scripts', name)], { encoding: 'utf8', env: { ...process.env, ...env, METALFAISS_SANITIZE: '' }, timeout: 25 * 60_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('native kernels under a memory checker', () => {
  it.runIf(asan)('AddressSanitizer: the kernel tests find no invalid access and no leak from the addon', () => {
    const files = readdirSync(join(pkg, 'test'))
      .filter((f) => f.endsWith('.test.ts') && !f.startsWith('child-process') && !f.startsWith('stress-sanitize'))
      .map((f) => `test/${f}`);
    const r = runScript('asan.sh', { ASAN_TESTS: files.join(' ') });
    expect(r.out).toMatch(/asan: clean: \d+ tests passed, 0 failed, \d+ skipped; 0 AddressSanitizer errors, 0 leaks from metal_kernels\.node/);
    expect(r.status).toBe(0);
  }, 25 * 60_000);

  it.runIf(valgrind)('valgrind memcheck: every core kernel, sync and async, is clean', () => {
    const r = runScript('valgrind.sh');
    expect(r.out).toMatch(/valgrind: clean: \d+ kernel calls checked; 0 memcheck reports with a metal_kernels\.node frame/);
    expect(r.status).toBe(0);
  }, 10 * 60_000);
});
