/**
 * The renderer's API: `window.api` from the preload in Electron, else the WebSocket bridge client of
 * the plain-Node host (`npm run serve`). Either way calls reject with ApiCallError {code, message}.
 */
import type { ApiTransport } from '../../../shared/api/contract';
import { createBridgeClient, followAddressTokens, type BridgeClient } from './bridge-client';
import { toApiCallError } from './errors';

export { ApiCallError } from './errors';
export type { BridgeState } from './bridge-client';

function electronTransport(bridge: ApiTransport): ApiTransport {
  return {
    invoke: (name, args) =>
      bridge.invoke(name, args).catch((e: unknown) => Promise.reject(toApiCallError(e))),
    on: (event, listener) => bridge.on(event, listener),
  };
}

const preloadApi = window.api;

/** The bridge client when running in a browser; null inside Electron. */
export const bridgeClient: BridgeClient | null = preloadApi ? null : createBridgeClient();
if (bridgeClient) followAddressTokens(bridgeClient);

export const api: ApiTransport = preloadApi
  ? electronTransport(preloadApi)
  : (bridgeClient ?? createBridgeClient());

/**
 * Where the browser can download a file the backend wrote to its exports folder (no token in it:
 * the session cookie signs the download); null in Electron, where the main process saves files.
 */
export function exportDownloadUrl(fileName: string): string | null {
  return bridgeClient ? bridgeClient.exportUrl(fileName) : null;
}
