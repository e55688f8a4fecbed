/**
 * The same journeys through the real Electron app with Playwright's `_electron`, wherever an Electron
 * binary exists. Installs made with `--ignore-scripts` (as here, where the binary cannot be
 * downloaded) have none: the test then reports itself skipped with the reason.
 */
import { test, expect, _electron as electron } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function electronBinary(): string | null {
  const pathTxt = join(root, 'node_modules/electron/path.txt');
  if (!existsSync(pathTxt)) return null;
  const bin = join(root, 'node_modules/electron/dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();

test.describe('Electron app', () => {
  test.skip(
    !binary,
    'no Electron binary: node_modules/electron was installed without its download (npm ci --ignore-scripts)',
  );

  test('first run: create an identity and connect to the embedded tracker', async () => {
    const app = await electron.launch({ executablePath: binary!, args: [join(root, 'out/main/index.js')] });
    try {
      const win = await app.firstWindow();
      await expect(win.getByTestId('onboarding')).toBeVisible();
      // Sandboxed, context-isolated renderer: no Node in the page, only the two API functions.
      const page = await win.evaluate(() => ({
        require: typeof (globalThis as { require?: unknown }).require,
        process: typeof (globalThis as { process?: unknown }).process,
        api: Object.keys((window as unknown as { api: object }).api).sort(),
      }));
      expect(page).toEqual({ require: 'undefined', process: 'undefined', api: ['invoke', 'on'] });
    } finally {
      await app.close();
    }
  });
});
