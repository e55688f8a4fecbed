/**
 * First run and returning user on the served app with its embedded tracker, then the preferences:
 * language and theme. One host (one data folder) for the whole file; it is restarted once.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServedApp, type ServedApp } from './serve-host';
import { PASSPHRASE, expectOnline, firstRun, nav, removeDirs, screenshot, watchErrors } from './app-helpers';

test.describe.serial('first run, returning user, preferences', () => {
  let app: ServedApp;
  let page: Page;
  let errors: string[];

  test.beforeAll(async () => {
    app = await startServedApp();
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    removeDirs(app?.dataDir);
  });

  test('first run: create an identity with a passphrase, embedded tracker preselected, connect', async ({
    browser,
  }) => {
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(app.appUrl);
    await expect(page.getByTestId('onboarding')).toBeVisible();

    // Passphrase mode (no safeStorage in plain Node): a short passphrase is refused in the form.
    await page.getByTestId('onboarding-create-form-name').fill('Alice');
    await page.getByTestId('onboarding-create-form-passphrase').fill('short');
    await page.getByTestId('onboarding-create-form-confirm').fill('short');
    await expect(page.getByTestId('onboarding-create-form-passphrase-error')).toBeVisible();
    await expect(page.getByTestId('onboarding-create-form-submit')).toBeDisabled();
    await page.getByTestId('onboarding-create-form-name').fill('');

    // The embedded tracker is the one preselected.
    const trackers = page.locator('[data-testid^="onboarding-tracker-"]:has(input[type=radio])');
    await expect(trackers).toHaveCount(1);
    await expect(trackers.first().locator('input[type=radio]')).toBeChecked();
    await expect(trackers.first()).toContainText('Embedded tracker');
    await expect(page.getByTestId('onboarding-connect')).toBeDisabled();

    await firstRun(page, { name: 'Alice', shot: 'onboarding' });
    await expect(page.getByTestId('status-identity')).toHaveText('Alice');
    await expect(page.getByTestId('status-tracker')).toHaveText('Embedded tracker');
    await expect(page.getByTestId('common-card')).toBeVisible();
    await expect(page.getByTestId('common-address')).toHaveText(/^0x[0-9a-f]{16}/);
    await expect(page.getByTestId('no-open-addresses')).toBeVisible();
    // The first sync ran on connect.
    await expect(page.getByTestId('status-sync')).toHaveText(/^History synced /, { timeout: 15_000 });
    expect(errors).toEqual([]);
  });

  test('returning user: after a host restart the identity is unlocked and lands on the dashboard', async ({
    browser,
  }) => {
    const commonAddress = await page.getByTestId('common-address').textContent();
    await page.close();
    await app.stop();
    app = await startServedApp({ dataDir: app.dataDir });

    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(app.appUrl);
    // No onboarding: the shell opens on the last identity, locked, and asks for its passphrase.
    await expect(page.getByTestId('unlock')).toBeVisible();
    await expect(page.getByTestId('onboarding')).toHaveCount(0);
    await expect(page.getByTestId('status-identity')).toHaveText('Alice');
    await expect(page.getByTestId('status-unlock')).toBeVisible();

    await page.getByTestId('unlock-passphrase').fill('wrong passphrase');
    await page.getByTestId('unlock-submit').click();
    // Defect 3: one plain sentence, said once (no "(the passphrase is wrong)" after it).
    await expect(page.getByTestId('unlock-error')).toHaveText('The passphrase is wrong.');
    await expect(page.getByTestId('unlock')).not.toContainText('(the passphrase is wrong)');

    await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
    await page.getByTestId('unlock-submit').click();
    await expect(page.getByTestId('unlock')).toBeHidden();
    await expect(page.getByTestId('view-dashboard')).toBeVisible();
    await expectOnline(page);
    await expect(page.getByTestId('status-unlock')).toHaveCount(0);
    await expect(page.getByTestId('common-address')).toHaveText(commonAddress!);
    expect(errors).toEqual([]);
  });

  test('language: switching to Russian translates the shell, and back', async () => {
    await nav(page, 'settings');
    await page.getByTestId('settings-language').selectOption('ru');
    await expect(page.getByTestId('nav-dashboard')).toHaveText('Обзор');
    await expect(page.getByTestId('nav-settings')).toHaveText('Настройки');
    await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
    await expect(page.getByTestId('status-bar')).toContainText('Личность:');
    await screenshot(page, 'settings-ru');

    // The choice is a saved setting: a reload keeps it.
    await page.reload();
    await expect(page.getByTestId('nav-dashboard')).toHaveText('Обзор');
    await expect(page.getByTestId('unlock')).toHaveCount(0);

    await nav(page, 'settings');
    await page.getByTestId('settings-language').selectOption('en');
    await expect(page.getByTestId('nav-dashboard')).toHaveText('Dashboard');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await screenshot(page, 'settings');
  });

  test('theme: dark sets the root attribute and a dark background; light brings it back', async () => {
    const html = page.locator('html');
    const background = () =>
      page.evaluate(() => getComputedStyle(document.body).backgroundColor.match(/\d+/g)!.map(Number));
    const luminance = (rgb: number[]) => (0.2126 * rgb[0]! + 0.7152 * rgb[1]! + 0.0722 * rgb[2]!) / 255;

    await page.getByTestId('settings-theme-light').check();
    await expect(html).toHaveAttribute('data-theme', 'light');
    const light = luminance(await background());
    expect(light).toBeGreaterThan(0.8);

    await page.getByTestId('settings-theme-dark').check();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await expect.poll(async () => luminance(await background())).toBeLessThan(0.2);
    await nav(page, 'dashboard');

    // Saved: the next load starts dark.
    await page.reload();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await nav(page, 'settings');
    await page.getByTestId('settings-theme-light').check();
    await expect(html).toHaveAttribute('data-theme', 'light');
    await expect.poll(async () => luminance(await background())).toBeGreaterThan(0.8);
    expect(errors).toEqual([]);
  });

  test('defect 2: "Warn before expiry" cleared and typed again is saved, and the card stays', async () => {
    await nav(page, 'settings');
    const lead = page.getByTestId('settings-expiry-lead');
    await lead.fill('');
    await expect(page.getByTestId('settings-expiry-lead-error')).toBeVisible();
    await lead.pressSequentially('30');
    await lead.press('Enter');
    await expect(page.getByTestId('settings-expiry-lead-error')).toHaveCount(0);
    await expect(page.getByTestId('settings-preferences')).toBeVisible();
    await lead.fill('3');
    await lead.blur();
    await expect(page.getByTestId('settings-expiry-lead-error')).toHaveCount(0);
    // Saved: a reload (which also keeps the Settings view) shows it.
    await page.reload();
    await expect(page.getByTestId('view-settings')).toBeVisible();
    await expect(page.getByTestId('settings-expiry-lead')).toHaveValue('3');
    expect(errors).toEqual([]);
  });

  test('defect 10: the host stops under an open page: the status bar says so; back on, the page carries on', async () => {
    await nav(page, 'dashboard');
    await expectOnline(page);
    const { dataDir, port, token } = app;
    // One stop request that reaches the host twice (terminal to the group, npm forwarding it).
    expect(await app.terminate(2)).toBe(0);
    expect(app.stderr()).not.toMatch(/again|shutdown failed/);
    expect(app.stdout()).toContain('Wallet Tracker stopped.');

    const state = page.getByTestId('status-state');
    await expect(state).toHaveAttribute('data-state', 'host_down', { timeout: 20_000 });
    await expect(page.getByTestId('status-error')).toContainText('npm run serve');
    // Not the tracker's fault, and no countdown frozen at 0 s.
    await expect(page.getByTestId('status-bar')).not.toContainText(/tracker address|in 0 s/);
    await expect(page.getByTestId('open-spend')).toBeDisabled();

    app = await startServedApp({ dataDir, port, token });
    // The new host holds the key locked again: the page asks for the passphrase, then goes on.
    await expect(page.getByTestId('unlock')).toBeVisible({ timeout: 30_000 });
    await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
    await page.getByTestId('unlock-submit').click();
    await expectOnline(page);
    await expect(page.getByTestId('status-error')).toHaveCount(0);
    await expect(page.getByTestId('open-spend')).toBeEnabled();
    expect(errors).toEqual([]);
  });
});
