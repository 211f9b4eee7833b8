// Prints test counts per suite file from Jest's --json reports, fails when a suite ran zero
// tests or a report is missing, and ends with the plain line 'N passed, N failed'.
const { readFileSync } = require('node:fs');
const { relative } = require('node:path');

let passed = 0;
let failed = 0;
let problems = 0;
for (const file of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`missing or unreadable Jest report ${file}: ${error.message}`);
    problems++;
    continue;
  }
  console.log(`\n${file}:`);
  if (report.numTotalTests === 0) {
    console.error('  this run executed zero tests');
    problems++;
  }
  for (const suite of report.testResults) {
    const counts = { passed: 0, failed: 0, other: 0 };
    for (const test of suite.assertionResults) {
      if (test.status === 'passed') counts.passed++;
      else if (test.status === 'failed') counts.failed++;
      else counts.other++;
    }
    const total = counts.passed + counts.failed + counts.other;
    const name = relative(process.cwd(), suite.name);
    console.log(`  ${name}: ${counts.passed} passed, ${counts.failed} failed${counts.other ? `, ${counts.other} not run` : ''}`);
    if (total === 0) {
      console.error(`  ${name} ran zero tests`);
      problems++;
    }
    passed += counts.passed;
    failed += counts.failed + counts.other;
  }
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || problems > 0 ? 1 : 0);
