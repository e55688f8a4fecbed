import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };

/**
 * Renderer vendor chunks: the libraries change less often than the app, so a browser (served mode)
 * keeps them cached across app updates. Screens are split by route in App.vue (lazy views); the
 * list virtualizer and the icons follow the screens that use them.
 */
const VENDOR_CHUNKS: [chunk: string, pattern: RegExp][] = [
  ['vendor-vue', /node_modules\/(@vue|vue|pinia|vue-i18n|@intlify)\//],
  ['vendor-zod', /node_modules\/zod\//],
];
function vendorChunk(id: string): string | undefined {
  return VENDOR_CHUNKS.find(([, pattern]) => pattern.test(id))?.[0];
}

export default defineConfig({
  main: {
    build: {
      // Every package.json dependency (better-sqlite3, ws, conf, electron-store, ...) stays a runtime require.
      externalizeDeps: true,
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(root, 'electron/main/index.ts'),
          // Entry for the embedded tracker, started with utilityProcess.fork(out/main/ledger.js).
          ledger: resolve(root, 'ledger/embedded.ts'),
        },
      },
    },
  },
  preload: {
    define: {
      __APP_VERSION__: JSON.stringify(pkg.version),
    },
    build: {
      // Sandboxed preloads run as classic scripts: CommonJS, one self-contained file, only `electron` required.
      externalizeDeps: false,
      outDir: resolve(root, 'out/preload'),
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          chunkFileNames: 'chunks/[name]-[hash].cjs',
        },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    plugins: [vue()],
    // Whitespace and syntax minified, names kept: readable stacks, and the bundle test
    // (tests/integration/renderer-bundle.test.ts) can still see what Vue's runtime calls.
    esbuild: { minifyIdentifiers: false },
    define: {
      // vue-i18n esm-bundler feature flags: Composition API only, no devtools hooks in production.
      __VUE_I18N_FULL_INSTALL__: JSON.stringify(true),
      __VUE_I18N_LEGACY_API__: JSON.stringify(false),
      __INTLIFY_PROD_DEVTOOLS__: JSON.stringify(false),
    },
    build: {
      outDir: resolve(root, 'out/renderer'),
      // electron-vite leaves the renderer unminified; it is also served over the network.
      minify: 'esbuild',
      rollupOptions: {
        input: { index: resolve(root, 'renderer/index.html') },
        output: {
          manualChunks: vendorChunk,
          // Shared component chunks are named after the component, not Vue's compiled part of it.
          chunkFileNames: (chunk) => `assets/${chunk.name.replace(/\.vue_vue_type.*$/, '')}-[hash].js`,
        },
      },
    },
  },
});
