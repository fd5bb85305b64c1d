// Adds up the vitest, Python unittest and Playwright JSON reports into the one closing line CI reads.
import { existsSync, readFileSync } from 'node:fs';

const read = (p) => (existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null);
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];

const vitest = read('reports/vitest.json');
if (vitest) {
  passed += vitest.numPassedTests;
  failed += vitest.numFailedTests;
  skipped += vitest.numPendingTests + (vitest.numTodoTests ?? 0);
} else missing.push('vitest');

const py = read('reports/python.json');
if (py) {
  passed += py.passed;
  failed += py.failed;
  skipped += py.skipped;
} else missing.push('python');

const pw = read('reports/playwright.json');
if (pw) {
  passed += pw.stats.expected + (pw.stats.flaky ?? 0);
  failed += pw.stats.unexpected;
  skipped += pw.stats.skipped;
} else missing.push('playwright');

// A runner that never wrote its report crashed: count it as a failure rather than hide it.
if (missing.length) console.log(`missing reports: ${missing.join(', ')}`);
failed += missing.length;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
