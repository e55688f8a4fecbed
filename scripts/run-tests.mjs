#!/usr/bin/env node
// The README's test command (`npm test`): every vitest project, then Playwright (if configured),
// then ONE final summary line `N passed, N failed, N skipped`. On a fresh clone it first builds out/
// when it is missing or older than its sources, and finds a Chromium (WT_CHROMIUM, the system's,
// or Playwright's own, downloaded where that is possible); without one the end-to-end tests are
// reported as skipped, with the one line that says how to get a browser.
//
//   node scripts/run-tests.mjs                      # everything
//   node scripts/run-tests.mjs --only unit          # one vitest project
//   node scripts/run-tests.mjs --only unit,e2e      # several (or repeat --only)
//
// Exit code: 1 if any test failed or a runner exited non-zero, else 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildState, findChromium, NO_CHROMIUM } from './test-setup.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// integration-pg: the tracker suites again on PostgreSQL (vitest.config.ts), where its binaries exist.
const VITEST_PROJECTS = ['unit', 'component', 'integration', 'integration-pg'];

/** Why the PostgreSQL suites cannot run here, or null (the same test as tests/helpers/pg-cluster.ts). */
function postgresMissing() {
  const root = '/usr/lib/postgresql';
  const found = existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'initdb')));
  return found ? null : `no PostgreSQL server binaries under ${root}/*/bin (apt-get install postgresql)`;
}
const ALL_SUITES = [...VITEST_PROJECTS, 'e2e'];

function parseArgs(argv) {
  const only = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let value;
    if (arg === '--only') value = argv[++i];
    else if (arg.startsWith('--only=')) value = arg.slice('--only='.length);
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: node scripts/run-tests.mjs [--only unit|component|integration|e2e[,...]]');
      process.exit(0);
    } else {
      console.error(`run-tests: unknown argument ${JSON.stringify(arg)}`);
      process.exit(2);
    }
    if (!value) {
      console.error('run-tests: --only needs a value');
      process.exit(2);
    }
    for (const name of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!ALL_SUITES.includes(name)) {
        console.error(`run-tests: unknown suite ${JSON.stringify(name)} (expected ${ALL_SUITES.join(', ')})`);
        process.exit(2);
      }
      only.push(name);
    }
  }
  return only.length > 0 ? [...new Set(only)] : ALL_SUITES;
}

/** Runs a command with inherited stdio; resolves to its exit code (signals and spawn errors count as failure). */
function run(command, args, env = {}) {
  return new Promise((resolvePromise) => {
    console.log(`\n$ ${[command, ...args].join(' ')}\n`);
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (err) => {
      console.error(`run-tests: could not start ${command}: ${err.message}`);
      resolvePromise(127);
    });
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Vitest project of a test file, from its directory under tests/ (tests/unit/... -> unit). */
function projectOf(file) {
  const parts = relative(ROOT, file).split(sep);
  return parts[0] === 'tests' && parts.length > 2 ? parts[1] : 'other';
}

function vitestCounts(report) {
  const total = {
    passed: num(report.numPassedTests),
    failed: num(report.numFailedTests),
    skipped: num(report.numPendingTests) + num(report.numTodoTests),
  };
  const perProject = new Map();
  const notes = [];
  for (const file of Array.isArray(report.testResults) ? report.testResults : []) {
    const name = projectOf(String(file.name ?? ''));
    const c = perProject.get(name) ?? { passed: 0, failed: 0, skipped: 0 };
    const assertions = Array.isArray(file.assertionResults) ? file.assertionResults : [];
    for (const a of assertions) {
      if (a.status === 'passed') c.passed++;
      else if (a.status === 'failed') c.failed++;
      else c.skipped++;
    }
    // A file that failed outside any test (import error, failing hook) has no failing assertion: count it once.
    if (file.status === 'failed' && !assertions.some((a) => a.status === 'failed')) {
      c.failed++;
      total.failed++;
      notes.push(`${relative(ROOT, String(file.name))} failed outside a test`);
    }
    perProject.set(name, c);
  }
  return { total, perProject, notes };
}

function playwrightCounts(report) {
  const s = report.stats ?? {};
  return {
    passed: num(s.expected) + num(s.flaky),
    failed: num(s.unexpected),
    skipped: num(s.skipped),
    flaky: num(s.flaky),
  };
}

/** Every skipped Playwright test with the reason it gave (test.skip(condition, reason)). */
function playwrightSkips(report) {
  const out = [];
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status !== 'skipped' && !(t.results ?? []).every((r) => r.status === 'skipped')) continue;
        const reason = (t.annotations ?? []).find((a) => a.type === 'skip')?.description ?? 'no reason given';
        out.push(`skipped: ${[...path, spec.title].join(' › ')} (${reason})`);
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
  };
  for (const suite of report.suites ?? []) walk(suite, [suite.title]);
  return out;
}

const fmt = (c) => `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

/**
 * better-sqlite3 is a native module: `npm start` rebuilds it for Electron's ABI, the tests need
 * Node's. Rebuild for Node when it does not load here.
 */
async function ensureNativeModulesForNode() {
  const probe = spawn(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const code = await new Promise((r) => probe.on('exit', r));
  if (code === 0) return;
  console.log('run-tests: better-sqlite3 is built for another runtime (Electron?): rebuilding it for Node');
  await run('npm', ['rebuild', 'better-sqlite3']);
}

/** Builds out/ (what the served app and the end-to-end tests load) when it is missing or stale. */
async function ensureBuilt() {
  const { state, reason } = buildState(ROOT);
  if (state === 'fresh') return 0;
  console.log(`run-tests: ${reason}: building the app (electron-vite build)`);
  return run('npx', ['electron-vite', 'build']);
}

/** Where Playwright keeps (or would keep) its own Chromium. */
async function playwrightChromiumPath() {
  try {
    const { chromium } = await import('@playwright/test');
    return chromium.executablePath();
  } catch {
    return null;
  }
}

/** A Chromium for Playwright: found, else downloaded by Playwright where it can be, else null. */
async function ensureChromium() {
  const found = findChromium({ playwrightPath: await playwrightChromiumPath() });
  if (found || process.env.WT_CHROMIUM) return found;
  console.log('run-tests: no Chromium found: trying `npx playwright install chromium`');
  const code = await run('npx', ['playwright', 'install', 'chromium']);
  return code === 0 ? findChromium({ playwrightPath: await playwrightChromiumPath() }) : null;
}

/** How many tests the end-to-end suite holds (to report them as skipped when they cannot run). */
function countE2eTests() {
  const r = spawnSync('npx', ['playwright', 'test', '--list'], { cwd: ROOT, encoding: 'utf8' });
  const m = /Total: (\d+) tests?/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : 1;
}

async function main() {
  const suites = parseArgs(process.argv.slice(2));
  await ensureNativeModulesForNode();
  const pgMissing = postgresMissing();
  const projects = VITEST_PROJECTS.filter(
    (p) => suites.includes(p) && !(p === 'integration-pg' && pgMissing),
  );
  const wantE2e = suites.includes('e2e');
  const tmp = mkdtempSync(join(tmpdir(), 'wallet-tracker-tests-'));
  const results = []; // { suite, counts, lines[] }
  let runnerFailed = false;

  if (wantE2e || projects.includes('integration')) {
    const code = await ensureBuilt();
    if (code !== 0) {
      runnerFailed = true;
      results.push({
        suite: 'build',
        counts: { passed: 0, failed: 1, skipped: 0 },
        lines: [`electron-vite build exited with code ${code}; counted as 1 failed`],
      });
    }
  }

  try {
    if (projects.length > 0) {
      const out = join(tmp, 'vitest.json');
      const projectArgs =
        projects.length < VITEST_PROJECTS.length ? projects.flatMap((p) => ['--project', p]) : [];
      const code = await run('npx', [
        'vitest',
        'run',
        ...projectArgs,
        '--passWithNoTests',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${out}`,
      ]);
      const report = existsSync(out) ? readJson(out) : undefined;
      if (!report) {
        runnerFailed = true;
        results.push({
          suite: 'vitest',
          counts: { passed: 0, failed: 1, skipped: 0 },
          lines: [`vitest exited with code ${code} without writing a JSON report; counted as 1 failed`],
        });
      } else {
        const { total, perProject, notes } = vitestCounts(report);
        const lines = [...perProject]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([p, c]) => `${p}: ${fmt(c)}`);
        lines.push(...notes);
        if (code !== 0) {
          runnerFailed = true;
          if (total.failed === 0) {
            total.failed = 1;
            lines.push(
              `vitest exited with code ${code} with no failing test (unhandled error?); counted as 1 failed`,
            );
          }
        }
        if (pgMissing && suites.includes('integration-pg'))
          lines.push(`integration-pg not run: ${pgMissing}`);
        results.push({ suite: 'vitest', counts: total, lines });
      }
    }

    const chromium = wantE2e ? await ensureChromium() : null;
    if (wantE2e && !chromium && existsSync(join(ROOT, 'playwright.config.ts'))) {
      console.log(`run-tests: ${NO_CHROMIUM}`);
      results.push({
        suite: 'playwright',
        counts: { passed: 0, failed: 0, skipped: countE2eTests() },
        lines: [`skipped: every end-to-end test (${NO_CHROMIUM})`],
      });
    } else if (wantE2e) {
      if (!existsSync(join(ROOT, 'playwright.config.ts'))) {
        results.push({
          suite: 'playwright',
          counts: { passed: 0, failed: 0, skipped: 0 },
          lines: ['no playwright.config.ts; e2e not run'],
        });
      } else {
        const out = join(tmp, 'pw.json');
        const code = await run(
          'npx',
          ['playwright', 'test', '--pass-with-no-tests', '--reporter=list,json'],
          {
            PLAYWRIGHT_JSON_OUTPUT_NAME: out,
            WT_CHROMIUM: chromium.path,
          },
        );
        const report = existsSync(out) ? readJson(out) : undefined;
        if (!report) {
          runnerFailed = true;
          results.push({
            suite: 'playwright',
            counts: { passed: 0, failed: 1, skipped: 0 },
            lines: [`playwright exited with code ${code} without writing a JSON report; counted as 1 failed`],
          });
        } else {
          const { flaky, ...counts } = playwrightCounts(report);
          const lines = flaky > 0 ? [`${flaky} flaky (passed on retry, counted as passed)`] : [];
          lines.push(...playwrightSkips(report));
          for (const err of Array.isArray(report.errors) ? report.errors : []) {
            lines.push(`error: ${String(err.message ?? err).split('\n')[0]}`);
          }
          if (code !== 0) {
            runnerFailed = true;
            if (counts.failed === 0) {
              counts.failed = 1;
              lines.push(`playwright exited with code ${code} with no failing test; counted as 1 failed`);
            }
          }
          results.push({ suite: 'playwright', counts, lines });
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const sum = { passed: 0, failed: 0, skipped: 0 };
  console.log('\n==== test summary ====');
  for (const { suite, counts, lines } of results) {
    sum.passed += counts.passed;
    sum.failed += counts.failed;
    sum.skipped += counts.skipped;
    console.log(`${suite}: ${fmt(counts)}`);
    for (const line of lines) console.log(`  ${line}`);
  }
  console.log(fmt(sum));
  process.exitCode = sum.failed > 0 || runnerFailed ? 1 : 0;
}

await main();
