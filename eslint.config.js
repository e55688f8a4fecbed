// @ts-check
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import prettier from 'eslint-config-prettier/flat';
import globals from 'globals';

/** The renderer is a sandboxed web page: no Electron, no Node, no server or node-only crypto code. */
const rendererRestrictedImports = {
  paths: [
    { name: 'electron', message: 'The renderer talks to the main process only through window.api.' },
    { name: 'better-sqlite3', message: 'Database access lives in the main process / ledger.' },
    { name: 'ws', message: 'Use the browser WebSocket (or window.api) in the renderer.' },
    { name: 'conf', message: 'Settings live in the main process; the renderer asks through window.api.' },
    {
      name: 'electron-store',
      message: 'Settings live in the main process; the renderer asks through window.api.',
    },
    ...builtinModules.map((name) => ({ name, message: 'Node built-ins are unavailable in the renderer.' })),
  ],
  patterns: [
    { group: ['node:*'], message: 'Node built-ins are unavailable in the renderer.' },
    { group: ['electron/*'], message: 'The renderer talks to the main process only through window.api.' },
    {
      group: ['**/shared/crypto', '**/shared/crypto/**', 'shared/crypto', 'shared/crypto/**'],
      message: 'shared/crypto is node-only (node:crypto, wasm); use shared/protocol in the renderer.',
    },
    { group: ['**/electron/**'], message: 'Main-process code must not be bundled into the renderer.' },
    {
      group: ['**/ledger/**', 'ledger/**'],
      message: 'Tracker server code must not be bundled into the renderer.',
    },
  ],
};

/**
 * Only the thin Electron shell (electron/main, electron/preload) may import Electron: the services,
 * the tracker and the shared code run in plain Node (and tests exercise them there).
 */
const SHELL_ONLY = 'Only electron/main and electron/preload import Electron; this code runs in plain Node.';
const noElectronImports = {
  paths: [{ name: 'electron', message: SHELL_ONLY }],
  patterns: [
    { group: ['electron/*'], message: SHELL_ONLY },
    {
      group: ['**/electron/main', '**/electron/main/**', '**/electron/preload', '**/electron/preload/**'],
      message: SHELL_ONLY,
    },
    { group: ['../../main', '../../main/**', '../../preload', '../../preload/**'], message: SHELL_ONLY },
  ],
};

export default defineConfig(
  {
    name: 'wallet-tracker/ignores',
    ignores: [
      'out/',
      'dist/',
      'node_modules/',
      'docs/',
      'playwright-report/',
      'test-results/',
      'coverage/',
      'tests/fixtures/',
      '.scratch/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  pluginVue.configs['flat/recommended'],
  {
    name: 'wallet-tracker/vue-typescript',
    files: ['**/*.vue'],
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.vue'],
        sourceType: 'module',
      },
    },
  },
  {
    name: 'wallet-tracker/node-globals',
    files: ['**/*.{js,mjs,cjs,ts,mts,cts}'],
    ignores: ['renderer/**'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.node },
    },
  },
  {
    name: 'wallet-tracker/browser-globals',
    files: ['renderer/**', 'tests/component/**', 'tests/e2e/**'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
  },
  {
    name: 'wallet-tracker/general',
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    name: 'wallet-tracker/renderer-boundary',
    files: ['renderer/**/*.{ts,vue,js,mjs}'],
    rules: {
      'no-restricted-imports': ['error', rendererRestrictedImports],
    },
  },
  {
    name: 'wallet-tracker/no-electron-below-the-shell',
    files: ['electron/services/**/*.ts', 'ledger/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', noElectronImports],
    },
  },
  {
    // Bundled into the renderer too (see tsconfig.web.json), so the same boundary applies transitively.
    name: 'wallet-tracker/browser-safe-shared',
    files: ['shared/protocol/**/*.ts', 'shared/api/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: rendererRestrictedImports.paths,
          patterns: [
            ...rendererRestrictedImports.patterns,
            {
              group: ['../crypto', '../crypto/**'],
              message:
                'shared/protocol and shared/api are bundled into the renderer; shared/crypto is node-only.',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
