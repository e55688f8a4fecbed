/**
 * Steps the end-to-end specs share: each one drives the real UI (test ids of renderer/TESTIDS.md)
 * the way a user does. Nothing here reaches around the app.
 */
import { expect, type Download, type Locator, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(root, 'docs/screenshots');

/** A passphrase long enough for the served app's key protection (≥ 8 characters). */
export const PASSPHRASE = 'correct horse battery';

/** Saves a screenshot of the main screens for the README (overwritten on every run). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // No caret, no animation mid-turn, no passing toasts in the pictures. The toasts are hidden
  // through the CSSOM: a style sheet injected by the screenshot would break the page's CSP.
  const setToasts = (visibility: string) =>
    page.evaluate((v) => {
      const toasts = document.querySelector<HTMLElement>('[data-testid="toasts"]');
      if (toasts) toasts.style.visibility = v;
    }, visibility);
  await setToasts('hidden');
  try {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled', caret: 'hide' });
  } finally {
    await setToasts('');
  }
}

export function statusState(page: Page): Locator {
  return page.getByTestId('status-state');
}

export async function expectOnline(page: Page, timeout = 30_000): Promise<void> {
  await expect(statusState(page)).toHaveAttribute('data-state', 'online', { timeout });
}

/** Fills the create form (onboarding or settings: `prefix` is the form's test id). */
export async function fillCreateForm(page: Page, prefix: string, name: string, passphrase = PASSPHRASE) {
  await page.getByTestId(`${prefix}-name`).fill(name);
  await page.getByTestId(`${prefix}-passphrase`).fill(passphrase);
  await page.getByTestId(`${prefix}-confirm`).fill(passphrase);
  await page.getByTestId(`${prefix}-submit`).click();
}

/** First run: create an identity, keep the preselected tracker (or pick `trackerUrl`), connect. */
export async function firstRun(
  page: Page,
  opts: { name: string; passphrase?: string; trackerUrl?: string; trackerName?: string; shot?: string },
): Promise<void> {
  await expect(page.getByTestId('onboarding')).toBeVisible();
  await fillCreateForm(page, 'onboarding-create-form', opts.name, opts.passphrase);
  // The new identity is picked and listed with its name.
  await expect(page.getByTestId('onboarding').getByText(opts.name, { exact: true })).toBeVisible();
  if (opts.trackerUrl)
    await addTrackerOnboarding(page, opts.trackerName ?? 'Shared tracker', opts.trackerUrl);
  if (opts.shot) await screenshot(page, opts.shot);
  await page.getByTestId('onboarding-connect').click();
  await expect(page.getByTestId('view-dashboard')).toBeVisible();
  if (opts.trackerUrl) await trustFirstKey(page);
  await expectOnline(page);
}

/**
 * The first connection to a remote tracker: the app shows its key's fingerprint and waits; the
 * owner trusts it (compared with `fingerprint` when given). Resolves once the dialog closed.
 */
export async function trustFirstKey(page: Page, fingerprint?: string): Promise<void> {
  const dialog = page.getByTestId('trust-tracker');
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(statusState(page)).toHaveAttribute('data-state', 'key_new');
  if (fingerprint) await expect(page.getByTestId('trust-tracker-fingerprint')).toHaveText(fingerprint);
  await page.getByTestId('trust-tracker-accept').click();
  await expect(dialog).toBeHidden();
}

/** Adds a remote tracker on the onboarding screen and selects it. */
export async function addTrackerOnboarding(page: Page, name: string, url: string): Promise<void> {
  await page.getByTestId('onboarding-add-tracker').click();
  await page.getByTestId('onboarding-tracker-form-name').fill(name);
  await page.getByTestId('onboarding-tracker-form-url').fill(url);
  await page.getByTestId('onboarding-tracker-form-submit').click();
  const choice = page.locator('[data-testid^="onboarding-tracker-"]').filter({ hasText: name });
  await expect(choice.locator('input[type=radio]')).toBeChecked();
}

/** Goes to a view through the tab bar. */
export async function nav(page: Page, view: 'dashboard' | 'channels' | 'history' | 'contacts' | 'settings') {
  await page.getByTestId(`nav-${view}`).click();
  await expect(page.getByTestId(`view-${view}`)).toBeVisible();
}

/** Opens a spend or income address through the confirmation; resolves with its card. */
export async function openAddress(page: Page, kind: 'spend' | 'income'): Promise<Locator> {
  const cards = page.locator(`[data-testid="address-card"][data-kind="${kind}"]`);
  const before = await cards.count();
  await page.getByTestId(`open-${kind}`).click();
  await expect(page.getByTestId('confirm-open')).toBeVisible();
  await page.getByTestId('confirm-open-ok').click();
  await expect(page.getByTestId('confirm-open')).toBeHidden();
  await expect(cards).toHaveCount(before + 1);
  return cards.first();
}

/** Adds an identity from the settings screen (passphrase mode) and comes back to where it was. */
export async function addIdentityInSettings(page: Page, name: string, passphrase = PASSPHRASE) {
  await nav(page, 'settings');
  await page.getByTestId('identity-create').click();
  await expect(page.getByTestId('identity-dialog')).toBeVisible();
  await fillCreateForm(page, 'identity-create-form', name, passphrase);
  await expect(page.getByTestId('identity-dialog')).toBeHidden();
  await expect(page.getByTestId('identity-item').filter({ hasText: name })).toBeVisible();
}

/** Switches the active identity in the top bar and waits until it is connected. */
export async function useIdentity(page: Page, name: string): Promise<void> {
  await page.getByTestId('identity-switch').selectOption({ label: name });
  await expect(page.getByTestId('status-identity')).toHaveText(name);
  await expectOnline(page);
}

/** Removes the temp folders a spec made (data folders of hosts and trackers), once they are stopped. */
export function removeDirs(...dirs: (string | undefined)[]): void {
  for (const d of dirs) if (d) rmSync(d, { recursive: true, force: true });
}

let downloadsDir: string | null = null;
process.once('exit', () => removeDirs(downloadsDir ?? undefined));

/**
 * Runs `action`, which makes the page download a file; saves it under the name the app suggested
 * (as a browser would) and resolves with its path and text.
 */
export async function downloadOf(
  page: Page,
  action: () => Promise<void>,
): Promise<{ name: string; path: string; text: string }> {
  const [download] = (await Promise.all([page.waitForEvent('download'), action()])) as [Download, void];
  downloadsDir ??= mkdtempSync(join(tmpdir(), 'wt-e2e-downloads-'));
  const dir = mkdtempSync(join(downloadsDir, 'd-'));
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return { name: download.suggestedFilename(), path, text: readFileSync(path, 'utf8') };
}

/**
 * A page that fails the test on any uncaught error in the renderer, and on anything the Content
 * Security Policy blocked or complained about (an inline style, a misplaced directive).
 */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(`CSP: ${m.text()}`);
  });
  return errors;
}
