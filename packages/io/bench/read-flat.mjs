#!/usr/bin/env node
/**
 * Benchmark: reading (and writing) a 60000 x 784 IndexFlatL2 file (Fashion-MNIST
 * train set, 188 MB) with @metalfaiss/io versus Python FAISS's read_index /
 * write_index on the same file.
 *
 *   node packages/io/bench/read-flat.mjs [--runs 7] [--file /path/to/flat.index]
 *
 * Needs the built package (pnpm --filter @metalfaiss/io build), FAISS for
 * /usr/bin/python3 (it writes the file and is the baseline), and
 * /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz. Every timed
 * read runs in a fresh process, alternating ours and FAISS's, from the page
 * cache; the report gives median and best wall time of the read call alone
 * and the peak RSS of the reading process (VmHWM from /proc/self/status: the
 * process's own high-water mark; getrusage's maxrss would include the
 * parent's RSS inherited at fork). Writes go to a fresh path per run for
 * both. Not a test: timings are noisy on a shared 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PY = '/usr/bin/python3';
const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', 'dist', 'index.js');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('runs', 7));
const file = opt('file', join(tmpdir(), 'metalfaiss-io-bench', 'fmnist-train-flat.index'));

if (!existsSync(DIST)) {
  console.error(`build the package first: pnpm --filter @metalfaiss/io build (missing ${DIST})`);
  process.exit(1);
}

function py(code, ...argv) {
  const r = spawnSync(PY, ['-c', code, ...argv], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout.trim();
}

if (!existsSync(file)) {
  mkdirSync(dirname(file), { recursive: true });
  console.log(`writing ${file} with FAISS ...`);
  py(
    `
import gzip, sys, numpy as np, faiss
raw = gzip.open('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz').read()
x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(60000, 784).astype('float32')
index = faiss.IndexFlatL2(784)
index.add(x)
faiss.write_index(index, sys.argv[1])
`,
    file,
  );
}
const size = statSync(file).size;

const oursRead = `
const io = await import(${JSON.stringify(DIST)});
const t = process.hrtime.bigint();
const rec = io.readIndex(process.argv[1]);
const ms = Number(process.hrtime.bigint() - t) / 1e6;
if (rec.fourcc !== 'IxF2' || rec.xb.length !== 60000 * 784) throw new Error('unexpected record');
const hwm = Number((await import('node:fs')).readFileSync('/proc/self/status', 'utf8').split(String.fromCharCode(10)).find((l) => l.startsWith('VmHWM')).replace(/[^0-9]/g, ''));
console.log(JSON.stringify({ ms, maxRssKb: hwm, sum: rec.xb[12345] }));
`;
const faissRead = `
import re, sys, time, faiss
t = time.perf_counter()
index = faiss.read_index(sys.argv[1])
ms = (time.perf_counter() - t) * 1000
assert index.ntotal == 60000 and index.d == 784
hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))
print('{"ms": %f, "maxRssKb": %d}' % (ms, hwm))
`;
const oursWrite = `
const io = await import(${JSON.stringify(DIST)});
const rec = io.readIndex(process.argv[1]);
const t = process.hrtime.bigint();
io.writeIndexToFile(rec, process.argv[2], { fsync: false });
const ms = Number(process.hrtime.bigint() - t) / 1e6;
const hwm = Number((await import('node:fs')).readFileSync('/proc/self/status', 'utf8').split(String.fromCharCode(10)).find((l) => l.startsWith('VmHWM')).replace(/[^0-9]/g, ''));
console.log(JSON.stringify({ ms, maxRssKb: hwm }));
`;
const faissWrite = `
import sys, time, faiss
index = faiss.read_index(sys.argv[1])
t = time.perf_counter()
faiss.write_index(index, sys.argv[2])
print('{"ms": %f}' % ((time.perf_counter() - t) * 1000))
`;
const nodeBaseline = `
const io = await import(${JSON.stringify(DIST)});
const hwm = Number((await import('node:fs')).readFileSync('/proc/self/status', 'utf8').split(String.fromCharCode(10)).find((l) => l.startsWith('VmHWM')).replace(/[^0-9]/g, ''));
console.log(JSON.stringify({ maxRssKb: hwm, ok: typeof io.readIndex }));
`;

function node(code, ...argv) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function sha(path) {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 22);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  closeSync(fd);
  return h.digest('hex');
}

// warm the page cache (without holding the file in this process)
const original = sha(file);
const ours = [];
const theirs = [];
for (let i = 0; i < runs; i++) {
  ours.push(node(oursRead, file));
  theirs.push(JSON.parse(py(faissRead, file)));
}
const oursW = [];
const theirsW = [];
let identical = true;
for (let i = 0; i < Math.min(runs, 5); i++) {
  const out1 = join(dirname(file), `ours-write-${i}.index`);
  const out2 = join(dirname(file), `faiss-write-${i}.index`);
  oursW.push(node(oursWrite, file, out1));
  theirsW.push(JSON.parse(py(faissWrite, file, out2)));
  identical = identical && sha(out1) === original && sha(out2) === original;
  unlinkSync(out1);
  unlinkSync(out2);
}
const base = node(nodeBaseline).maxRssKb;

const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const min = (a) => Math.min(...a);
const mb = (kb) => (kb / 1024).toFixed(0);
const fileMb = size / 2 ** 20;
const oMs = ours.map((r) => r.ms);
const fMs = theirs.map((r) => r.ms);
const oRss = Math.max(...ours.map((r) => r.maxRssKb));
const fRss = Math.max(...theirs.map((r) => r.maxRssKb));

console.log(`file: ${file} (${size} bytes, ${fileMb.toFixed(1)} MiB), ${runs} runs each, fresh process per run`);
console.log(`read  @metalfaiss/io readIndex(path): median ${med(oMs).toFixed(1)} ms, best ${min(oMs).toFixed(1)} ms`);
console.log(`read  FAISS 1.7.3 read_index:         median ${med(fMs).toFixed(1)} ms, best ${min(fMs).toFixed(1)} ms`);
console.log(`read  ratio ours / FAISS: median ${(med(oMs) / med(fMs)).toFixed(2)}x, best ${(min(oMs) / min(fMs)).toFixed(2)}x (target <= 1.5x)`);
console.log(
  `peak RSS while reading: ours ${mb(oRss)} MiB (node baseline ${mb(base)} MiB, so +${mb(oRss - base)} MiB) = ${(oRss / 1024 / fileMb).toFixed(2)}x the file ` +
    `(target < 2x); FAISS process ${mb(fRss)} MiB`,
);
console.log(
  `write writeIndexToFile (no fsync): median ${med(oursW.map((r) => r.ms)).toFixed(1)} ms, peak RSS ${mb(Math.max(...oursW.map((r) => r.maxRssKb)))} MiB; ` +
    `FAISS write_index: median ${med(theirsW.map((r) => r.ms)).toFixed(1)} ms; files byte-identical: ${identical}`,
);
