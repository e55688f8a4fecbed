/**
 * Key safety as a browser user meets it on the served app: the access token leaves the address bar
 * and is traded for an HttpOnly session cookie (no URL, no storage, no request carries it), a reload
 * stays signed in, a new token address pasted into the same tab after a host restart signs in
 * without a reload (issue 7, defect 10), exporting a key asks for the identity's passphrase again,
 * and Settings → Security sets the auto-lock time and locks everything at once. Every page also
 * runs under the strict CSP (no inline styles): watchErrors fails on any CSP report.
 */
import { test, expect, type Page } from '@playwright/test';
import { startServedApp, type ServedApp } from './serve-host';
import { PASSPHRASE, downloadOf, expectOnline, firstRun, nav, removeDirs, watchErrors } from './app-helpers';

test.describe.serial('security in the served app', () => {
  let app: ServedApp;
  let page: Page;
  let errors: string[];
  /** Every URL the page requested or opened a socket to, and every token the host was started with. */
  const urls: string[] = [];
  const tokens: string[] = [];

  test.beforeAll(async () => {
    app = await startServedApp();
    tokens.push(app.token);
  });
  test.afterAll(async () => {
    await page?.close();
    await app?.stop();
    removeDirs(app?.dataDir);
  });

  test('the token leaves the address bar for an HttpOnly cookie; a reload stays signed in', async ({
    browser,
  }) => {
    page = await browser.newPage();
    errors = watchErrors(page);
    // A fragment never leaves the browser: what counts is what is sent.
    page.on('request', (r) => urls.push(r.url().replace(/#.*$/, '')));
    page.on('websocket', (ws) => urls.push(ws.url()));
    await page.goto(app.appUrl);
    await firstRun(page, { name: 'Alice' });
    expect(page.url()).not.toContain('token');

    const cookies = await page.context().cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: `wt_session_${app.port}`,
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
    });
    expect(cookies[0]!.value).not.toContain(app.token);
    const visible = await page.evaluate(() => ({
      cookie: document.cookie,
      session: JSON.stringify({ ...sessionStorage }),
      local: JSON.stringify({ ...localStorage }),
      history: history.length,
    }));
    expect(visible.cookie).toBe('');
    expect(visible.session).not.toContain(app.token);
    expect(visible.local).not.toContain(app.token);

    await page.reload();
    await expect(page.getByTestId('view-dashboard')).toBeVisible();
    await expectOnline(page);
    expect(page.url()).not.toContain('token');
    expect(errors).toEqual([]);
  });

  test('after a host restart, the new token address pasted into the same tab signs in without a reload', async () => {
    const { port, dataDir } = app;
    await app.stop();
    app = await startServedApp({ dataDir, port });
    tokens.push(app.token);
    // The old session belongs to the old token: the tab is refused and says what to do.
    await expect(page.getByTestId('host-signed-out')).toBeVisible({ timeout: 30_000 });
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    await page.goto(app.appUrl);
    await expect(page.getByTestId('host-signed-out')).toBeHidden();
    // A restarted host holds no decrypted key: the app reloaded its state and asks to unlock.
    await expect(page.getByTestId('unlock')).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    expect(page.url()).not.toContain('token');
    await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
    await page.getByTestId('unlock-submit').click();
    await expect(page.getByTestId('unlock')).toBeHidden();
    await expectOnline(page);
    expect(errors).toEqual([]);
  });

  test('exporting a key asks for the identity’s passphrase again, even though it is unlocked', async () => {
    await nav(page, 'settings');
    await page
      .getByTestId('identity-item')
      .filter({ hasText: 'Alice' })
      .getByTestId('identity-export')
      .click();
    const dialog = page.getByTestId('export-identity');
    await expect(dialog).toBeVisible();
    await page.getByTestId('export-passphrase').fill('file passphrase 1');
    await page.getByTestId('export-confirm').fill('file passphrase 1');
    // Without the identity's passphrase the export cannot be submitted.
    await expect(page.getByTestId('export-submit')).toBeDisabled();
    await page.getByTestId('export-current').fill('not the passphrase');
    await page.getByTestId('export-submit').click();
    await expect(page.getByTestId('export-error')).toContainText('passphrase is wrong');

    await page.getByTestId('export-current').fill(PASSPHRASE);
    const file = await downloadOf(page, () => page.getByTestId('export-submit').click());
    expect(file.name).toBe('Alice.key.pem');
    expect(file.text).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    await expect(page.getByTestId('export-done')).toBeVisible();
    await dialog.getByRole('button', { name: 'Close', exact: true }).last().click();
    await expect(dialog).toBeHidden();
    expect(errors).toEqual([]);
  });

  test('Settings → Security: the auto-lock time is kept; “Lock all” asks for the passphrase again', async () => {
    const minutes = page.getByTestId('settings-autolock');
    await expect(minutes).toHaveValue('15');
    await minutes.fill('5');
    await minutes.press('Enter');
    await page.reload();
    await nav(page, 'settings');
    await expect(page.getByTestId('settings-autolock')).toHaveValue('5');

    await page.getByTestId('settings-lock-all').click();
    await expect(page.getByTestId('settings-locked')).toBeVisible();
    await expect(page.getByTestId('unlock')).toBeVisible();
    await expect(page.getByTestId('status-unlock')).toBeVisible();
    await page.getByTestId('unlock-passphrase').fill(PASSPHRASE);
    await page.getByTestId('unlock-submit').click();
    await expectOnline(page);
    expect(errors).toEqual([]);
  });

  test('no request, socket or download carried a token', () => {
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) for (const token of tokens) expect(url).not.toContain(token);
    expect(urls.some((u) => u.endsWith('/api'))).toBe(true);
  });
});
