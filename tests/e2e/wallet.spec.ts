/**
 * The wallet on one served app and its embedded tracker (default economics: a spend address holds
 * 11,000 atoms at 1,100 atoms per MiB, an income address asks at least 900 per MiB): open spend and
 * income addresses, a transfer channel between two local identities opened and closed, closing the
 * addresses. Two identities (Alice pays, Bob earns) in one data folder.
 */
import { test, expect, type Locator, type Page } from '@playwright/test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { startServedApp, type ServedApp } from './serve-host';
import { generateRsaKeyPair } from '../../shared/crypto/keys';
import {
  PASSPHRASE,
  addIdentityInSettings,
  firstRun,
  nav,
  openAddress,
  removeDirs,
  screenshot,
  useIdentity,
  watchErrors,
} from './app-helpers';

const MiB = 2 ** 20;

/** Unfolds the closed-addresses section (a <details> that keeps its state while the view lives). */
async function showClosed(page: Page): Promise<void> {
  const section = page.getByTestId('closed-section');
  if (!(await section.evaluate((d) => (d as HTMLDetailsElement).open))) {
    await page.getByTestId('closed-toggle').click();
  }
  await expect(section).toHaveAttribute('open', '');
}

test.describe.serial('addresses and a local transfer channel', () => {
  let app: ServedApp;
  let page: Page;
  let errors: string[];
  let aliceSpend = '';
  let aliceIncome = '';
  let bobIncome = '';
  let channelId = '';

  const card = (address: string): Locator =>
    page.locator(`[data-testid="address-card"][data-address="${address}"]`);

  test.beforeAll(async ({ browser }) => {
    app = await startServedApp();
    page = await browser.newPage();
    errors = watchErrors(page);
    await page.goto(app.appUrl);
    await firstRun(page, { name: 'Alice' });
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    removeDirs(app?.dataDir);
  });

  test('open a spend and an income address: the cards show the tracker’s figures', async () => {
    const spend = await openAddress(page, 'spend');
    aliceSpend = (await spend.getAttribute('data-address'))!;
    expect(aliceSpend).toMatch(/^0x/);
    // 11,000 atoms funded by the tracker, all of it still promisable.
    await expect(spend.getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(spend.getByTestId('address-spend-amount')).toContainText('11,000 atoms');
    await expect(spend.getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '11000');
    await expect(spend.getByTestId('address-spend-price')).toContainText('1,100 atoms');
    await expect(spend.getByTestId('address-spend-price')).toContainText('MiB');
    await expect(spend.getByTestId('address-spend-volume')).toContainText('0 B');
    await expect(spend.getByTestId('address-spend-countdown')).toHaveAttribute('data-state', 'ok');
    await expect(spend.getByTestId('address-spend-countdown')).toHaveText(/^(29m \d+s|30m 0s) left$/);

    const income = await openAddress(page, 'income');
    aliceIncome = (await income.getAttribute('data-address'))!;
    expect(aliceIncome).not.toBe(aliceSpend);
    await expect(income.getByTestId('address-income-amount')).toHaveAttribute('data-atoms', '0');
    await expect(income.getByTestId('address-income-limit')).toHaveAttribute('data-atoms', '0');
    await expect(income.getByTestId('address-income-price')).toContainText('900 atoms');
    await expect(page.getByTestId('no-open-addresses')).toHaveCount(0);
    await expect(page.locator('[data-testid="address-card"]')).toHaveCount(2);

    // The opens are in the history (synced after each write or on demand).
    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    await expect(page.getByTestId('history-count')).toContainText(/of [2-9]/);
    await expect(page.locator('[data-testid="history-row"]').filter({ hasText: 'Open spend' })).toHaveCount(
      1,
    );
    await nav(page, 'dashboard');
  });

  test('a transfer channel between two local identities: opened, then closed with a settlement', async () => {
    await addIdentityInSettings(page, 'Bob');
    await useIdentity(page, 'Bob');
    await nav(page, 'dashboard');
    bobIncome = (await (await openAddress(page, 'income')).getAttribute('data-address'))!;
    await useIdentity(page, 'Alice');
    await nav(page, 'dashboard');
    await expect(card(aliceSpend)).toBeVisible();

    await nav(page, 'channels');
    await expect(page.getByTestId('channels-empty')).toBeVisible();
    await page.getByTestId('channels-new').click();
    const dialog = page.getByTestId('new-channel');
    await expect(dialog).toBeVisible();
    const preview = page.getByTestId('new-channel-preview');
    await expect(preview).toHaveAttribute('data-state', 'ok');
    // Defect 1: Cancel, then New channel again: the same prefilled draft is previewed and can be opened.
    await page.getByTestId('new-channel').getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await page.getByTestId('channels-new').click();
    await expect(preview).toHaveAttribute('data-state', 'ok');
    await expect(preview).not.toContainText('Fill in the fields');
    await expect(page.getByTestId('new-channel-submit')).toBeEnabled();
    await expect(page.getByTestId('new-channel-spend')).toHaveValue(aliceSpend);
    await expect(page.getByTestId('new-channel-spend-info')).toContainText('11,000');
    await page.getByTestId('new-channel-local').check();
    await page.getByTestId('new-channel-payee').selectOption({ label: 'Bob' });
    await expect(page.getByTestId('new-channel-to')).toHaveValue(bobIncome);
    // The spend address's price is the default; 5 quanta of 1 MiB reserve 5 × 1,100 atoms.
    await expect(page.getByTestId('new-channel-price')).toHaveValue('1100');
    await expect(page.getByTestId('new-channel-power')).toHaveValue('20');
    await page.getByTestId('new-channel-planned').fill('5');
    await expect(preview).toHaveAttribute('data-state', 'ok');
    await expect(page.getByTestId('new-channel-reservation')).toHaveAttribute('data-atoms', '5500');
    await expect(page.getByTestId('new-channel-planned-bytes')).toHaveText('5 MiB');

    // Defect 4: a payee address mistyped by one character is said to have a wrong checksum, at the field.
    await page.getByTestId('new-channel-remote').check();
    await page.getByTestId('new-channel-pem').fill(generateRsaKeyPair().publicPem);
    const body = bobIncome.slice(-40);
    const typo = bobIncome.slice(0, -40) + body.slice(0, 7) + (body[7] === 'q' ? 'r' : 'q') + body.slice(8);
    await page.getByTestId('new-channel-remote-to').fill(typo);
    await expect(page.getByTestId('new-channel-remote-to-error')).toContainText('checksum');
    await expect(page.getByTestId('new-channel-remote-to')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('new-channel-submit')).toBeDisabled();
    await page.getByTestId('new-channel-local').check();
    await expect(page.getByTestId('new-channel-to')).toHaveValue(bobIncome);

    // Too many quanta for the spend limit: the preview says so and the button stays off.
    await page.getByTestId('new-channel-planned').fill('11');
    await expect(preview).toHaveAttribute('data-state', 'problems');
    await expect(page.getByTestId('new-channel-problems')).toBeVisible();
    // Defect 5: the numbers grouped, in atoms, beside the field they are about.
    await expect(page.getByTestId('new-channel-planned-error')).toHaveText(
      'The reservation of 12,100 atoms exceeds the spend address limit of 11,000 atoms.',
    );
    await expect(page.getByTestId('new-channel-submit')).toBeDisabled();
    await page.getByTestId('new-channel-planned').fill('5');
    await expect(preview).toHaveAttribute('data-state', 'ok');
    await screenshot(page, 'channels-new');

    // Defect 8: Bob, the payee, was locked meanwhile (auto-lock, or by hand): the dialog asks for his
    // passphrase in place and then opens the channel: no error to dismiss, no second click.
    await page.getByTestId('new-channel').getByRole('button', { name: 'Cancel' }).click();
    await nav(page, 'settings');
    await page.getByTestId('identity-item').filter({ hasText: 'Bob' }).getByTestId('identity-lock').click();
    await expect(
      page.getByTestId('identity-item').filter({ hasText: 'Bob' }).getByTestId('identity-unlock'),
    ).toBeVisible();
    await nav(page, 'channels');
    await page.getByTestId('channels-new').click();
    await page.getByTestId('new-channel-payee').selectOption({ label: 'Bob' });
    await page.getByTestId('new-channel-planned').fill('5');
    await expect(preview).toHaveAttribute('data-state', 'ok');
    await page.getByTestId('new-channel-submit').click();
    await expect(page.getByTestId('inline-unlock')).toContainText('Bob is locked');
    await expect(page.getByTestId('inline-unlock-passphrase')).toBeFocused();
    await page.getByTestId('inline-unlock-passphrase').fill(PASSPHRASE);
    await page.getByTestId('inline-unlock-passphrase').press('Enter');
    await expect(dialog).toBeHidden();
    const row = page.getByTestId('channel-row');
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-state', 'open');
    channelId = (await row.getAttribute('data-channel-id'))!;
    await expect(row.getByTestId('channel-counterparty-name')).toHaveText('Bob');
    await expect(row.getByTestId('channel-countdown')).toBeVisible();

    // The spend card: the amount is unchanged, 5,500 atoms of the limit are reserved.
    await nav(page, 'dashboard');
    await expect(card(aliceSpend).getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '11000');
    await expect(card(aliceSpend).getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '5500');
    await expect(card(aliceSpend).getByTestId('address-spend-channels')).toHaveText('Open channels: 1');
    await screenshot(page, 'dashboard');
    // The same screen in the dark theme.
    await nav(page, 'settings');
    await page.getByTestId('settings-theme-dark').check();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await nav(page, 'dashboard');
    await screenshot(page, 'dark');
    await nav(page, 'settings');
    await page.getByTestId('settings-theme-system').check();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'system');
    await nav(page, 'dashboard');

    // An address with an open channel cannot be closed: the confirmation says why.
    await card(aliceSpend).getByTestId('address-spend-close').click();
    await expect(page.getByTestId('confirm-close-blocked')).toContainText('1');
    // Defect 7: "Close address" is off while the tracker would refuse, and says why.
    await expect(page.getByTestId('confirm-close-ok')).toBeDisabled();
    await expect(page.getByTestId('confirm-close-ok')).toHaveAttribute(
      'aria-describedby',
      'confirm-close-blocked',
    );
    await page.getByTestId('confirm-close-cancel').click();
    await expect(page.getByTestId('confirm-close')).toBeHidden();

    // Close after 2.5 MiB: 3 started quanta are paid, 3 × 1,100 = 3,300 atoms.
    await nav(page, 'channels');
    await row.getByTestId('channel-close').click();
    await expect(page.getByTestId('close-channel')).toBeVisible();
    // Defect 6: 2.5 MiB typed as such, converted exactly.
    await expect(page.getByTestId('close-channel-unit')).toHaveValue('MiB');
    await page.getByTestId('close-channel-volume').fill('2.5');
    await expect(page.getByTestId('close-channel-quanta')).toHaveText('3');
    await expect(page.getByTestId('close-channel-tokens')).toHaveAttribute('data-atoms', '3300');
    await expect(page.getByTestId('close-channel-bytes')).toHaveText('2.5 MiB');
    // More than planned is refused before it reaches the tracker.
    await page.getByTestId('close-channel-unit').selectOption('MiB');
    await page.getByTestId('close-channel-volume').fill('6');
    await expect(page.getByTestId('close-channel-problems')).toBeVisible();
    await expect(page.getByTestId('close-channel-submit')).toBeDisabled();
    await page.getByTestId('close-channel-unit').selectOption('KiB');
    await page.getByTestId('close-channel-volume').fill(String((2.5 * MiB) / 1024));
    await expect(page.getByTestId('close-channel-bytes')).toHaveText('2.5 MiB');
    await expect(page.getByTestId('close-channel-tokens')).toHaveAttribute('data-atoms', '3300');
    await page.getByTestId('close-channel-submit').click();
    await expect(page.getByTestId('close-channel')).toBeHidden();
    await expect(row).toHaveAttribute('data-state', 'closed');
    await expect(row).toContainText('2.5 MiB');
    await expect(row).toContainText('0.33 TP');

    // Alice paid 3,300 atoms: 7,700 left and all of it promisable again.
    await nav(page, 'dashboard');
    await expect(card(aliceSpend).getByTestId('address-spend-amount')).toHaveAttribute('data-atoms', '7700');
    await expect(card(aliceSpend).getByTestId('address-spend-limit')).toHaveAttribute('data-atoms', '7700');
    await expect(card(aliceSpend).getByTestId('address-spend-volume')).toContainText('2.5 MiB');
    await expect(card(aliceSpend).getByTestId('address-spend-channels')).toHaveCount(0);

    // Bob earned them on his income address.
    await useIdentity(page, 'Bob');
    await nav(page, 'dashboard');
    await expect(card(bobIncome).getByTestId('address-income-amount')).toHaveAttribute('data-atoms', '3300');
    await nav(page, 'channels');
    const bobRow = page.locator(`[data-testid="channel-row"][data-channel-id="${channelId}"]`);
    await expect(bobRow).toHaveAttribute('data-state', 'closed');
    await expect(bobRow.getByTestId('channel-counterparty-name')).toHaveText('Alice');
  });

  test('daily use: channel filter, signed history with named addresses and balances, a QR of the income address', async () => {
    // Bob (active): his one channel is closed, so "Open" shows none and says so; "Closed" shows it.
    await nav(page, 'channels');
    const bobRow = page.locator(`[data-testid="channel-row"][data-channel-id="${channelId}"]`);
    await expect(page.getByTestId('channels-count-closed')).toHaveText('1');
    await page.getByTestId('channels-show-open').check();
    await expect(page.getByTestId('channels-none-shown')).toBeVisible();
    await expect(bobRow).toHaveCount(0);
    // Keyboard: arrows move between the filter's radios, as in any radio group.
    await page.getByTestId('channels-show-open').press('ArrowRight');
    await expect(page.getByTestId('channels-show-closed')).toBeChecked();
    await expect(bobRow).toBeVisible();
    await page.getByTestId('channels-group').selectOption('kind');
    await expect(page.getByTestId('channel-group-title')).toContainText('earning');
    await page.getByTestId('channels-group').selectOption('none');
    await page.getByTestId('channels-show-all').check();

    // Bob's history: the settlement is + earned, on "my income".
    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    const earned = page
      .locator('[data-testid="history-row"][data-flow="in"]')
      .filter({ hasText: 'Close channel' });
    await expect(earned).toHaveCount(1, { timeout: 30_000 });
    await expect(earned.getByTestId('history-amount')).toHaveText(/\+0\.33 TP/);
    await expect(earned.getByTestId('history-to-name')).toContainText('my income');
    await earned.click();
    const balance = page.locator(`[data-testid="detail-balance"][data-address="${bobIncome}"]`);
    await expect(balance).toHaveAttribute('data-before', '0');
    await expect(balance).toHaveAttribute('data-after', '3300');
    await expect(balance).toContainText('my income');
    await page.getByTestId('history-detail-close').click();

    // The income address to share: a QR code a scanner reads back, with Copy.
    await nav(page, 'dashboard');
    await card(bobIncome).getByTestId('address-income-qr').click();
    const dialog = page.getByTestId('qr-income');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('qr-income-value')).toHaveText(bobIncome);
    const png = PNG.sync.read(await page.getByTestId('qr-income-code').screenshot());
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(bobIncome);
    await screenshot(page, 'qr-income');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    // And the owner's public key, from Settings.
    await nav(page, 'settings');
    await page
      .getByTestId('identity-item')
      .filter({ hasText: 'Bob' })
      .getByTestId('identity-qr-public')
      .click();
    await expect(page.getByTestId('qr-public-key-code')).toBeVisible();
    await expect(page.getByTestId('qr-public-key-value')).toContainText('-----BEGIN PUBLIC KEY-----');
    await expect(page.getByTestId('qr-public-key')).not.toContainText('PRIVATE');
    await page.getByTestId('qr-public-key-done').click();

    // Alice's side of the same settlement: − paid, from "my spend"; her spend balance 11,000 → 7,700.
    await useIdentity(page, 'Alice');
    await nav(page, 'history');
    await page.getByTestId('history-sync').click();
    const paid = page
      .locator('[data-testid="history-row"][data-flow="out"]')
      .filter({ hasText: 'Close channel' });
    await expect(paid).toHaveCount(1, { timeout: 30_000 });
    await expect(paid.getByTestId('history-amount')).toHaveText(/−0\.33 TP/);
    await expect(paid.getByTestId('history-from-name')).toContainText('my spend');
    await paid.click();
    const spendBalance = page.locator(`[data-testid="detail-balance"][data-address="${aliceSpend}"]`);
    await expect(spendBalance).toHaveAttribute('data-before', '11000');
    await expect(spendBalance).toHaveAttribute('data-after', '7700');
    await page.getByTestId('history-detail-close').click();
    await useIdentity(page, 'Bob');
    expect(errors).toEqual([]);
  });

  test('closing addresses: the confirmation states the consequence, the card moves to closed', async () => {
    // Bob's income address holds 3,300 atoms: closing it pays them to his common address.
    await nav(page, 'dashboard');
    await card(bobIncome).getByTestId('address-income-close').click();
    await expect(page.getByTestId('confirm-close-message')).toHaveText(
      '3,300 atoms are paid to your common address.',
    );
    await page.getByTestId('confirm-close-ok').click();
    await expect(page.getByTestId('confirm-close')).toBeHidden();
    await expect(card(bobIncome)).toHaveCount(0);
    await expect(page.getByTestId('no-open-addresses')).toBeVisible();
    await expect(page.getByTestId('common-earned')).toHaveAttribute('data-atoms', '3300');
    await showClosed(page);
    await expect(page.locator(`[data-testid="closed-row"][data-address="${bobIncome}"]`)).toContainText(
      'closed',
    );

    // Alice's spend address returns what is left (7,700 atoms) to the tracker.
    await useIdentity(page, 'Alice');
    await nav(page, 'dashboard');
    await card(aliceSpend).getByTestId('address-spend-close').click();
    await expect(page.getByTestId('confirm-close-message')).toHaveText('7,700 atoms return to the tracker.');
    await expect(page.getByTestId('confirm-close-blocked')).toHaveCount(0);
    await page.getByTestId('confirm-close-ok').click();
    await expect(card(aliceSpend)).toHaveCount(0);
    await expect(page.locator('[data-testid="address-card"]')).toHaveCount(1);

    await card(aliceIncome).getByTestId('address-income-close').click();
    await expect(page.getByTestId('confirm-close-message')).toHaveText(
      '0 atoms are paid to your common address.',
    );
    await page.getByTestId('confirm-close-cancel').click();
    await expect(card(aliceIncome)).toBeVisible();

    await showClosed(page);
    await expect(page.locator(`[data-testid="closed-row"][data-address="${aliceSpend}"]`)).toBeVisible();
    expect(errors).toEqual([]);
  });
});
