/**
 * The same journeys through the real Electron app with Playwright's `_electron`, wherever an Electron
 * binary exists: first run, opening addresses, history. Installs made with `--ignore-scripts` (as
 * here, where the binary cannot be downloaded) have none: the tests then report themselves skipped
 * with the reason.
 */
import { test, expect, _electron as electron, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSPHRASE, expectOnline, nav, openAddress, root } from './app-helpers';

function electronBinary(): string | null {
  const pathTxt = join(root, 'node_modules/electron/path.txt');
  if (!existsSync(pathTxt)) return null;
  const bin = join(root, 'node_modules/electron/dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();

test.describe.serial('Electron app', () => {
  test.skip(
    !binary,
    'no Electron binary: node_modules/electron was installed without its download (npm ci --ignore-scripts)',
  );

  let app: ElectronApplication;
  let win: Page;
  let userData: string;

  test.beforeAll(async () => {
    // A fresh profile: the app's data (identities, settings, cache, embedded tracker) lives in userData.
    userData = mkdtempSync(join(tmpdir(), 'wt-e2e-electron-'));
    app = await electron.launch({
      executablePath: binary!,
      args: [join(root, 'out/main/index.js'), `--user-data-dir=${userData}`],
    });
    win = await app.firstWindow();
  });
  test.afterAll(async () => {
    await app?.close();
    if (userData) rmSync(userData, { recursive: true, force: true });
  });

  test('first run: sandboxed renderer, create an identity, connect to the embedded tracker', async () => {
    await expect(win.getByTestId('onboarding')).toBeVisible();
    // Sandboxed, context-isolated renderer: no Node in the page, only the two API functions.
    const page = await win.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      api: Object.keys((window as unknown as { api: object }).api).sort(),
    }));
    expect(page).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'on'] });

    await win.getByTestId('onboarding-create-form-name').fill('Alice');
    // safeStorage protects keys where the OS offers it; otherwise a passphrase is asked for.
    const passphrase = win.getByTestId('onboarding-create-form-passphrase');
    if (await passphrase.isVisible()) {
      await passphrase.fill(PASSPHRASE);
      await win.getByTestId('onboarding-create-form-confirm').fill(PASSPHRASE);
    }
    await win.getByTestId('onboarding-create-form-submit').click();
    const trackers = win.locator('[data-testid^="onboarding-tracker-"]:has(input[type=radio])');
    await expect(trackers.first().locator('input[type=radio]')).toBeChecked();
    await win.getByTestId('onboarding-connect').click();
    await expect(win.getByTestId('view-dashboard')).toBeVisible();
    await expectOnline(win);
    await expect(win.getByTestId('status-identity')).toHaveText('Alice');
  });

  test('open a spend and an income address', async () => {
    const spend = await openAddress(win, 'spend');
    await expect(spend.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(spend.getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '11000');
    const income = await openAddress(win, 'income');
    await expect(income.getByTestId('address-income-amount')).toHaveAttribute('data-atoms', '0');
    await expect(win.locator('[data-testid="address-card"]')).toHaveCount(2);
  });

  test('history: sync shows both opens, filter by type, export CSV', async () => {
    await nav(win, 'history');
    await win.getByTestId('history-sync').click();
    await expect(win.getByTestId('history-row').filter({ hasText: 'Open spend' })).toHaveCount(1);
    await expect(win.getByTestId('history-row').filter({ hasText: 'Open income' })).toHaveCount(1);
    await win.getByTestId('history-type-2').check();
    await expect(win.getByTestId('history-row')).toHaveCount(1);
    await win.getByTestId('history-export').click();
    await expect(win.getByTestId('history-export-result')).toContainText('Exported 1 rows');
  });
});
