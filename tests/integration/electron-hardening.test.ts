/**
 * The Electron shell's hardening that cannot run here (no Electron binary): the packaging fuses in
 * electron-builder.yml, checked by electron-builder's own configuration loader and schema; the
 * permission rule both session handlers use; and that the shell wires those handlers and locks the
 * keys on suspend and screen lock (the shell is type-checked; this reads what it registers).
 * The renderer's CSP is checked on the built bundle (renderer-bundle.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { isPermissionAllowed } from '../../electron/main/permissions';
import { createAppUrlCheck } from '../../electron/main/ipc';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('Electron hardening', () => {
  it('electron-builder.yml sets the fuses, and electron-builder accepts it', async () => {
    const config = await getConfig(root, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.asar).not.toBe(false);
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
    // The check is real: a misspelt fuse is refused.
    await expect(
      validateConfiguration(
        { ...config, electronFuses: { runAsNodes: false } } as never,
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/electronFuses/);
  });

  it('grants the app page clipboard writes and nothing else; other pages nothing', () => {
    const rendererFile = join(root, 'out/renderer/index.html');
    const isAppUrl = createAppUrlCheck({ rendererFile });
    const app = `${pathToFileURL(rendererFile).href}#/settings`;
    expect(isPermissionAllowed('clipboard-sanitized-write', app, isAppUrl)).toBe(true);
    for (const permission of [
      'clipboard-read',
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'hid',
    ]) {
      expect(isPermissionAllowed(permission, app, isAppUrl), permission).toBe(false);
    }
    for (const url of ['https://evil.example/', pathToFileURL(join(root, 'package.json')).href, '']) {
      expect(isPermissionAllowed('clipboard-sanitized-write', url, isAppUrl), url).toBe(false);
    }
  });

  it('the shell answers permission requests and checks with that rule, and locks on suspend and screen lock', () => {
    const main = readFileSync(join(root, 'electron/main/index.ts'), 'utf8');
    expect(main).toMatch(/setPermissionRequestHandler\([^]*?isPermissionAllowed\(/);
    expect(main).toMatch(/setPermissionCheckHandler\([^]*?isPermissionAllowed\(/);
    expect(main).toMatch(/powerMonitor\.on\('suspend', lockAll\)/);
    expect(main).toMatch(/powerMonitor\.on\('lock-screen', lockAll\)/);
    expect(main).toMatch(/const lockAll = [^]*?handlers\['identities\.lockAll'\]/);
  });
});
