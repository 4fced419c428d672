#!/usr/bin/env node
// Micro-benchmark of the metal-kernels k-NN kernels on Fashion-MNIST
// (60000 x 784 base, first 1000 test images as queries, k = 10, L2), with
// FAISS (python3-faiss) measured in the same session for comparison.
//
//   node scripts/bench.mjs [--reps 5] [--threads 2] [--faiss] [--only batch,single,small,pairwise]
//
// Run it on a quiet machine: it reports the best of --reps repetitions
// (wall time) and the CPU time of that repetition. Needs `pnpm build` first.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const mk = await import(path.join(here, '..', 'dist', 'index.js'));

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const reps = Number(opt('reps', 5));
const threads = Number(opt('threads', mk.getNumThreads()));
const only = new Set(opt('only', 'batch,single,small,pairwise').split(','));
const withFaiss = argv.includes('--faiss');
const dataDir = opt('data', '/usr/share/datasets/fashion-mnist');

function loadIdx(file, limit = Infinity) {
  const b = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, file)));
  const n = Math.min(b.readUInt32BE(4), limit);
  const dim = b.readUInt32BE(8) * b.readUInt32BE(12);
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n * dim; i++) x[i] = b[16 + i];
  return { x, n, d: dim };
}

const base = loadIdx('train-images-idx3-ubyte.gz');
const queries = loadIdx('t10k-images-idx3-ubyte.gz', 1000);
const { d } = base;
const nb = base.n;
const k = 10;
mk.setNumThreads(threads);
const info = mk.backendInfo();

function time(fn) {
  let best = { wall: Infinity, cpu: Infinity };
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    if (wall < best.wall) best = { wall, cpu: (c.user + c.system) / 1e6 };
  }
  return best;
}

const rows = [];
const gflop = (nq) => (2 * nq * nb * d) / 1e9;
function report(name, nq, t, calls = 1) {
  rows.push({
    case: name,
    nq,
    seconds: +t.wall.toFixed(4),
    perCallMs: +((t.wall / calls) * 1e3).toFixed(3),
    qps: Math.round((nq * calls) / t.wall),
    gflops: +((gflop(nq) * calls) / t.wall).toFixed(1),
    cpuSeconds: +t.cpu.toFixed(3),
  });
}

function knnOnce(nq, offset = 0) {
  const args = {
    xq: queries.x.subarray(offset * d, (offset + nq) * d),
    xb: base.x,
    nq,
    nb,
    d,
    k,
    metric: 1,
    distances: new Float32Array(nq * k),
    labels: new BigInt64Array(nq * k),
  };
  mk.knn(args);
  return args;
}

if (only.has('batch')) report('knn batch', 1000, time(() => knnOnce(1000)));
if (only.has('single')) {
  const n = Number(opt('single-queries', 1000));
  report(`knn nq=1 x ${n} calls`, 1, time(() => { for (let i = 0; i < n; i++) knnOnce(1, i % 1000); }), n);
}
if (only.has('small')) {
  for (const nq of [2, 4, 8, 12, 16, 20, 32, 64]) {
    const calls = Math.max(1, Math.floor(64 / nq));
    report(`knn nq=${nq} x ${calls} calls`, nq, time(() => { for (let i = 0; i < calls; i++) knnOnce(nq, i * nq); }), calls);
  }
}
if (only.has('pairwise')) {
  const nq = 100;
  const out = new Float32Array(nq * nb);
  report('pairwise L2 (100 x 60000)', nq, time(() =>
    mk.pairwiseDistances({ xq: queries.x.subarray(0, nq * d), xb: base.x, nq, nb, d, metric: 1, out })));
}

let faiss = null;
if (withFaiss) {
  const tmp = fs.mkdtempSync('/tmp/mk-bench-');
  fs.writeFileSync(path.join(tmp, 'xb.f32'), base.x);
  fs.writeFileSync(path.join(tmp, 'xq.f32'), queries.x);
  const py = `
import numpy as np, faiss, time, json
xb = np.fromfile('${tmp}/xb.f32', dtype=np.float32).reshape(-1, ${d})
xq = np.fromfile('${tmp}/xq.f32', dtype=np.float32).reshape(-1, ${d})
index = faiss.IndexFlatL2(${d}); index.add(xb)
out = {}
for nt in (1, 2):
    faiss.omp_set_num_threads(nt)
    best = 1e9
    for r in range(${reps}):
        t = time.perf_counter(); D, I = index.search(xq, ${k}); best = min(best, time.perf_counter() - t)
    out['batch_nt%d' % nt] = best
    best = 1e9
    for r in range(2):
        t = time.perf_counter()
        for i in range(200): index.search(xq[i:i+1], ${k})
        best = min(best, (time.perf_counter() - t) / 200)
    out['single_nt%d' % nt] = best
I.astype(np.int64).tofile('${tmp}/I.i64')
print(json.dumps(out))
`;
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const run = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', env });
  if (run.status === 0) {
    faiss = JSON.parse(run.stdout.trim().split('\n').pop());
    const fi = new BigInt64Array(fs.readFileSync(path.join(tmp, 'I.i64')).buffer.slice(0));
    const ours = knnOnce(1000).labels;
    let same = 0;
    for (let i = 0; i < fi.length; i++) if (fi[i] === ours[i]) same++;
    faiss.labelAgreement = same / fi.length;
  } else {
    faiss = { error: run.stderr.slice(0, 500) };
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`metal-kernels ${info.version}: backend ${info.backend}, simd ${info.simd}, threads ${info.threads}; ` +
  `Fashion-MNIST ${nb} x ${d}, k=${k}, best of ${reps}`);
console.table(rows);
if (faiss) {
  console.log('FAISS (same session):', faiss);
  if (faiss.batch_nt1) {
    const fb = Math.min(faiss.batch_nt1, faiss.batch_nt2);
    const fs1 = Math.min(faiss.single_nt1, faiss.single_nt2);
    const ours = rows.find((r) => r.case === 'knn batch');
    const single = rows.find((r) => r.case.startsWith('knn nq=1 '));
    if (ours) console.log(`batch: FAISS best ${fb.toFixed(4)} s, ours ${ours.seconds} s -> ${(fb / ours.seconds).toFixed(2)}x`);
    if (single) console.log(`single: FAISS best ${(fs1 * 1e3).toFixed(2)} ms, ours ${single.perCallMs} ms -> ${(fs1 * 1e3 / single.perCallMs).toFixed(2)}x`);
  }
}
