#!/usr/bin/env node
/**
 * Installability check: packs every workspace package with `pnpm pack` (which
 * turns workspace:* into versions and runs metal-kernels' prepack, placing its
 * prebuilt binary), inspects each tarball (exports map with types first,
 * files allow-list, engines, README, no workspace: ranges, the prebuild
 * present and no build/ folder), installs the tarballs with npm into a fresh
 * temporary project outside the workspace, and runs the README's quickstart
 * there as ESM and as CJS, plus the `metalfaiss` bin and the no-binary
 * fallback. Last, the release flow: `changeset version` on a copy of the
 * workspace's manifests writes a CHANGELOG.md per package with the pending
 * changesets (`changeset publish`, i.e. `pnpm release`, then publishes).
 *
 * It reuses the built dist/ folders (run `pnpm build` first) and installs
 * offline-capable: the external runtime dependencies (node-gyp-build) are
 * packed from the workspace's own node_modules, so npm needs no registry.
 *
 * Usage: node scripts/pack-test.mjs [--json] [--keep]
 * Exit code 0 when every check passes; 1 otherwise, with the failed checks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({ options: { json: { type: 'boolean' }, keep: { type: 'boolean' } } });

const checks = [];
const timings = {};
function check(name, ok, detail = '') {
  detail = String(detail).replace(/\s*\n\s*/g, ' | ');
  checks.push({ name, ok: Boolean(ok), detail });
  if (!opts.json) process.stderr.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}\n`);
  return Boolean(ok);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options, env: { ...process.env, ...options.env } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

function timed(name, fn) {
  const t = performance.now();
  try {
    return fn();
  } finally {
    timings[name] = Math.round(performance.now() - t) / 1000;
  }
}

/** pnpm on PATH, or through npx (as the README's commands do). */
function pnpmCommand() {
  const r = run('pnpm', ['--version']);
  if (r.status === 0) return ['pnpm'];
  return ['npx', '-y', 'pnpm@10.34.9'];
}

function finish(extra = {}) {
  const failed = checks.filter((c) => !c.ok);
  const summary = { ok: failed.length === 0, passed: checks.length - failed.length, failed: failed.length, checks, timings, ...extra };
  if (opts.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else process.stderr.write(`pack test: ${summary.passed} checks passed, ${summary.failed} failed (${Object.entries(timings).map(([k, v]) => `${k} ${v} s`).join(', ')})\n`);
  process.exit(failed.length ? 1 : 0);
}

// ---------------------------------------------------------------- the packages
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private);

const work = mkdtempSync(join(tmpdir(), 'metalfaiss-pack-'));
const tarDir = join(work, 'tarballs');
mkdirSync(tarDir);
let cleanup = !opts.keep;
process.on('exit', () => {
  if (cleanup) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`pack test: kept ${work}\n`);
});

for (const p of packages) {
  if (!check(`${p.json.name}: dist/ is built`, existsSync(join(p.dir, 'dist', 'index.js')), existsSync(join(p.dir, 'dist', 'index.js')) ? '' : 'run `pnpm build` first')) finish();
}

// ---------------------------------------------------------------- pack
const pnpm = pnpmCommand();
const tarballs = {};
timed('pack', () => {
  for (const p of packages) {
    const r = run(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', tarDir], { cwd: p.dir });
    const file = readdirSync(tarDir).find((f) => f.startsWith(p.json.name.replace('@', '').replace('/', '-') + '-') && !Object.values(tarballs).includes(join(tarDir, f)));
    if (!check(`${p.json.name}: pnpm pack`, r.status === 0 && file, r.status === 0 ? file : (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | '))) continue;
    tarballs[p.json.name] = join(tarDir, file);
  }
});
check('metal-kernels: postpack removed the generated prebuilds (development keeps loading build/Release)', !existsSync(join(packagesDir, 'metal-kernels', '.prebuilds-generated')) && !existsSync(join(packagesDir, 'metal-kernels', 'prebuilds', `${process.platform}-${process.arch}`)));

// ---------------------------------------------------------------- inspect
timed('inspect', () => {
  for (const p of packages) {
    const tgz = tarballs[p.json.name];
    if (!tgz) continue;
    const list = run('tar', ['-tzf', tgz]).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const pj = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json']).stdout);
    const name = p.json.name;
    const dot = pj.exports?.['.'];
    check(`${name}: exports["."] lists types first, then import and require`, dot && Object.keys(dot)[0] === 'types' && dot.import && dot.require, JSON.stringify(dot));
    check(`${name}: exports["./package.json"]`, pj.exports?.['./package.json'] === './package.json');
    check(`${name}: files allow-list`, Array.isArray(pj.files) && pj.files.includes('dist'), JSON.stringify(pj.files));
    check(`${name}: engines.node`, typeof pj.engines?.node === 'string', pj.engines?.node);
    check(`${name}: README.md packed`, list.includes('README.md'));
    check(`${name}: dist entry points packed`, ['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts'].every((f) => list.includes(f)));
    const ranges = JSON.stringify({ ...pj.dependencies, ...pj.optionalDependencies, ...pj.peerDependencies });
    check(`${name}: no workspace: ranges left`, !ranges.includes('workspace:'), ranges);
    check(`${name}: no tests or sources of tests packed`, !list.some((f) => /(^|\/)test\/|\.test\.[cm]?[jt]s$/.test(f)));
    for (const [, target] of Object.entries(pj.bin ?? {})) check(`${name}: bin ${target} packed`, list.includes(target.replace(/^\.\//, '')));
    if (name === '@metalfaiss/metal-kernels') {
      const tag = `${process.platform}-${process.arch}`;
      check(`${name}: prebuilt binary for ${tag} packed`, list.includes(`prebuilds/${tag}/metal_kernels.napi.node`), list.filter((f) => f.startsWith('prebuilds/')).join(', ') || 'none');
      check(`${name}: no local build/ folder packed`, !list.some((f) => f.startsWith('build/')));
    }
  }
});

// ---------------------------------------------------------------- external runtime deps, packed from the workspace (offline install)
const external = new Map();
for (const p of packages) {
  for (const dep of Object.keys(p.json.dependencies ?? {})) {
    if (dep.startsWith('@metalfaiss/') || external.has(dep)) continue;
    const dir = join(p.dir, 'node_modules', dep);
    if (!existsSync(dir)) continue;
    const r = run('npm', ['pack', '--pack-destination', tarDir, realpathSync(dir)], { cwd: work });
    const file = r.stdout.trim().split('\n').pop();
    if (check(`external dependency ${dep}: packed from the workspace`, r.status === 0 && file && existsSync(join(tarDir, file)), r.status === 0 ? file : r.stderr.trim().split('\n').pop())) external.set(dep, join(tarDir, file));
  }
}

// ---------------------------------------------------------------- install in a fresh project
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'metalfaiss-pack-test', version: '1.0.0', private: true }, null, 2));
const install = timed('npm install', () =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', '--loglevel=error', ...external.values(), ...Object.values(tarballs)], { cwd: app }),
);
if (!check('npm install of the tarballs into a fresh project', install.status === 0, install.status === 0 ? `${Object.keys(tarballs).length} packages` : install.stderr.trim().split('\n').slice(-4).join(' | '))) finish();
check('the installed metal-kernels has no build/ folder (only the prebuild can load)', !existsSync(join(app, 'node_modules', '@metalfaiss', 'metal-kernels', 'build')));

// ---------------------------------------------------------------- the quickstart, ESM and CJS
const quickstart = (imp) => `
${imp('faiss', '@metalfaiss/faiss-compat')}
${imp('ix', '@metalfaiss/indexes')}
${imp('mk', '@metalfaiss/metal-kernels')}
${imp('io', '@metalfaiss/io')}
${imp('linalg', '@metalfaiss/linalg')}
${imp('bench', '@metalfaiss/bench')}
const path = require('node:path'), os = require('node:os'), fs = require('node:fs');
async function main() {
  const d = 16, nb = 500, nq = 5;
  const xb = new Float32Array(nb * d).map((_, i) => Math.sin(i * 12.9898) * 0.5);
  const xq = xb.slice(0, nq * d);                      // the first 5 base vectors: each finds itself
  const index = new faiss.IndexFlatL2(d);
  index.add(xb);
  const [D, I] = index.search(xq, 4);
  const [, I2] = await index.search_async(xq, 4);
  const file = path.join(os.tmpdir(), 'mf-pack-' + process.pid + '.faiss');
  faiss.write_index(index, file);
  const back = faiss.read_index(file);
  const [, I3] = back.search(xq, 4);
  const described = io.describeRecord(io.readIndex(file)).className;
  fs.rmSync(file);
  const native = new ix.IndexFlatL2(d);
  await native.add(xb);
  const r = await native.search(xq, 4);
  const self = Array.from({ length: nq }, (_, q) => I[q * 4] === BigInt(q)).every(Boolean);
  console.log(JSON.stringify({
    self, D0: D[0], asyncEqual: I2.join() === I.join(), fileEqual: I3.join() === I.join(),
    indexesEqual: r.labels.join() === I.join(), described, backend: mk.backendInfo().backend,
    normalize: typeof linalg.normalizeL2 === 'function', bench: typeof bench.recallAtK === 'function',
  }));
}
main().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
`;
const esm = quickstart((n, m) => `import * as ${n} from '${m}';`).replace("const path = require('node:path'), os = require('node:os'), fs = require('node:fs');", "import path from 'node:path'; import os from 'node:os'; import fs from 'node:fs';");
const cjs = quickstart((n, m) => `const ${n} = require('${m}');`);
writeFileSync(join(app, 'quickstart.mjs'), esm);
writeFileSync(join(app, 'quickstart.cjs'), cjs);
const results = {};
for (const [kind, file] of [['ESM', 'quickstart.mjs'], ['CJS', 'quickstart.cjs']]) {
  const r = timed(`quickstart ${kind}`, () => run(process.execPath, [file], { cwd: app, env: { METALFAISS_BACKEND: '' } }));
  let out = null;
  try {
    out = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    out = null;
  }
  results[kind] = out;
  if (!check(`quickstart (${kind}) runs`, r.status === 0 && out, r.status === 0 ? '' : r.stderr.trim().split('\n').slice(0, 3).join(' | '))) continue;
  check(`quickstart (${kind}): each query finds itself (distance about 0)`, out.self && Math.abs(out.D0) < 1e-4, `D[0] = ${out.D0}`);
  check(`quickstart (${kind}): search_async, read_index(write_index(...)) and @metalfaiss/indexes agree`, out.asyncEqual && out.fileEqual && out.indexesEqual);
  check(`quickstart (${kind}): @metalfaiss/io describes the file`, out.described === 'IndexFlatL2', out.described);
  check(`quickstart (${kind}): the native kernels loaded from the prebuild`, out.backend === 'native', `backend ${out.backend}`);
  check(`quickstart (${kind}): no fallback warning`, !/METALFAISS_REFERENCE_BACKEND|reference backend/.test(r.stderr), r.stderr.trim().split('\n')[0] ?? '');
  check(`quickstart (${kind}): linalg and bench import`, out.normalize && out.bench);
}

// ---------------------------------------------------------------- no binary for this platform: the fallback says what was tried and what to do
{
  const mkDir = join(app, 'node_modules', '@metalfaiss', 'metal-kernels');
  rmSync(join(mkDir, 'prebuilds'), { recursive: true, force: true });
  const r = run(process.execPath, ['-e', "const mk = require('@metalfaiss/metal-kernels'); console.log(JSON.stringify(mk.backendInfo()))"], { cwd: app, env: { METALFAISS_BACKEND: '' } });
  const tried = [join('prebuilds', `${process.platform}-${process.arch}`), join('build', 'Release'), join('build', 'Debug')];
  check('without a loadable binary: falls back to the reference backend', r.status === 0 && /"backend":"reference"/.test(r.stdout), r.stdout.trim() || r.stderr.trim().split('\n')[0]);
  check('without a loadable binary: the warning lists every path tried', tried.every((t) => r.stderr.includes(join(realpathSync(mkDir), t))), r.stderr.trim().slice(0, 300));
  check('without a loadable binary: the warning says what to do', /What to do: .*cmake-js compile --out build/.test(r.stderr), r.stderr.trim().slice(-300));
}

// ---------------------------------------------------------------- the bin
const binPath = join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'metalfaiss.cmd' : 'metalfaiss');
const v = run(binPath, ['--version'], { cwd: app });
check('the metalfaiss bin is installed and runs', v.status === 0 && /^\d+\.\d+\.\d+/.test(v.stdout), (v.stdout || v.stderr).trim());
const miss = run(binPath, ['info', 'missing.faiss'], { cwd: app });
check('the metalfaiss bin: one-line error and exit code 2 for a missing file', miss.status === 2 && miss.stderr.trim().split('\n').length === 1, miss.stderr.trim());

// ---------------------------------------------------------------- the release flow: `changeset version` on a copy
timed('changeset version', () => {
  const rel = join(work, 'release');
  mkdirSync(join(rel, '.changeset'), { recursive: true });
  for (const f of ['package.json', 'pnpm-workspace.yaml']) writeFileSync(join(rel, f), readFileSync(join(root, f)));
  const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
  for (const f of [...pending, 'config.json', 'README.md']) if (existsSync(join(root, '.changeset', f))) writeFileSync(join(rel, '.changeset', f), readFileSync(join(root, '.changeset', f)));
  const config = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8'));
  check('changesets config: public access, base branch main', config.access === 'public' && config.baseBranch === 'main', JSON.stringify({ access: config.access, baseBranch: config.baseBranch }));
  const summaries = new Map(); // package -> summaries of its pending changesets
  for (const f of pending) {
    const text = readFileSync(join(root, '.changeset', f), 'utf8');
    const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
    if (!check(`changeset ${f} has front matter and a summary`, m && m[2].trim().length > 0)) continue;
    for (const line of m[1].split('\n')) {
      const pm = /^["']?(@metalfaiss\/[a-z-]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line.trim());
      if (pm) summaries.set(pm[1], [...(summaries.get(pm[1]) ?? []), m[2].trim().split('\n')[0]]);
    }
  }
  for (const p of packages) {
    const dir = join(rel, 'packages', basename(p.dir));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), readFileSync(join(p.dir, 'package.json')));
    if (existsSync(join(p.dir, 'CHANGELOG.md'))) writeFileSync(join(dir, 'CHANGELOG.md'), readFileSync(join(p.dir, 'CHANGELOG.md')));
  }
  const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'changeset.cmd' : 'changeset');
  const r = run(bin, ['version'], { cwd: rel });
  if (!check('`changeset version` runs', r.status === 0, (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | '))) return;
  check('`changeset version` consumed the pending changesets', readdirSync(join(rel, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md').length === 0, `${pending.length} pending before`);
  for (const p of packages) {
    const dir = join(rel, 'packages', basename(p.dir));
    const mine = summaries.get(p.json.name) ?? [];
    if (!mine.length) continue;
    const log = existsSync(join(dir, 'CHANGELOG.md')) ? readFileSync(join(dir, 'CHANGELOG.md'), 'utf8') : '';
    const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    check(`${p.json.name}: CHANGELOG.md written by \`changeset version\` (${p.json.version} -> ${version})`, log.startsWith(`# ${p.json.name}`) && log.includes(`## ${version}`) && version !== p.json.version && mine.every((s) => log.includes(s.slice(0, 60))));
  }
});

finish({ work: opts.keep ? work : undefined, tarballs: Object.fromEntries(Object.entries(tarballs).map(([k, f]) => [k, basename(f)])), quickstart: results });
