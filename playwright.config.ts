/**
 * End-to-end tests in a system Chromium (Debian's here: a Playwright browser download is not
 * possible) against the served app (`npm run serve`), each test with its own data folder and
 * embedded tracker. WT_CHROMIUM names another browser; without any, Playwright's own is used.
 */
import { defineConfig } from '@playwright/test';
import { findChromium } from './scripts/test-setup.mjs';

export const CHROMIUM = findChromium()?.path;

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  // Builds out/ when it is missing or older than the renderer's sources.
  globalSetup: './tests/e2e/global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: {
      ...(CHROMIUM ? { executablePath: CHROMIUM } : {}),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
      ],
    },
    viewport: { width: 1280, height: 800 },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
