#!/usr/bin/env node
/**
 * Benchmark: reading FAISS files of the IVF family (and the flat case) into
 * index objects with faiss-compat's read_index, versus Python FAISS 1.7.3's
 * read_index on the same file. Fashion-MNIST train set (60000 x 784):
 *
 *   flat     IndexFlatL2                 (~188 MB)
 *   ivfflat  IVF256,Flat                 (~189 MB)
 *   ivfpq    IVF256,PQ16                 (~2 MB of codes + ids)
 *   ivfsq    IVF256,SQ8                  (~48 MB)
 *
 *   node packages/io/bench/read-ivf.mjs [--runs 7] [--only ivfflat,ivfsq] [--dir /tmp/metalfaiss-io-bench]
 *        [--before /path/to/other/checkout/packages]
 *
 * --before times a second build of the packages (another checkout, built)
 * in the same interleaved loop, for before/after comparisons under the same load.
 *
 * Needs the built packages (pnpm --filter @metalfaiss/faiss-compat... build),
 * FAISS for /usr/bin/python3 (it writes the files, once, to --dir, and is the
 * baseline) and /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz.
 * Every timed read runs in a fresh process from the page cache, alternating
 * ours and FAISS's in the same loop (so both see the same machine load). The
 * report gives median and best wall time of the read call, our split into
 * parse (@metalfaiss/io readIndex) and mapping (record -> index), the peak
 * RSS of the reading process (VmHWM) and Node's own baseline RSS with the
 * packages loaded. Not a test: timings are noisy on a shared 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PY = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const COMPAT = join(HERE, '..', '..', 'faiss-compat', 'dist', 'index.js');
const IO = join(HERE, '..', 'dist', 'index.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('runs', 7));
const dir = opt('dir', join(tmpdir(), 'metalfaiss-io-bench'));
const only = opt('only', 'flat,ivfflat,ivfpq,ivfsq').split(',');
const before = opt('before', undefined);
const BEFORE_COMPAT = before ? join(before, 'faiss-compat', 'dist', 'index.js') : undefined;
if (BEFORE_COMPAT && !existsSync(BEFORE_COMPAT)) throw new Error(`missing ${BEFORE_COMPAT}`);

for (const p of [COMPAT, IO]) {
  if (!existsSync(p)) {
    console.error(`build the packages first: pnpm --filter @metalfaiss/faiss-compat... build (missing ${p})`);
    process.exit(1);
  }
}

const CASES = {
  flat: { file: 'fmnist-train-flat.index', key: 'Flat', ntotal: 60000 },
  ivfflat: { file: 'fmnist-train-ivf256-flat.index', key: 'IVF256,Flat', ntotal: 60000 },
  ivfpq: { file: 'fmnist-train-ivf256-pq16.index', key: 'IVF256,PQ16', ntotal: 60000 },
  ivfsq: { file: 'fmnist-train-ivf256-sq8.index', key: 'IVF256,SQ8', ntotal: 60000 },
};

function py(code, ...argv) {
  const r = spawnSync(PY, ['-c', code, ...argv], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout.trim();
}

function ensureFile(c) {
  const path = join(dir, c.file);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  console.log(`writing ${path} (${c.key}) with FAISS ...`);
  py(
    `
import gzip, sys, numpy as np, faiss
raw = gzip.open('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz').read()
x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(60000, 784).astype('float32')
index = faiss.index_factory(784, sys.argv[2])
if not index.is_trained:
    index.train(x[::3])
index.add(x)
faiss.write_index(index, sys.argv[1])
`,
    path,
    c.key,
  );
  return path;
}

const hwm = `Number((await import('node:fs')).readFileSync('/proc/self/status', 'utf8').split(String.fromCharCode(10)).find((l) => l.startsWith('VmHWM')).replace(/[^0-9]/g, ''))`;
// one fresh process: the whole read_index, then (same process, page cache warm) nothing else
const readWith = (compat) => `
const faiss = await import(${JSON.stringify(compat)});
const t = process.hrtime.bigint();
const index = faiss.read_index(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t) / 1e6;
if (index.ntotal !== Number(process.argv[2])) throw new Error('unexpected ntotal ' + index.ntotal);
console.log(JSON.stringify({ ms, maxRssKb: ${hwm} }));
`;
const oursRead = readWith(COMPAT);
const beforeRead = BEFORE_COMPAT ? readWith(BEFORE_COMPAT) : undefined;
// the split: parse (io) then mapping (record -> index), in a separate fresh process
const oursSplit = `
const io = await import(${JSON.stringify(IO)});
const faiss = await import(${JSON.stringify(COMPAT)});
const t0 = process.hrtime.bigint();
const rec = io.readIndex(process.argv[1]);
const t1 = process.hrtime.bigint();
const index = faiss.mappingContext.fromRecord(rec);
const t2 = process.hrtime.bigint();
if (index.ntotal !== Number(process.argv[2])) throw new Error('unexpected ntotal');
console.log(JSON.stringify({ parseMs: Number(t1 - t0) / 1e6, mapMs: Number(t2 - t1) / 1e6 }));
`;
// @metalfaiss/io's async and stream readers (records only): time and peak RSS
const ioRead = `
const io = await import(${JSON.stringify(IO)});
const fs = await import('node:fs');
const mode = process.argv[2];
const t = process.hrtime.bigint();
const rec = mode === 'async' ? await io.readIndexAsync(process.argv[1]) : await io.readIndexFromStream(fs.createReadStream(process.argv[1]));
const ms = Number(process.hrtime.bigint() - t) / 1e6;
if (rec.header.ntotal !== Number(process.argv[3])) throw new Error('unexpected ntotal');
console.log(JSON.stringify({ ms, maxRssKb: ${hwm} }));
`;
const faissRead = `
import re, sys, time, faiss
t = time.perf_counter()
index = faiss.read_index(sys.argv[1])
ms = (time.perf_counter() - t) * 1000
assert index.ntotal == int(sys.argv[2])
hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))
print('{"ms": %f, "maxRssKb": %d}' % (ms, hwm))
`;
const nodeBaseline = `
const faiss = await import(${JSON.stringify(COMPAT)});
console.log(JSON.stringify({ maxRssKb: ${hwm}, ok: typeof faiss.read_index }));
`;
const pyBaseline = `
import re, faiss
print('{"maxRssKb": %d}' % int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)))
`;

function node(code, ...argv) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function warm(path) {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 22);
  while (readSync(fd, buf, 0, buf.length, null) > 0);
  closeSync(fd);
}

const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const min = (a) => Math.min(...a);
const mib = (kb) => kb / 1024;

const nodeBase = node(nodeBaseline).maxRssKb;
const pyBase = JSON.parse(py(pyBaseline)).maxRssKb;
console.log(`${cpus().length} CPUs, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${runs} runs each, fresh process per run, ours and FAISS interleaved`);
console.log(`baseline RSS: node + faiss-compat ${mib(nodeBase).toFixed(0)} MiB, python + faiss ${mib(pyBase).toFixed(0)} MiB`);
console.log('| case | file MiB | ours median (best) ms | FAISS median (best) ms | ratio median (best) | ours parse / map ms | ours peak RSS MiB (above baseline, x file) | FAISS peak RSS MiB (above baseline, x file) |');
console.log('|---|---|---|---|---|---|---|---|');
const extra = [];
for (const name of only) {
  const c = CASES[name];
  if (!c) throw new Error(`unknown case ${name}`);
  const path = ensureFile(c);
  const fileMib = statSync(path).size / 2 ** 20;
  warm(path);
  const ours = [];
  const theirs = [];
  const split = [];
  const old = [];
  for (let i = 0; i < runs; i++) {
    // alternate who goes first, so neither always follows the other's page-cache / allocator state
    if (i % 2 === 0) {
      ours.push(node(oursRead, path, String(c.ntotal)));
      theirs.push(JSON.parse(py(faissRead, path, String(c.ntotal))));
    } else {
      theirs.push(JSON.parse(py(faissRead, path, String(c.ntotal))));
      ours.push(node(oursRead, path, String(c.ntotal)));
    }
    if (beforeRead) old.push(node(beforeRead, path, String(c.ntotal)));
  }
  const asyncRuns = [];
  const streamRuns = [];
  for (let i = 0; i < Math.min(3, runs); i++) {
    split.push(node(oursSplit, path, String(c.ntotal)));
    asyncRuns.push(node(ioRead, path, 'async', String(c.ntotal)));
    streamRuns.push(node(ioRead, path, 'stream', String(c.ntotal)));
  }
  const oMs = ours.map((r) => r.ms);
  const fMs = theirs.map((r) => r.ms);
  const oRss = Math.max(...ours.map((r) => r.maxRssKb));
  const fRss = Math.max(...theirs.map((r) => r.maxRssKb));
  if (beforeRead) {
    const bMs = old.map((r) => r.ms);
    const bRss = Math.max(...old.map((r) => r.maxRssKb));
    console.log(
      `| ${c.key} (before) | ${fileMib.toFixed(1)} | ${med(bMs).toFixed(1)} (${min(bMs).toFixed(1)}) | ${med(fMs).toFixed(1)} (${min(fMs).toFixed(1)}) | ` +
        `${(med(bMs) / med(fMs)).toFixed(2)}x (${(min(bMs) / min(fMs)).toFixed(2)}x) | - | ` +
        `${mib(bRss).toFixed(0)} (+${mib(bRss - nodeBase).toFixed(0)}, ${(mib(bRss - nodeBase) / fileMib).toFixed(2)}x) | |`,
    );
  }
  console.log(
    `| ${c.key} | ${fileMib.toFixed(1)} | ${med(oMs).toFixed(1)} (${min(oMs).toFixed(1)}) | ${med(fMs).toFixed(1)} (${min(fMs).toFixed(1)}) | ` +
      `${(med(oMs) / med(fMs)).toFixed(2)}x (${(min(oMs) / min(fMs)).toFixed(2)}x) | ` +
      `${med(split.map((s) => s.parseMs)).toFixed(1)} / ${med(split.map((s) => s.mapMs)).toFixed(1)} | ` +
      `${mib(oRss).toFixed(0)} (+${mib(oRss - nodeBase).toFixed(0)}, ${(mib(oRss - nodeBase) / fileMib).toFixed(2)}x) | ` +
      `${mib(fRss).toFixed(0)} (+${mib(fRss - pyBase).toFixed(0)}, ${(mib(fRss - pyBase) / fileMib).toFixed(2)}x) |`,
  );
  const line = (runs_) => {
    const kb = Math.max(...runs_.map((r) => r.maxRssKb));
    return `median ${med(runs_.map((r) => r.ms)).toFixed(1)} ms, peak RSS ${mib(kb).toFixed(0)} MiB (+${mib(kb - nodeBase).toFixed(0)}, ${(mib(kb - nodeBase) / fileMib).toFixed(2)}x the file)`;
  };
  extra.push(`${c.key}: io readIndexAsync ${line(asyncRuns)}; io readIndexFromStream ${line(streamRuns)}`);
}
for (const l of extra) console.log(l);
console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
