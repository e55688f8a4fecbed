/**
 * The Electron IPC transport of the API contract. One invoke channel and one event channel:
 *
 *   renderer → main  `api:invoke` (name, args) → {result} | {error}   (ipcRenderer.invoke / ipcMain.handle)
 *   main → renderer  `api:event`  (name, payload)                      (webContents.send)
 *
 * The logic lives in `createIpcHandlers`, which knows nothing about Electron (only `import type`
 * here), so it runs and is tested in plain Node; `registerApiIpc` is the thin Electron glue.
 * Requests go through the same `dispatch` as the WebSocket bridge, so both transports validate
 * and answer identically.
 */
import { fileURLToPath } from 'node:url';
import type { BrowserWindow, IpcMain, IpcMainInvokeEvent } from 'electron';
import type { EventName } from '../../shared/api/contract';
import { AppError, dispatch, type AppBackend } from '../services/api/backend';

export const INVOKE_CHANNEL = 'api:invoke';
export const EVENT_CHANNEL = 'api:event';

/** What the trust check needs from Electron's `WebFrameMain` (which satisfies it structurally). */
export interface SenderFrame {
  readonly url: string;
  /** null for a top-level frame. */
  readonly parent: unknown;
}

export type DispatchOutcome = Awaited<ReturnType<typeof dispatch>>;

export interface IpcHandlers {
  /** Throws (the renderer sees a rejected invoke) when the sender is not our app's top frame. */
  invoke(sender: SenderFrame | null | undefined, name: unknown, args: unknown): Promise<DispatchOutcome>;
  /** Forwards every backend event to `send`; returns the unsubscribe function. */
  subscribe(send: (event: EventName, payload: unknown) => void): () => void;
}

export function createIpcHandlers(
  backend: AppBackend,
  isTrustedSender: (frame: SenderFrame) => boolean,
): IpcHandlers {
  return {
    async invoke(sender, name, args) {
      if (!isAppTopFrame(sender, isTrustedSender)) {
        throw new AppError('UNTRUSTED_SENDER', 'IPC call from a frame that is not the app');
      }
      return dispatch(backend, name, args);
    },
    subscribe(send) {
      return backend.events.onAny((event, payload) => send(event, payload));
    },
  };
}

/** True for a top-level frame that `isTrustedSender` accepts; sub-frames and unknown senders never pass. */
export function isAppTopFrame(
  frame: SenderFrame | null | undefined,
  isTrustedSender: (frame: SenderFrame) => boolean,
): frame is SenderFrame {
  return !!frame && frame.parent === null && typeof frame.url === 'string' && isTrustedSender(frame);
}

/**
 * URL check for the app's own page: the dev server origin when running `electron-vite dev`, else
 * exactly the built renderer file (any hash or query allowed, no other file:// path).
 */
export function createAppUrlCheck(opts: {
  rendererFile: string;
  devServerUrl?: string | undefined;
}): (url: string) => boolean {
  const devOrigin = opts.devServerUrl ? new URL(opts.devServerUrl).origin : null;
  return (url: string) => {
    try {
      const target = new URL(url);
      if (devOrigin) return target.origin === devOrigin;
      return target.protocol === 'file:' && fileURLToPath(target) === opts.rendererFile;
    } catch {
      return false;
    }
  };
}

/**
 * Registers the `api:invoke` handler and forwards backend events to every window whose page is the
 * app (a window that somehow shows something else gets nothing). Returns a function undoing both.
 */
export function registerApiIpc(
  ipcMain: IpcMain,
  backend: AppBackend,
  isTrustedSender: (frame: SenderFrame) => boolean,
  windows: () => readonly BrowserWindow[],
): () => void {
  const core = createIpcHandlers(backend, isTrustedSender);
  ipcMain.handle(INVOKE_CHANNEL, (event: IpcMainInvokeEvent, name: unknown, args: unknown) =>
    core.invoke(event.senderFrame, name, args),
  );
  const unsubscribe = core.subscribe((name, payload) => {
    for (const win of windows()) {
      if (win.isDestroyed() || win.webContents.isDestroyed()) continue;
      if (!isAppTopFrame(win.webContents.mainFrame, isTrustedSender)) continue;
      win.webContents.send(EVENT_CHANNEL, name, payload);
    }
  });
  return () => {
    ipcMain.removeHandler(INVOKE_CHANNEL);
    unsubscribe();
  };
}
