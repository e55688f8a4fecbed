/**
 * The finish of the served app (issue 7, defect 15): a page that loads without console errors or
 * missing files, keeps its view on reload, lines its pages up, words its confirmations with the
 * figures, refuses duplicate names and lets a pending offer be cancelled. One host, one identity.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServedApp, type ServedApp } from './serve-host';
import { generateRsaKeyPair } from '../../shared/crypto/keys';
import { commonAddressOf } from '../../shared/crypto/address';
import { PASSPHRASE, downloadOf, firstRun, nav, openAddress, removeDirs, watchErrors } from './app-helpers';

test.describe.serial('finish of the served app', () => {
  let app: ServedApp;
  let page: Page;
  let errors: string[];
  const consoleErrors: string[] = [];
  const failed: string[] = [];

  test.beforeAll(async ({ browser }) => {
    app = await startServedApp();
    page = await browser.newPage();
    errors = watchErrors(page);
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(app.appUrl);
    await firstRun(page, { name: 'Alice' });
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    removeDirs(app?.dataDir);
  });

  test('loads without console errors or missing files (CSP header, favicon)', async () => {
    await page.reload();
    await expect(page.getByTestId('view-dashboard')).toBeVisible();
    await expect(page.locator('link[rel="icon"]')).toHaveAttribute('href', /favicon\.svg$/);
    const icon = await page.request.get(`${app.url}/favicon.svg`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    const index = await page.request.get(`${app.url}/`);
    expect(index.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(consoleErrors).toEqual([]);
    expect(failed).toEqual([]);
  });

  test('a reload keeps the view', async () => {
    await nav(page, 'channels');
    await expect(page).toHaveURL(/#\/channels$/);
    await page.reload();
    await expect(page.getByTestId('view-channels')).toBeVisible();
    await nav(page, 'history');
    await page.goBack();
    await expect(page.getByTestId('view-channels')).toBeVisible();
  });

  test('the open confirmation states the amount and the lifetime the tracker gives', async () => {
    await nav(page, 'dashboard');
    await openAddress(page, 'spend');
    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    await expect(page.getByTestId('history-row').filter({ hasText: 'Open spend' })).toHaveCount(1);
    await nav(page, 'dashboard');
    await page.getByTestId('open-spend').click();
    await expect(page.getByTestId('confirm-open-message')).toContainText(
      'Your last spend address here got 11,000 atoms for 30 min.',
    );
    await page.getByTestId('confirm-open-cancel').click();
  });

  test('History lines up with the other pages; its buttons are one size', async () => {
    await nav(page, 'dashboard');
    const dashboardLeft = (await page.locator('#dash-title').boundingBox())!.x;
    await nav(page, 'history');
    expect((await page.locator('#hist-title').boundingBox())!.x).toBe(dashboardLeft);
    const heights = await Promise.all(
      ['history-chart-toggle', 'history-export', 'history-sync'].map(
        async (id) => (await page.getByTestId(id).boundingBox())!.height,
      ),
    );
    expect(new Set(heights).size).toBe(1);
  });

  test('the CSV banner is a success, not a warning', async () => {
    await page.getByTestId('history-export').click();
    const banner = page.getByTestId('history-export-result');
    await expect(banner).toContainText('Exported');
    const [bannerColour, warningColour] = await banner.evaluate((el) => {
      const probe = document.createElement('p');
      probe.className = 'notice';
      document.body.appendChild(probe);
      const colours = [getComputedStyle(el).borderColor, getComputedStyle(probe).borderColor];
      probe.remove();
      return colours;
    });
    expect(bannerColour).not.toBe(warningColour);
    await expect(banner).toHaveAttribute('role', 'status');
  });

  test('a second identity of the same name is refused, before and by the service', async () => {
    await nav(page, 'settings');
    await page.getByTestId('identity-create').click();
    await page.getByTestId('identity-create-form-name').fill('alice');
    await page.getByTestId('identity-create-form-passphrase').fill(PASSPHRASE);
    await page.getByTestId('identity-create-form-confirm').fill(PASSPHRASE);
    await expect(page.getByTestId('identity-create-form-name-error')).toHaveText(
      'Another identity already has this name.',
    );
    await expect(page.getByTestId('identity-create-form-submit')).toBeDisabled();
    await page.getByTestId('identity-create-form-cancel').click();
    await expect(page.getByTestId('identity-item')).toHaveCount(1);
  });

  test('a pending offer can be cancelled', async () => {
    const peer = generateRsaKeyPair();
    await nav(page, 'channels');
    await page.getByTestId('channels-new').click();
    await page.getByTestId('new-channel-remote').check();
    await page.getByTestId('new-channel-pem').fill(peer.publicPem);
    await page.getByTestId('new-channel-remote-to').fill(commonAddressOf(peer.publicPem));
    await expect(page.getByTestId('new-channel-preview')).toHaveAttribute('data-state', 'ok');
    await downloadOf(page, () => page.getByTestId('new-channel-submit').click());
    const row = page.getByTestId('channel-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-state', 'unknown');

    await row.getByTestId('channel-cancel-offer').click();
    await expect(page.getByTestId('confirm-cancel-offer-message')).toContainText('can still submit it until');
    await page.getByTestId('confirm-cancel-offer-ok').click();
    await expect(row).toHaveCount(0);
    await expect(page.getByTestId('channels-empty')).toBeVisible();
    await page.reload();
    await expect(page.getByTestId('view-channels')).toBeVisible();
    await expect(page.getByTestId('channels-empty')).toBeVisible();
    expect(errors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
