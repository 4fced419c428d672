#!/usr/bin/env bash
# Runs the native kernels of @metalfaiss/metal-kernels under valgrind's
# memcheck: every core kernel (norms, pairwise distances, k-NN through both
# the GEMM and the streaming paths, range search, top-k), sync and async, on
# several threads, plus validation failures and the end of the process.
# Fails on an invalid read/write, a use of uninitialised memory, a bad free or
# a definite leak whose stack has a frame of the addon. (The full test suite
# under a sanitizer is scripts/asan.sh; valgrind is for machines without
# libasan, and for uninitialised reads, which ASan does not see.)
#
#   scripts/valgrind.sh            run (about 1-3 minutes: node runs --jitless, 20-50x slower under valgrind)
#   scripts/valgrind.sh --check    exit 0 when valgrind is installed and the addon is built, 3 otherwise
#
# Uses the normal build (build/Release, -O3 without debug info): frames of the
# addon show as metal_kernels.node. node's and V8's own reports are counted
# and listed as not ours.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=$ROOT/packages/metal-kernels
OUT=$PKG/build/valgrind

have_tools() { command -v valgrind >/dev/null 2>&1 && [ -f "$PKG/build/Release/metal_kernels.node" ] && [ -f "$PKG/dist/index.js" ]; }
if [ "${1:-}" = "--check" ]; then
  have_tools && exit 0 || exit 3
fi
if ! have_tools; then
  echo "valgrind: skipped: needs valgrind (apt-get install valgrind) and a built workspace (pnpm build)" >&2
  exit 3
fi
rm -rf "$OUT"
mkdir -p "$OUT"
cat >"$OUT/driver.mjs" <<'EOF'
// Exercises each core native kernel on small inputs (shapes chosen to hit edge paths: remainders of the
// SIMD width, k > nb, empty results, one query and many, several threads).
const mk = await import(process.env.MK_DIST);
if (mk.backendInfo().backend !== 'native') throw new Error('the native addon did not load: ' + JSON.stringify(mk.backendInfo()));
let s = 7;
const rand = (n) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5);
let checks = 0;
for (const threads of [1, 3]) {
  mk.setNumThreads(threads);
  for (const [nq, nb, d, k] of [[1, 37, 13, 5], [9, 300, 33, 10], [3, 4, 8, 9], [20, 1000, 64, 1]]) {
    const xq = rand(nq * d), xb = rand(nb * d);
    for (const metric of [0, 1]) {
      const norms = new Float32Array(nb); mk.normsL2Sqr(xb, nb, d, norms);
      const out = new Float32Array(nq * nb);
      mk.pairwiseDistances({ xq, xb, nq, nb, d, metric, out });
      await mk.pairwiseDistancesAsync({ xq, xb, nq, nb, d, metric, out });
      const a = { xq, xb, nq, nb, d, k, metric, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k) };
      mk.knn(a);
      await mk.knnAsync({ ...a, distances: new Float32Array(nq * k), labels: new BigInt64Array(nq * k), xbNorms: metric === 1 ? norms : undefined });
      const r = mk.rangeSearch({ xq, xb, nq, nb, d, radius: metric === 1 ? d / 6 : 0.5, metric });
      await mk.rangeSearchAsync({ xq, xb, nq, nb, d, radius: metric === 1 ? 0 : 1e9, metric });
      const m = nb, kk = Math.min(k, m);
      const tv = new Float32Array(nq * kk), ti = new BigInt64Array(nq * kk);
      mk.topk({ values: out, n: nq, m, k: kk, largest: metric === 0, outValues: tv, outIndices: ti });
      checks += 6 + (r.lims.length === nq + 1 ? 1 : 0);
    }
  }
}
// many async calls at once, then a validation failure (nothing may be left pinned or leaked)
const d = 16, nb = 500, xb = rand(nb * d);
await Promise.all(Array.from({ length: 8 }, () => {
  const xq = rand(5 * d);
  return mk.knnAsync({ xq, xb, nq: 5, nb, d, k: 4, metric: 1, distances: new Float32Array(20), labels: new BigInt64Array(20) });
}));
try { mk.knn({ xq: rand(d), xb, nq: 1, nb, d, k: 0, metric: 1, distances: new Float32Array(1), labels: new BigInt64Array(1) }); } catch { checks++; }
console.log(JSON.stringify({ ok: true, checks }));
EOF

echo "valgrind: running the kernel driver under memcheck (node --jitless) ..."
t0=$(date +%s)
set +e
MK_DIST="$PKG/dist/index.js" METALFAISS_BACKEND=native valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
  --errors-for-leak-kinds=definite --num-callers=40 --log-file="$OUT/memcheck.log" \
  node --jitless "$OUT/driver.mjs" >"$OUT/driver.out" 2>&1
rc=$?
set -e
node - "$OUT" "$rc" "$(( $(date +%s) - t0 ))" <<'EOF'
const fs = require('fs');
const path = require('path');
const [out, rc, seconds] = process.argv.slice(2);
const log = fs.readFileSync(path.join(out, 'memcheck.log'), 'utf8');
const driver = fs.readFileSync(path.join(out, 'driver.out'), 'utf8');
// memcheck blocks: a headline ("Invalid read of size 4", "... definitely lost ...") and "at/by" frames
const blocks = log.split(/\n==\d+== \n/).filter((b) => /==\d+== (Invalid|Conditional jump|Use of uninitialised|Mismatched|Syscall param|Source and destination overlap|Invalid free|\d[\d,]* bytes in [\d,]+ blocks are definitely lost)/.test(b));
const ours = blocks.filter((b) => /metal_kernels\.node/.test(b));
const lost = /definitely lost: ([\d,]+) bytes/.exec(log)?.[1] ?? '?';
let result = null;
try { result = JSON.parse(driver.trim().split('\n').pop()); } catch {}
const ok = ours.length === 0 && result?.ok === true;
for (const b of ours.slice(0, 5)) console.error(b.trim() + '\n');
if (!result) console.error(driver.slice(-1500));
const summary = { seconds: Number(seconds), exit: Number(rc), driver: result, reportsFromTheAddon: ours.length, reportsFromNodeOrV8: blocks.length - ours.length, definitelyLostTotalBytes: lost };
fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(`valgrind: ${ok ? 'clean' : 'FAILED'}: ${result ? `${result.checks} kernel calls checked` : 'the driver did not finish'}; ` +
  `${ours.length} memcheck reports with a metal_kernels.node frame, ${blocks.length - ours.length} from node/V8 (not ours; definitely lost in total: ${lost} bytes); ${seconds} s. ` +
  `Details: packages/metal-kernels/build/valgrind/{memcheck.log,summary.json}`);
process.exit(ok ? 0 : 1);
EOF
