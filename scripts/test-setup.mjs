/**
 * What `npm test` needs besides node_modules, found or made on a fresh clone: the built app in out/
 * (the end-to-end suite drives out/renderer) and a Chromium for Playwright. Pure helpers, used by
 * run-tests.mjs and unit-tested (tests/unit/test-setup.test.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What `electron-vite build` reads, and what it writes. */
export const BUILD_SOURCES = [
  'renderer',
  'shared',
  'electron',
  'ledger',
  'electron.vite.config.ts',
  'package-lock.json',
];
export const BUILD_OUTPUTS = ['out/renderer/index.html', 'out/main/index.js', 'out/preload/index.cjs'];

/** Newest modification time under a path (files only), 0 when it does not exist. */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/**
 * Whether out/ must be built: 'missing' (an output is absent), 'stale' (a source is newer than the
 * oldest output) or 'fresh'.
 */
export function buildState(root, sources = BUILD_SOURCES, outputs = BUILD_OUTPUTS) {
  const outs = outputs.map((o) => join(root, o));
  const absent = outs.find((o) => !existsSync(o));
  if (absent) return { state: 'missing', reason: `${absent} does not exist` };
  const builtAt = Math.min(...outs.map((o) => statSync(o).mtimeMs));
  for (const s of sources) {
    if (newestMtime(join(root, s)) > builtAt)
      return { state: 'stale', reason: `${s} changed after the last build` };
  }
  return { state: 'fresh', reason: '' };
}

/** Where a Chromium usually is: the one named by WT_CHROMIUM, then the distributions' packages. */
export const SYSTEM_CHROMIUMS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/**
 * The browser for the end-to-end suite: WT_CHROMIUM (must exist), a system Chromium, or the one
 * Playwright downloaded (`playwrightPath`). Null when there is none.
 */
export function findChromium({ env = process.env, exists = existsSync, playwrightPath = null } = {}) {
  const named = env.WT_CHROMIUM;
  if (named) return exists(named) ? { path: named, source: 'WT_CHROMIUM' } : null;
  const system = SYSTEM_CHROMIUMS.find((p) => exists(p));
  if (system) return { path: system, source: 'system' };
  if (playwrightPath && exists(playwrightPath)) return { path: playwrightPath, source: 'playwright' };
  return null;
}

/** The one line said when no browser can be had: how to get one. */
export const NO_CHROMIUM =
  'no Chromium for the end-to-end tests: install one (Debian/Ubuntu: apt-get install chromium; ' +
  'elsewhere: npx playwright install chromium) or set WT_CHROMIUM=/path/to/chromium';
