/**
 * The Electron shell: one window, the API over IPC (./ipc.ts), native notifications. All app logic
 * lives in electron/services behind createAppBackend; this file only wires Electron to it.
 */
import { app, BrowserWindow, dialog, ipcMain, Notification, powerMonitor, session, shell } from 'electron';
import { fileURLToPath } from 'node:url';
import type { AppBackend } from '../services/api/backend';
import { createAppBackend } from '../services/app/create-backend';
import { securePrivateDataDir } from '../services/files/private';
import { createElectronSettingsStore, createSafeStorageProtection, WindowStateKeeper } from './adapters';
import { launchEmbeddedTrackerElectron } from './embedded-tracker';
import { createFileDialogs } from './file-dialogs';
import { createAppUrlCheck, registerApiIpc, type SenderFrame } from './ipc';
import { NOTIFIED_EVENTS, notificationFor, type NotifiedEvent } from './notification-texts';
import { isPermissionAllowed } from './permissions';

const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));
const rendererFile = fileURLToPath(new URL('../renderer/index.html', import.meta.url));
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;

/** True when `url` is the app's own page: the dev server origin in dev, the packaged renderer file otherwise. */
const isAppUrl = createAppUrlCheck({ rendererFile, devServerUrl });
const isTrustedSender = (frame: SenderFrame): boolean => isAppUrl(frame.url);

let backend: AppBackend | null = null;
let windowState: WindowStateKeeper | null = null;

function createWindow(): BrowserWindow {
  windowState ??= new WindowStateKeeper();
  const saved = windowState.load();
  const win = new BrowserWindow({
    ...(saved.x !== undefined && saved.y !== undefined ? { x: saved.x, y: saved.y } : {}),
    width: saved.width,
    height: saved.height,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'Wallet Tracker',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });
  windowState.track(win);

  win.once('ready-to-show', () => {
    if (saved.maximized) win.maximize();
    win.show();
  });

  // No popups; plain http(s) links open in the system browser instead.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//i.test(url) && !isAppUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });

  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererFile);
  return win;
}

function focusMainWindow(): void {
  const [win] = BrowserWindow.getAllWindows();
  if (!win) return;
  if (win.isMinimized()) win.restore();
  win.focus();
}

/** Shows a typed event natively (the renderer shows the same event as a toast), unless turned off. */
async function showNativeNotification(
  backendRef: AppBackend,
  event: NotifiedEvent,
  payload: { identityId: string },
): Promise<void> {
  if (!Notification.isSupported()) return;
  const settings = await backendRef.handlers['settings.get']({});
  if (!settings.notifications) return;
  const identities = await backendRef.handlers['identities.list']({});
  const name = identities.find((i) => i.id === payload.identityId)?.name ?? '';
  const n = notificationFor(event, payload as never, settings.language, name);
  const native = new Notification({ title: n.title, body: n.body, urgency: n.urgency });
  native.on('click', focusMainWindow);
  native.show();
}

async function start(): Promise<void> {
  const keyProtection = createSafeStorageProtection();
  const dataDir = app.getPath('userData');
  // Before electron-store touches them; createAppBackend secures the backend's own files.
  securePrivateDataDir(dataDir, ['settings.json', 'window-state.json']);
  backend = await createAppBackend({
    dataDir,
    mode: 'electron',
    version: app.getVersion(),
    keyProtection,
    settingsStore: createElectronSettingsStore(),
    launchEmbeddedTracker: launchEmbeddedTrackerElectron,
    fileDialogs: createFileDialogs(),
  });
  const current = backend;
  registerApiIpc(ipcMain, current, isTrustedSender, () => BrowserWindow.getAllWindows());
  for (const event of NOTIFIED_EVENTS) {
    current.events.on(event, (payload) => {
      showNativeNotification(current, event, payload).catch((e: unknown) =>
        console.error('notification failed', e),
      );
    });
  }
  // Asleep or behind a locked screen, the machine is not being watched: drop the decrypted keys.
  const lockAll = (): void => {
    current.handlers['identities.lockAll']({}).catch((e: unknown) => console.error('lock failed', e));
  };
  powerMonitor.on('suspend', lockAll);
  powerMonitor.on('lock-screen', lockAll);
  createWindow();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  if (process.platform === 'win32') app.setAppUserModelId('net.teleport.wallettracker');

  app.on('second-instance', focusMainWindow);

  // Belt and braces: no <webview> may ever be attached.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Close the backend (embedded tracker, trackers, databases) before the process goes away.
  let closed = false;
  app.on('before-quit', (event) => {
    if (closed || !backend) return;
    event.preventDefault();
    const closing = backend;
    backend = null;
    closing
      .close()
      .catch((e: unknown) => console.error('backend close failed', e))
      .finally(() => {
        closed = true;
        app.quit();
      });
  });

  void app.whenReady().then(async () => {
    // Browser permissions: only clipboard writes (copy buttons), and only for the app's own page.
    session.defaultSession.setPermissionRequestHandler((contents, permission, callback) =>
      callback(isPermissionAllowed(permission, contents.getURL(), isAppUrl)),
    );
    session.defaultSession.setPermissionCheckHandler((contents, permission, _origin, details) =>
      isPermissionAllowed(permission, contents?.getURL() ?? details.requestingUrl ?? '', isAppUrl),
    );
    try {
      await start();
    } catch (e) {
      dialog.showErrorBox('Wallet Tracker could not start', e instanceof Error ? e.message : String(e));
      app.exit(1);
      return;
    }
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });
}
