import { contextBridge } from 'electron';

/** Injected at build time from package.json (see electron.vite.config.ts). */
declare const __APP_VERSION__: string;

/** Placeholder bridge; replaced by the typed API later. Keep in sync with renderer/src/env.d.ts. */
const api = Object.freeze({ version: __APP_VERSION__ });

contextBridge.exposeInMainWorld('api', api);
