// Prints the plain closing line "N passed, N failed[, N skipped]" from vitest's JSON report.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? 'test-results/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (error) {
  console.error(`no test report at ${file}: ${error.message}`);
  process.exit(1);
}
const { numPassedTests: passed, numFailedTests: failedTests, numPendingTests: skipped, numTodoTests: todo } = report;
// A test file that fails before any of its tests run (an import or a describe that throws) has
// no failed test to count: count it as one failure, so the closing line never reads clean.
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'));
for (const r of brokenFiles) console.error(`test file failed to run: ${r.name}: ${(r.message ?? '').split('\n')[0]}`);
const failed = failedTests + brokenFiles.length;
const notRun = skipped + todo;
console.log(`${passed} passed, ${failed} failed${notRun > 0 ? `, ${notRun} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
