// Reads every package's vitest JSON report and prints one closing line:
// "N passed, N failed" (", N skipped" when some skipped). Exits non-zero on
// failures, on a missing report, or when no test ran at all.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', 'packages');
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const name of readdirSync(root)) {
  const dir = join(root, name);
  if (!existsSync(join(dir, 'package.json'))) continue;
  const report = join(dir, '.vitest-results.json');
  if (!existsSync(report)) {
    missing.push(name);
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += r.numFailedTests ?? 0;
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (r.numFailedTestSuites) failed += 0; // suites that failed to load show up as failed tests below
  for (const suite of r.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      console.error(`test file failed to run: ${suite.name}: ${suite.message ?? ''}`);
      failed += 1;
    }
  }
}
for (const m of missing) console.error(`no vitest report for package ${m}`);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
if (failed > 0 || missing.length > 0 || passed === 0) process.exit(1);
