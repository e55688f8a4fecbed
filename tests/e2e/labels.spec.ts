/**
 * Labels on the served app with its embedded tracker: label a transaction in the history drawer
 * and an address on its card (keyboard only), find the transaction by its label, export the labels
 * as JSON lines, clear the label, import the file and see the label back.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServedApp, type ServedApp } from './serve-host';
import { downloadOf, firstRun, nav, openAddress, removeDirs, watchErrors } from './app-helpers';

test.describe.serial('labels: set, search, export, clear, import', () => {
  let app: ServedApp;
  let page: Page;
  let errors: string[];
  let spendAddress: string;
  let txId: string;
  let exported: { name: string; path: string; text: string };

  const rows = () => page.getByTestId('history-row');
  const drawer = () => page.getByTestId('history-detail');

  test.beforeAll(async () => {
    app = await startServedApp();
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    removeDirs(app?.dataDir);
  });

  test('a transaction and an address get labels, from the keyboard', async ({ browser }) => {
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(app.appUrl);
    await firstRun(page, { name: 'Alice' });
    const card = await openAddress(page, 'spend');
    spendAddress = (await card.getAttribute('data-address'))!;

    // The address: Enter saves.
    await card.getByTestId('address-spend-label-edit').click();
    await page.getByTestId('address-spend-label-input').fill('Video budget');
    await page.keyboard.press('Enter');
    await expect(card.getByTestId('address-spend-label-text')).toHaveText('Video budget');

    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    const open = rows().filter({ hasText: 'Open spend' });
    await expect(open).toHaveCount(1);
    txId = (await open.getAttribute('data-tx-id'))!;
    // The address shows as its label in the list.
    await expect(open).toContainText('Video budget');

    await open.click();
    await expect(drawer()).toBeVisible();
    // Escape in the editor cancels the edit, not the drawer.
    await page.getByTestId('detail-label-edit').click();
    await page.getByTestId('detail-label-input').fill('not this');
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('detail-label-input')).toBeHidden();
    await expect(drawer()).toBeVisible();
    await expect(page.getByTestId('detail-label-edit')).toBeFocused();
    await page.keyboard.press('Enter');
    await page.getByTestId('detail-label-input').fill('Invoice 42 — Ёлка');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('detail-label-text')).toHaveText('Invoice 42 — Ёлка');
    await expect(page.getByTestId('detail-from-label').or(page.getByTestId('detail-to-label'))).toHaveText(
      'Video budget',
    );
    await page.keyboard.press('Escape');
    await expect(drawer()).toBeHidden();
    await expect(open.getByTestId('history-row-label')).toHaveText('Invoice 42 — Ёлка');
  });

  test('history search finds the transaction by its label (any case, ё typed as е)', async () => {
    await page.getByTestId('history-search').fill('елка invoice');
    await expect(rows()).toHaveCount(1);
    await expect(rows().first()).toHaveAttribute('data-tx-id', txId);
    await page.getByTestId('history-search').fill('video budget');
    await expect(rows().filter({ hasText: 'Open spend' })).toHaveCount(1);
    await page.getByTestId('history-search').fill('nothing-like-this');
    await expect(page.getByTestId('history-empty')).toBeVisible();
    await page.getByTestId('history-clear').click();
  });

  test('export as JSON lines, clear, import: the label is back and found again', async () => {
    await nav(page, 'settings');
    exported = await downloadOf(page, () => page.getByTestId('labels-export').click());
    expect(exported.name).toMatch(/^wallet-tracker-labels-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const lines = exported.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { type: 'addr', ref: spendAddress, label: 'Video budget' },
      { type: 'tx', ref: txId, label: 'Invoice 42 — Ёлка' },
    ]);

    // Clear the transaction's label: an empty label and Enter.
    await nav(page, 'history');
    await rows().filter({ hasText: 'Open spend' }).click();
    await page.getByTestId('detail-label-edit').click();
    await page.getByTestId('detail-label-input').fill('');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('detail-label-text')).toBeHidden();
    await page.keyboard.press('Escape');
    await page.getByTestId('history-search').fill('invoice');
    await expect(page.getByTestId('history-empty')).toBeVisible();

    // Import the exported file: one label added, the address's already there.
    await nav(page, 'settings');
    await page.getByTestId('labels-import-input').setInputFiles(exported.path);
    const result = page.getByTestId('labels-import-result');
    await expect(result).toHaveAttribute('data-applied', 'true');
    await expect(result).toContainText('1 added, 0 changed, 1 already there');

    await nav(page, 'history');
    await page.getByTestId('history-search').fill('');
    await page.getByTestId('history-search').fill('invoice');
    await expect(rows()).toHaveCount(1);
    await expect(rows().first().getByTestId('history-row-label')).toHaveText('Invoice 42 — Ёлка');
  });

  test('a file with a bad line is refused by line number and changes nothing', async () => {
    await nav(page, 'settings');
    const bad = `${exported.text}{"type":"utxo","ref":"x","label":"y"}\nnot json\n`;
    await page.getByTestId('labels-import-input').setInputFiles({
      name: 'bad.jsonl',
      mimeType: 'application/jsonl',
      buffer: Buffer.from(bad),
    });
    const result = page.getByTestId('labels-import-result');
    await expect(result).toHaveAttribute('data-applied', 'false');
    await expect(page.getByTestId('labels-import-problems')).toContainText('Line 3: unknown type');
    await expect(page.getByTestId('labels-import-problems')).toContainText('Line 4: not JSON');
    expect(errors).toEqual([]);
  });
});
