/**
 * What `npm test` does on a fresh clone before the suites (scripts/test-setup.mjs): build out/ when
 * it is missing or stale, and find a Chromium or say in one line how to get one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildState, findChromium, NO_CHROMIUM } from '../../scripts/test-setup.mjs';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function file(root: string, path: string, mtimeS: number): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), 'x');
  utimesSync(join(root, path), mtimeS, mtimeS);
}

describe('build state of out/', () => {
  it('defect 16: missing, stale or fresh by the modification times of sources and outputs', () => {
    const root = mkdtempSync(join(tmpdir(), 'wt-setup-'));
    dirs.push(root);
    const sources = ['renderer', 'shared'];
    const outputs = ['out/renderer/index.html', 'out/main/index.js'];
    file(root, 'renderer/src/App.vue', 1000);
    file(root, 'shared/api/models.ts', 1000);
    expect(buildState(root, sources, outputs).state).toBe('missing');

    file(root, 'out/renderer/index.html', 2000);
    file(root, 'out/main/index.js', 2000);
    expect(buildState(root, sources, outputs)).toEqual({ state: 'fresh', reason: '' });

    // A source edited after the build: stale; the oldest output decides.
    file(root, 'shared/api/models.ts', 3000);
    expect(buildState(root, sources, outputs)).toMatchObject({
      state: 'stale',
      reason: expect.stringContaining('shared'),
    });
    file(root, 'out/renderer/index.html', 4000);
    expect(buildState(root, sources, outputs).state).toBe('stale');
    file(root, 'out/main/index.js', 4000);
    expect(buildState(root, sources, outputs).state).toBe('fresh');
    // node_modules and dotfiles inside a source folder are not sources.
    file(root, 'renderer/node_modules/x/index.js', 9000);
    file(root, 'renderer/.cache', 9000);
    expect(buildState(root, sources, outputs).state).toBe('fresh');
  });
});

describe('finding a Chromium', () => {
  const on =
    (...paths: string[]) =>
    (p: string) =>
      paths.includes(p);

  it('defect 16: WT_CHROMIUM, else a system Chromium, else Playwright’s own, else none', () => {
    expect(
      findChromium({ env: { WT_CHROMIUM: '/opt/c' }, exists: on('/opt/c', '/usr/bin/chromium') }),
    ).toEqual({
      path: '/opt/c',
      source: 'WT_CHROMIUM',
    });
    // A WT_CHROMIUM that does not exist is an error to report, not a reason to pick another browser.
    expect(findChromium({ env: { WT_CHROMIUM: '/opt/none' }, exists: on('/usr/bin/chromium') })).toBeNull();
    expect(findChromium({ env: {}, exists: on('/usr/bin/chromium') })).toEqual({
      path: '/usr/bin/chromium',
      source: 'system',
    });
    expect(findChromium({ env: {}, exists: on('/pw/chrome'), playwrightPath: '/pw/chrome' })).toEqual({
      path: '/pw/chrome',
      source: 'playwright',
    });
    expect(findChromium({ env: {}, exists: on(), playwrightPath: '/pw/chrome' })).toBeNull();
    expect(NO_CHROMIUM).toMatch(/apt-get install chromium/);
    expect(NO_CHROMIUM).toMatch(/WT_CHROMIUM/);
    expect(NO_CHROMIUM.split('\n')).toHaveLength(1);
  });
});
