/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/**
 * Exposed by electron/preload/index.ts in Electron; absent in a plain browser (the plain-Node host),
 * in component tests and in the web build. Use `api` from renderer/src/api rather than this directly.
 */
interface Window {
  readonly api?: import('../../shared/api/contract').ApiTransport;
}
