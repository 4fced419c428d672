/**
 * Environment overrides and the loader, each in a fresh Node process running
 * the built package (dist/; `pnpm build` runs before the tests).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../src/loader';

const pkg = path.resolve(__dirname, '..');
const dist = path.join(pkg, 'dist', 'index.js');
const hasDist = fs.existsSync(dist);
const addon = loadAddon().addon;

/** The script each child runs: integer data, so native and reference must agree exactly. */
const SCRIPT = `
const mk = await import(process.env.MK_ENTRY);
const warnings = [];
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
const d = 23, nb = 400;
function ints(n, seed) { let a = seed; const x = new Float32Array(n); for (let i = 0; i < n; i++) { a = (a * 1103515245 + 12345) % 2147483648; x[i] = a % 5; } return x; }
const out = { checks: 0, mismatches: 0 };
for (const nq of [1, 5, 70]) for (const metric of [0, 1]) {
  const xq = ints(nq * d, 7 + nq), xb = ints(nb * d, 9 + nq);
  const mk2 = (k) => ({ xq, xb, nq, nb, d, k, metric, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) });
  const a = mk2(15), b = mk2(15);
  mk.knn(a); await mk.knnAsync(a); mk.referenceBackend.knn(b);
  out.checks++;
  if (JSON.stringify(Array.from(a.labels, String)) !== JSON.stringify(Array.from(b.labels, String)) ||
      JSON.stringify(Array.from(a.distances)) !== JSON.stringify(Array.from(b.distances))) out.mismatches++;
}
out.info = mk.backendInfo();
out.native = mk.getNativeBackend() !== null;
await new Promise((r) => setImmediate(r));
out.warnings = warnings;
console.log('RESULT ' + JSON.stringify(out));
`;

interface ChildResult {
  checks: number;
  mismatches: number;
  info: { backend: string; simd: string; threads: number; loadError?: string };
  native: boolean;
  warnings: Array<{ name: string; code: string; message: string }>;
}

function runChild(env: Record<string, string>, entry = dist): { result: ChildResult; stderr: string } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, MK_ENTRY: entry, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`child failed (status ${child.status}): ${child.stderr}`);
  return { result: JSON.parse(line.slice(7)) as ChildResult, stderr: child.stderr };
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** A copy of the package without build/ (and optionally with a prebuilt binary). */
function packageCopy(withPrebuild: boolean): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mk-loader-'));
  temps.push(root);
  fs.cpSync(path.join(pkg, 'dist'), path.join(root, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(pkg, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(pkg, 'node_modules'), path.join(root, 'node_modules'));
  if (withPrebuild) {
    const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(pkg, 'build', 'Release', 'metal_kernels.node'), path.join(dir, 'metal_kernels.napi.node'));
  }
  return path.join(root, 'dist', 'index.js');
}

describe.skipIf(!hasDist)('child processes (built package)', () => {
  it('METALFAISS_BACKEND=reference: one clear warning, correct results', () => {
    const { result, stderr } = runChild({ METALFAISS_BACKEND: 'reference' });
    expect(result.info.backend).toBe('reference');
    expect(result.native).toBe(false);
    expect(result.mismatches).toBe(0);
    expect(result.checks).toBe(6);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0].code).toBe('METALFAISS_REFERENCE_BACKEND');
    expect(result.warnings[0].message).toMatch(/METALFAISS_BACKEND=reference/);
    expect(result.warnings[0].message).toMatch(/block the event loop/);
    expect(stderr.match(/MetalFaissWarning/g) ?? []).toHaveLength(1);
  });

  it.skipIf(!addon)('no warning when the native addon loads', () => {
    const { result } = runChild({ METALFAISS_BACKEND: '', METALFAISS_SIMD: '' });
    expect(result.info.backend).toBe('native');
    expect(result.warnings).toHaveLength(0);
    expect(result.mismatches).toBe(0);
  });

  for (const level of addon ? addon.info().simdLevels : []) {
    it(`METALFAISS_SIMD=${level} selects that level; results still exact`, () => {
      const { result } = runChild({ METALFAISS_SIMD: level });
      expect(result.info.backend).toBe('native');
      expect(result.info.simd).toBe(level);
      expect(result.mismatches).toBe(0);
      expect(result.warnings).toHaveLength(0);
    });
  }

  it.skipIf(!addon)('an unknown METALFAISS_SIMD value warns and keeps the best level', () => {
    const { result } = runChild({ METALFAISS_SIMD: 'sse9' });
    expect(result.info.simd).toBe(addon!.info().simdLevels[0]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0].message).toMatch(/METALFAISS_SIMD=sse9 ignored: expected one of/);
  });

  it('without a binary: falls back with one warning naming every path tried and the error', () => {
    const entry = packageCopy(false);
    const root = path.dirname(path.dirname(entry));
    const { result } = runChild({ METALFAISS_BACKEND: '' }, entry);
    expect(result.info.backend).toBe('reference');
    expect(result.info.loadError).toMatch(/No native build was found/);
    expect(result.mismatches).toBe(0);
    expect(result.warnings).toHaveLength(1);
    const msg = result.warnings[0].message;
    for (const p of [
      path.join(root, 'prebuilds', `${process.platform}-${process.arch}`),
      path.join(root, 'build', 'Release'),
      path.join(root, 'build', 'Debug'),
    ]) {
      expect(msg).toContain(p);
    }
    expect(msg).toMatch(/Error: No native build was found/);
  });

  it('METALFAISS_BACKEND=native without a binary: calls throw BACKEND_UNAVAILABLE', () => {
    const entry = packageCopy(false);
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const mk = await import(process.env.MK_ENTRY); try { mk.backendInfo(); console.log('NO THROW'); } catch (e) { console.log('CODE ' + e.code); }`,
      ],
      { env: { ...process.env, MK_ENTRY: entry, METALFAISS_BACKEND: 'native' }, encoding: 'utf8' },
    );
    expect(child.stdout).toContain('CODE BACKEND_UNAVAILABLE');
  });

  it.skipIf(!addon)('loads a binary from prebuilds/<platform>-<arch> when build/ is absent', () => {
    const entry = packageCopy(true);
    const { result } = runChild({ METALFAISS_BACKEND: '' }, entry);
    expect(result.info.backend).toBe('native');
    expect(result.warnings).toHaveLength(0);
    expect(result.mismatches).toBe(0);
  });
});

describe('built package', () => {
  it('dist/ exists (the child-process tests run it)', () => {
    expect(hasDist, 'dist/index.js is missing: run `pnpm --filter @metalfaiss/metal-kernels build` first').toBe(true);
  });
});
