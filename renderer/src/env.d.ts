/// <reference types="vite/client" />

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

/** Exposed by electron/preload/index.ts (placeholder until the typed API lands). */
interface Window {
  readonly api: {
    readonly version: string;
  };
}
