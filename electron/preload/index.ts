/**
 * Sandboxed preload: exposes exactly two functions as `window.api` (see ApiTransport in
 * shared/api/contract.ts and renderer/src/env.d.ts). Everything is validated again in the main
 * process; the checks here only keep the renderer from reaching arbitrary IPC channels.
 *
 * contextBridge copies only the message of an Error thrown across it, so a failed call rejects with
 * an Error whose message is `[CODE] text`; renderer/src/api/errors.ts turns it back into {code, message}.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { isEventName, isRequestName } from '../../shared/api/contract';

const INVOKE_CHANNEL = 'api:invoke';
const EVENT_CHANNEL = 'api:event';

function apiError(code: string, message: string): Error {
  const error = new Error(`[${code}] ${message}`);
  return Object.assign(error, { code });
}

async function invoke(name: unknown, args: unknown): Promise<unknown> {
  if (!isRequestName(name)) throw apiError('UNKNOWN_METHOD', `unknown method ${String(name)}`);
  let reply: unknown;
  try {
    reply = await ipcRenderer.invoke(INVOKE_CHANNEL, name, args);
  } catch (e) {
    throw apiError('TRANSPORT', e instanceof Error ? e.message : String(e));
  }
  if (reply && typeof reply === 'object') {
    if ('error' in reply) {
      const { code, message } = (reply as { error: { code?: unknown; message?: unknown } }).error;
      throw apiError(String(code ?? 'INTERNAL'), String(message ?? 'request failed'));
    }
    if ('result' in reply) return (reply as { result: unknown }).result;
  }
  throw apiError('TRANSPORT', 'malformed reply from the main process');
}

/** One IPC listener fans events out to the renderer's subscriptions. */
const listeners = new Map<string, Set<(payload: unknown) => void>>();
ipcRenderer.on(EVENT_CHANNEL, (_e: IpcRendererEvent, name: unknown, payload: unknown) => {
  if (typeof name !== 'string') return;
  for (const listener of listeners.get(name) ?? []) {
    try {
      listener(payload);
    } catch (err) {
      console.error(`api: listener for ${name} failed`, err);
    }
  }
});

function on(event: unknown, listener: unknown): () => void {
  if (!isEventName(event)) throw apiError('UNKNOWN_EVENT', `unknown event ${String(event)}`);
  if (typeof listener !== 'function') throw apiError('INVALID_ARGUMENT', 'listener must be a function');
  // Wrap it so the same function subscribed twice gets two independent subscriptions.
  const entry = (payload: unknown) => (listener as (payload: unknown) => void)(payload);
  let set = listeners.get(event);
  if (!set) listeners.set(event, (set = new Set()));
  set.add(entry);
  return () => {
    set.delete(entry);
  };
}

contextBridge.exposeInMainWorld('api', Object.freeze({ invoke, on }));
