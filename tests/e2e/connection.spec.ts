/**
 * The connection to a remote tracker going away and coming back: offline mode with cached data
 * (the standalone tracker stopped, then started again on the same port and folder), and a tracker
 * that comes back with another key (same port, another folder): key_changed, review, accept.
 */
import { test, expect, type Page } from '@playwright/test';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServedApp, type ServedApp } from './serve-host';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { fingerprintOf } from '../../shared/crypto/keys';
import {
  expectOnline,
  firstRun,
  nav,
  openAddress,
  removeDirs,
  statusState,
  watchErrors,
} from './app-helpers';

/** Fingerprint of the key a tracker created in its folder (what the app pins). */
function trackerFingerprint(ledger: LedgerProcess): string {
  const key = createPrivateKey(readFileSync(join(ledger.dir, 'tracker-key.pem'), 'utf8'));
  return fingerprintOf(createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString());
}

test.describe.serial('offline mode and a changed tracker key', () => {
  let ledger: LedgerProcess;
  let app: ServedApp;
  let page: Page;
  let errors: string[];
  let spend = '';
  const ledgerDirs: string[] = [];

  test.beforeAll(async ({ browser }) => {
    ledger = await startLedger();
    ledgerDirs.push(ledger.dir);
    app = await startServedApp();
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(app.appUrl);
    await firstRun(page, { name: 'Carol', trackerUrl: ledger.url, trackerName: 'Remote tracker' });
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    await ledger?.stop();
    removeDirs(app?.dataDir, ...ledgerDirs);
  });

  test('tracker stopped: cached data stays visible with its age, the status bar reconnects', async () => {
    const card = await openAddress(page, 'spend');
    spend = (await card.getAttribute('data-address'))!;
    await expect(card.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(page.getByTestId('dashboard-offline')).toHaveCount(0);
    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    await expect(page.getByTestId('history-row').filter({ hasText: 'Open spend' })).toHaveCount(1);
    await nav(page, 'dashboard');

    await ledger.stop();
    await expect(statusState(page)).toHaveAttribute('data-state', 'reconnecting', { timeout: 15_000 });
    await expect(statusState(page)).toContainText(/reconnecting/i);
    // The reason in words, beside the state (not only in a tooltip).
    await expect(page.getByTestId('status-error')).toHaveText('Nothing answers at the tracker address.');
    await expect(page.getByTestId('status-reconnect')).toBeVisible();
    await expect(page.getByTestId('dashboard-offline')).toBeVisible();
    // Nothing that needs the tracker can be started; what was read stays, with how old it is.
    await expect(page.getByTestId('open-spend')).toBeDisabled();
    await expect(card.getByTestId('address-spend-close')).toBeDisabled();
    await expect(card.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(card).toContainText(/read (\d+ s|\d+ min) ago/, { timeout: 20_000 });
    await expect(page.getByTestId('common-age')).toContainText(/read (\d+ s|\d+ min) ago/);
    // The cached history is readable offline too.
    await nav(page, 'history');
    await expect(page.getByTestId('history-row').filter({ hasText: 'Open spend' })).toHaveCount(1);
    await expect(page.getByTestId('history-sync')).toBeDisabled();

    // The same tracker (same port, same folder) comes back: online again by itself.
    ledger = await startLedger({ dir: ledger.dir, port: ledger.port });
    await expectOnline(page, 45_000);
    await expect(page.getByTestId('status-reconnect')).toHaveCount(0);
    await nav(page, 'dashboard');
    await expect(page.getByTestId('dashboard-offline')).toHaveCount(0);
    await expect(page.getByTestId('open-spend')).toBeEnabled();
    const again = page.locator(`[data-testid="address-card"][data-address="${spend}"]`);
    await expect(again.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(again.getByTestId('address-spend-close')).toBeEnabled();
  });

  test('another key on the same address: key_changed, review, accept, online on a new ledger', async () => {
    const pinned = trackerFingerprint(ledger);
    await nav(page, 'settings');
    const profile = page.getByTestId('tracker-item').filter({ hasText: 'Remote tracker' });
    await expect(profile.getByTestId('tracker-fingerprint')).toHaveText(pinned);

    await ledger.stop();
    await expect(statusState(page)).not.toHaveAttribute('data-state', 'online', { timeout: 15_000 });
    ledger = await startLedger({ dir: tempDir(), port: ledger.port });
    ledgerDirs.push(ledger.dir);
    const offered = trackerFingerprint(ledger);
    expect(offered).not.toBe(pinned);

    await expect(statusState(page)).toHaveAttribute('data-state', 'key_changed', { timeout: 45_000 });
    await expect(page.getByTestId('status-reconnect')).toHaveCount(0);
    await page.getByTestId('status-review-key').click();
    const dialog = page.getByTestId('key-changed');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('key-pinned')).toHaveText(pinned);
    await expect(page.getByTestId('key-offered')).toHaveText(offered);

    // Keeping the old key keeps the app off this tracker.
    await page.getByTestId('key-reject').click();
    await expect(dialog).toBeHidden();
    await expect(statusState(page)).toHaveAttribute('data-state', 'key_changed');

    await page.getByTestId('status-review-key').click();
    await page.getByTestId('key-accept').click();
    await expect(dialog).toBeHidden();
    await expectOnline(page);
    await expect(profile.getByTestId('tracker-fingerprint')).toHaveText(offered);

    // Another key is another ledger: the old ledger's address is not mixed into this one.
    await nav(page, 'dashboard');
    await expect(page.locator(`[data-testid="address-card"][data-address="${spend}"]`)).toHaveCount(0);
    await expect(page.getByTestId('no-open-addresses')).toBeVisible();
    const card = await openAddress(page, 'spend');
    await expect(card.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    expect(errors).toEqual([]);
  });
});
