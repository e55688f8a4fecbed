/**
 * The layers are enforced by lint (eslint.config.js): the services, the tracker and the shared code
 * never import Electron or the shell; the renderer never imports node-only modules. Each rule is
 * run on a one-line module placed where it would live.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
let eslint: ESLint;

// The first lint loads every plugin: seconds on a busy machine, so it happens here, unhurried.
beforeAll(async () => {
  eslint = new ESLint({ cwd: root });
  await eslint.lintText('export {};\n', { filePath: 'shared/warm-up.ts' });
}, 120_000);

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const x = y;\n`, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint enforces the layers', { timeout: 60_000 }, () => {
  it.each([
    ['electron/services/app/new.ts', `import { app as y } from 'electron';`],
    ['electron/services/app/new.ts', `import y from '../../main/adapters';`],
    ['electron/services/history/new.ts', `import type { IpcMain as y } from 'electron';`],
    ['ledger/engine/new.ts', `import { app as y } from 'electron';`],
    ['ledger/new.ts', `import y from '../electron/main/index';`],
    ['shared/crypto/new.ts', `import { safeStorage as y } from 'electron';`],
    ['shared/api/new.ts', `import { ipcRenderer as y } from 'electron';`],
  ])('%s may not import Electron or the shell (%s)', async (file, code) => {
    expect((await restricted(file, code)).join(' ')).toMatch(/Electron|renderer|main process/);
  });

  it.each([
    [`import y from 'node:fs';`],
    [`import y from 'fs';`],
    [`import y from 'better-sqlite3';`],
    [`import y from 'ws';`],
    [`import y from 'conf';`],
    [`import y from 'electron-store';`],
    [`import y from '../../../shared/crypto/keys';`],
    [`import y from '../../../electron/services/app/reconciler';`],
    [`import y from '../../../ledger/engine/ledger';`],
  ])('the renderer may not import node-only code (%s)', async (code) => {
    expect(await restricted('renderer/src/stores/new.ts', code)).not.toEqual([]);
  });

  it('allows what each layer is for', async () => {
    expect(await restricted('electron/main/new.ts', `import { app as y } from 'electron';`)).toEqual([]);
    expect(await restricted('electron/services/app/new.ts', `import y from 'node:fs';`)).toEqual([]);
    expect(
      await restricted('renderer/src/stores/new.ts', `import y from '../../../shared/api/models';`),
    ).toEqual([]);
  });
});
