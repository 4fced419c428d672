#!/usr/bin/env bash
# Runs @metalfaiss/metal-kernels' test suite against an AddressSanitizer build
# of the native addon: no invalid memory access (heap/stack overflow, use after
# free, double free) and no leak from the addon.
#
#   scripts/asan.sh            build (packages/metal-kernels/build/sanitize/, git-ignored) and run every kernel test
#   scripts/asan.sh --check    exit 0 when the tools are here (g++ with libasan), 3 otherwise; nothing else
#   ASAN_TESTS="test/sq.test.ts" scripts/asan.sh     run only some test files
#   METALFAISS_SANITIZE=asan pnpm --filter @metalfaiss/metal-kernels test
#                              the same from the test suite (test/stress-sanitize.test.ts; .ci/run sets it
#                              when the tools are here), on every test file but the child-process ones
#
# How: the addon is rebuilt with -fsanitize=address into build/sanitize/build
# (the normal build/Release is not touched), a copy of the package (src, test,
# dist, this binary as build/Release) is made under build/sanitize/package, and
# vitest runs there with libasan preloaded into node (node itself is not
# instrumented; every allocation of the process goes through ASan's allocator).
# Each process writes its report to build/sanitize/logs/asan.<pid>. Any
# AddressSanitizer error fails the run. Leaks are reported by LeakSanitizer at
# each process's exit; node and V8 leave allocations behind at exit by design,
# so only leaks with a frame of the addon in their stack (metal_kernels.node, or a
# source under packages/metal-kernels/native/) fail the run
# (the others are counted and listed as node's own).
#
# Needs: g++ (libasan, from libgcc-12-dev / libasan8), cmake, the workspace installed (pnpm install) and built
# (pnpm build: the tests import dist/ too). Takes about 2-5 minutes on 2 cores.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=$ROOT/packages/metal-kernels
OUT=$PKG/build/sanitize
LIBASAN=$(g++ -print-file-name=libasan.so 2>/dev/null || true)

have_tools() {
  [ -n "$LIBASAN" ] && [ -f "$LIBASAN" ] && command -v cmake >/dev/null 2>&1 && [ -x "$PKG/node_modules/.bin/cmake-js" ]
}
if [ "${1:-}" = "--check" ]; then
  have_tools && exit 0 || exit 3
fi
if ! have_tools; then
  echo "asan: skipped: needs g++ with libasan (apt-get install g++), cmake, and an installed workspace (pnpm install)" >&2
  exit 3
fi
[ -f "$PKG/dist/index.js" ] || { echo "asan: build the workspace first (pnpm build): packages/metal-kernels/dist is missing" >&2; exit 2; }

t0=$(date +%s)
echo "asan: building the addon with -fsanitize=address into ${OUT#$ROOT/}/build ..."
rm -rf "$OUT"
mkdir -p "$OUT/logs"
(
  cd "$PKG"
  ./node_modules/.bin/cmake-js rebuild --out "$OUT/build" --CDMK_SANITIZE=address >"$OUT/build.log" 2>&1
) || { tail -30 "$OUT/build.log" >&2; echo "asan: the sanitizer build failed (log: ${OUT#$ROOT/}/build.log)" >&2; exit 2; }
NODE_BIN=$(find "$OUT/build" -name metal_kernels.node | head -1)
[ -n "$NODE_BIN" ] || { echo "asan: no metal_kernels.node under $OUT/build" >&2; exit 2; }
# grep reads all of its input (no -q): with pipefail, -q exiting early makes the writer die of SIGPIPE and the
# pipeline fail although the match was found
ldd "$NODE_BIN" | grep libasan >/dev/null || { echo "asan: $NODE_BIN is not linked with libasan" >&2; exit 2; }
# instrumented code calls the runtime's __asan_report_* checks; a binary without them only links libasan
nm -D --undefined-only "$NODE_BIN" | grep __asan_report_load >/dev/null || { echo "asan: $NODE_BIN links libasan but its code is not instrumented (no __asan_report_load* references)" >&2; exit 2; }

MIRROR=$OUT/package
mkdir -p "$MIRROR/build/Release"
for f in src test dist native package.json tsconfig.json vitest.config.ts CMakeLists.txt; do
  [ -e "$PKG/$f" ] && cp -r "$PKG/$f" "$MIRROR/"
done
cp "$NODE_BIN" "$MIRROR/build/Release/metal_kernels.node"
# the copy sits deeper in the tree: point its tsconfig at the workspace's base config
node -e 'const fs=require("fs");const [src,dst,base]=process.argv.slice(1);const c=JSON.parse(fs.readFileSync(src,"utf8"));c.extends=base;fs.writeFileSync(dst,JSON.stringify(c,null,2))' \
  "$PKG/tsconfig.json" "$MIRROR/tsconfig.json" "$ROOT/tsconfig.base.json"
echo "asan: built in $(( $(date +%s) - t0 )) s; running the tests with libasan preloaded ..."

set +e
(
  cd "$MIRROR"
  # exitcode=0: a leak report at a worker's exit must not look like a crash to vitest (this script judges
  # the logs); an invalid access still aborts that process (halt_on_error) and its test fails.
  LD_PRELOAD="$LIBASAN" \
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=0:log_path=$OUT/logs/asan:detect_odr_violation=0:allow_user_segv_handler=1:fast_unwind_on_malloc=0:malloc_context_size=30" \
  LSAN_OPTIONS="report_objects=0:max_leaks=200" \
  METALFAISS_BACKEND=native METALFAISS_SANITIZE= \
  "$ROOT/node_modules/.bin/vitest" run ${ASAN_TESTS:-} --reporter=default --reporter=json --outputFile.json="$OUT/vitest.json" >"$OUT/vitest.log" 2>&1
)
vitest_rc=$?
set -e

node - "$OUT" "$vitest_rc" "$(( $(date +%s) - t0 ))" <<'EOF'
const fs = require('fs');
const path = require('path');
const [out, rc, seconds] = process.argv.slice(2);
const logs = fs.readdirSync(path.join(out, 'logs')).map((f) => path.join(out, 'logs', f));
let errors = [];
let ourLeaks = [];
let nodeLeaks = 0;
for (const file of logs) {
  const text = fs.readFileSync(file, 'utf8');
  for (const m of text.matchAll(/ERROR: AddressSanitizer: [^\n]*\n(?:[^\n]*\n){0,40}/g)) errors.push(`${path.basename(file)}: ${m[0].trim()}`);
  // LeakSanitizer: one block per leak: "Direct leak of N byte(s) in M object(s) allocated from:" + frames
  for (const m of text.matchAll(/(Direct|Indirect) leak of [^\n]*\n((?:\s+#\d+[^\n]*\n)+)/g)) {
    // a frame of ours: the module (unsymbolized frames) or one of its sources (symbolized frames)
    if (/metal_kernels\.node|packages\/metal-kernels\/native\//.test(m[2])) ourLeaks.push(`${path.basename(file)}: ${m[0].trim()}`);
    else nodeLeaks++;
  }
}
let tests = null;
try {
  const r = JSON.parse(fs.readFileSync(path.join(out, 'vitest.json'), 'utf8'));
  tests = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests };
} catch {}
const summary = {
  seconds: Number(seconds), processes: logs.length, vitestExit: Number(rc), tests,
  addressSanitizerErrors: errors.length, leaksFromTheAddon: ourLeaks.length, leaksFromNodeItself: nodeLeaks,
};
fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
for (const e of errors.slice(0, 5)) console.error(e + '\n');
for (const l of ourLeaks.slice(0, 5)) console.error(l + '\n');
const ok = errors.length === 0 && ourLeaks.length === 0 && Number(rc) === 0 && tests && tests.failed === 0;
console.log(`asan: ${ok ? 'clean' : 'FAILED'}: ${tests ? `${tests.passed} tests passed, ${tests.failed} failed, ${tests.skipped} skipped` : 'no vitest report'}; ` +
  `${errors.length} AddressSanitizer errors, ${ourLeaks.length} leaks from metal_kernels.node ` +
  `(${nodeLeaks} leak reports from node/V8 at exit, not ours); ${logs.length} process logs; ${seconds} s. ` +
  `Details: packages/metal-kernels/build/sanitize/{vitest.log,logs/,summary.json}`);
process.exit(ok ? 0 : 1);
EOF
