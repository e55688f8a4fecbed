/**
 * A transfer channel between two wallet owners who share nothing but files: two served apps with
 * their own data folders, both connected to ONE standalone tracker (`npm run ledger`, added as a
 * remote tracker). Alice (app A) pays, Bob (app B) earns. The offer and the receipt travel as files:
 * downloaded from one browser, opened with the file picker in the other.
 */
import { test, expect, type Browser, type Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startServedApp, type ServedApp } from './serve-host';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { downloadOf, firstRun, nav, openAddress, removeDirs, screenshot, watchErrors } from './app-helpers';

interface Side {
  app: ServedApp;
  page: Page;
  errors: string[];
}

async function side(browser: Browser, name: string, ledger: LedgerProcess): Promise<Side> {
  const app = await startServedApp();
  const page = await browser.newPage();
  const errors = watchErrors(page);
  await page.goto(app.appUrl);
  await firstRun(page, { name, trackerUrl: ledger.url, trackerName: 'Shared tracker' });
  await expect(page.getByTestId('status-tracker')).toHaveText('Shared tracker');
  return { app, page, errors };
}

/** Opens a transfer file in the channels view with the file picker; resolves when it is reviewed. */
async function openFile(page: Page, path: string): Promise<void> {
  await nav(page, 'channels');
  await page.getByTestId('channels-open-file-input').setInputFiles(path);
  await expect(page.getByTestId('review')).toBeVisible();
  await expect(page.getByTestId('review-fields')).toBeVisible();
}

test.describe.serial('offer and receipt files between two apps on one shared tracker', () => {
  let ledger: LedgerProcess;
  let a: Side;
  let b: Side;
  let aliceSpend = '';
  let bobIncome = '';
  let channelId = '';

  test.beforeAll(async ({ browser }) => {
    ledger = await startLedger();
    [a, b] = await Promise.all([side(browser, 'Alice', ledger), side(browser, 'Bob', ledger)]);
  });
  test.afterAll(async () => {
    await Promise.all([a?.page.close(), b?.page.close()]);
    await Promise.all([a?.app.stop(), b?.app.stop()]);
    await ledger?.stop();
    removeDirs(a?.app.dataDir, b?.app.dataDir, ledger?.dir);
  });

  test('both apps pinned the same tracker key', async () => {
    const fingerprints = await Promise.all(
      [a, b].map(async ({ page }) => {
        await nav(page, 'settings');
        const item = page.getByTestId('tracker-item').filter({ hasText: 'Shared tracker' });
        return (await item.getByTestId('tracker-fingerprint').textContent())!.trim();
      }),
    );
    expect(fingerprints[0]).toMatch(/[0-9a-f]{4}:[0-9a-f]{4}/);
    expect(fingerprints[0]).toBe(fingerprints[1]);
  });

  test('Alice saves an offer, Bob reviews and countersigns it, Alice submits: the channel opens', async () => {
    await nav(a.page, 'dashboard');
    aliceSpend = (await (await openAddress(a.page, 'spend')).getAttribute('data-address'))!;
    await nav(b.page, 'dashboard');
    bobIncome = (await (await openAddress(b.page, 'income')).getAttribute('data-address'))!;

    // Bob hands over his public key (a file) and his income address (copied text).
    await nav(b.page, 'settings');
    const bobKey = await downloadOf(b.page, () => b.page.getByTestId('identity-save-public').click());
    expect(bobKey.text).toContain('-----BEGIN PUBLIC KEY-----');

    await nav(a.page, 'channels');
    await a.page.getByTestId('channels-new').click();
    await a.page.getByTestId('new-channel-remote').check();
    await a.page.getByTestId('new-channel-pem-file-input').setInputFiles(bobKey.path);
    await expect(a.page.getByTestId('new-channel-pem')).toHaveValue(bobKey.text);
    await a.page.getByTestId('new-channel-remote-to').fill(bobIncome);
    await a.page.getByTestId('new-channel-price').fill('1000');
    await a.page.getByTestId('new-channel-planned').fill('4');
    await expect(a.page.getByTestId('new-channel-preview')).toHaveAttribute('data-state', 'ok');
    await expect(a.page.getByTestId('new-channel-reservation')).toHaveAttribute('data-atoms', '4000');
    const offer = await downloadOf(a.page, () => a.page.getByTestId('new-channel-submit').click());
    await expect(a.page.getByTestId('new-channel')).toBeHidden();
    // Nothing is submitted yet: the offer carries Alice's signature only.
    const offerJson = JSON.parse(offer.text) as {
      kind: string;
      fromSign: string | null;
      toSign: string | null;
    };
    expect(offerJson.kind).toBe('open');
    expect(offerJson.fromSign).toBeTruthy();
    expect(offerJson.toSign).toBeNull();
    // Signed into an offer, the channel is listed as pending until the tracker has it.
    const pending = a.page.getByTestId('channel-row');
    await expect(pending).toHaveCount(1);
    await expect(pending).toHaveAttribute('data-state', 'unknown');
    await expect(pending).toContainText('pending');

    // A copy with a lower price than Alice signed is caught: her signature no longer verifies.
    const tampered = JSON.parse(offer.text) as { message: string };
    tampered.message = tampered.message.replace('"priceTokens":"1000"', '"priceTokens":"900"');
    expect(tampered.message).toContain('"priceTokens":"900"');
    const tamperedPath = join(dirname(offer.path), 'tampered-offer.json');
    writeFileSync(tamperedPath, JSON.stringify(tampered));
    await openFile(b.page, tamperedPath);
    await expect(b.page.getByTestId('review-from-signature')).toHaveAttribute('data-state', 'invalid');
    await expect(b.page.getByTestId('review-problems')).toBeVisible();
    await expect(b.page.getByTestId('review-submit')).toBeDisabled();
    await b.page.getByTestId('review-close').click();

    // Bob opens the offer: every field, Alice's valid signature, his own missing.
    await openFile(b.page, offer.path);
    await expect(b.page.getByTestId('review-kind')).toHaveText(/offer|open/i);
    await expect(b.page.getByTestId('review-complete')).toHaveAttribute('data-complete', 'false');
    await expect(b.page.getByTestId('review-from-signature')).toHaveAttribute('data-state', 'valid');
    await expect(b.page.getByTestId('review-to-signature')).toHaveAttribute('data-state', 'missing');
    await expect(b.page.getByTestId('review-fields')).toContainText(aliceSpend);
    await expect(b.page.getByTestId('review-fields')).toContainText(bobIncome);
    await expect(b.page.getByTestId('review-reservation')).toHaveAttribute('data-atoms', '4000');
    await expect(b.page.getByTestId('review-signable-by')).toHaveText('Bob');
    await expect(b.page.getByTestId('review-problems')).toHaveCount(0);
    await expect(b.page.getByTestId('review-submit')).toBeDisabled();
    await screenshot(b.page, 'offer-review');

    // He countersigns: the signed file is saved for Alice, the review now shows it complete.
    const signed = await downloadOf(b.page, () => b.page.getByTestId('review-countersign').click());
    await expect(b.page.getByTestId('review-to-signature')).toHaveAttribute('data-state', 'valid');
    await expect(b.page.getByTestId('review-complete')).toHaveAttribute('data-complete', 'true');
    await b.page.getByTestId('review-close').click();

    // Alice opens the countersigned offer and submits it to the tracker.
    await openFile(a.page, signed.path);
    await expect(a.page.getByTestId('review-complete')).toHaveAttribute('data-complete', 'true');
    await expect(a.page.getByTestId('review-from-signature')).toHaveAttribute('data-state', 'valid');
    await expect(a.page.getByTestId('review-to-signature')).toHaveAttribute('data-state', 'valid');
    await a.page.getByTestId('review-submit').click();
    await expect(a.page.getByTestId('review')).toBeHidden();
    const row = a.page.getByTestId('channel-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-state', 'open');
    channelId = (await row.getAttribute('data-channel-id'))!;

    await nav(a.page, 'dashboard');
    const spend = a.page.locator(`[data-testid="address-card"][data-address="${aliceSpend}"]`);
    await expect(spend.getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '7000');
    // Bob's income limit counts the incoming reservation once he refreshes.
    await nav(b.page, 'dashboard');
    await b.page.getByTestId('dashboard-refresh').click();
    const income = b.page.locator(`[data-testid="address-card"][data-address="${bobIncome}"]`);
    await expect(income.getByTestId('address-income-limit')).toHaveAttribute('data-atoms', '4000');
    // The tracker counts the reservation into Bob's planned earnings (own.plan).
    await expect(b.page.getByTestId('common-planned')).toHaveAttribute('data-atoms', '4000');
  });

  test('Alice saves a receipt, Bob countersigns and submits it: the channel closes with its settlement', async () => {
    await nav(a.page, 'channels');
    await a.page.getByTestId('channel-row').getByTestId('channel-close').click();
    await a.page.getByTestId('close-channel-unit').selectOption('KiB');
    await a.page.getByTestId('close-channel-volume').fill('1536'); // 1.5 MiB: 2 quanta started
    await expect(a.page.getByTestId('close-channel-quanta')).toHaveText('2');
    await expect(a.page.getByTestId('close-channel-tokens')).toHaveAttribute('data-atoms', '2000');
    await expect(a.page.getByTestId('close-channel-submit')).toHaveText(/receipt/i);
    const receipt = await downloadOf(a.page, () => a.page.getByTestId('close-channel-submit').click());
    await expect(a.page.getByTestId('close-channel')).toBeHidden();
    // Still open until the tracker has the receipt with both signatures.
    await expect(a.page.getByTestId('channel-row')).toHaveAttribute('data-state', 'open');

    await openFile(b.page, receipt.path);
    await expect(b.page.getByTestId('review-kind')).toHaveText(/receipt|close/i);
    await expect(b.page.getByTestId('review-fields')).toContainText(channelId);
    await expect(b.page.getByTestId('review-settled-tokens')).toHaveAttribute('data-atoms', '2000');
    await expect(b.page.getByTestId('review-from-signature')).toHaveAttribute('data-state', 'valid');
    await expect(b.page.getByTestId('review-to-signature')).toHaveAttribute('data-state', 'missing');
    await downloadOf(b.page, () => b.page.getByTestId('review-countersign').click());
    await expect(b.page.getByTestId('review-complete')).toHaveAttribute('data-complete', 'true');
    await b.page.getByTestId('review-submit').click();
    await expect(b.page.getByTestId('review')).toBeHidden();

    // Bob's side records the closed channel with its settlement; his income address earned 2,000.
    const bobRow = b.page.locator(`[data-testid="channel-row"][data-channel-id="${channelId}"]`);
    await expect(bobRow).toHaveAttribute('data-state', 'closed');
    await expect(bobRow).toContainText('1.5 MiB');
    await expect(bobRow).toContainText('0.2 TP');
    await nav(b.page, 'dashboard');
    const income = b.page.locator(`[data-testid="address-card"][data-address="${bobIncome}"]`);
    await expect(income.getByTestId('address-income-amount')).toHaveAttribute('data-atoms', '2000');
    await expect(income.getByTestId('address-income-limit')).toHaveAttribute('data-atoms', '2000');

    // Alice sees it closed after a refresh, and her spend address paid 2,000 atoms.
    await a.page.getByTestId('channels-refresh').click();
    await expect(a.page.getByTestId('channel-row')).toHaveAttribute('data-state', 'closed');
    await nav(a.page, 'dashboard');
    await a.page.getByTestId('dashboard-refresh').click();
    const spend = a.page.locator(`[data-testid="address-card"][data-address="${aliceSpend}"]`);
    await expect(spend.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '9000');
    await expect(spend.getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '9000');
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
