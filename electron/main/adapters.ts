/**
 * Electron implementations of the small interfaces the services are written against (the services
 * themselves never import `electron`): key protection by the OS keychain, settings in electron-store,
 * and the window's size and position.
 */
import { safeStorage, screen, type BrowserWindow, type Rectangle } from 'electron';
import ElectronStore from 'electron-store';
import type { KeyProtection } from '../services/identities/protection';
import type { SettingsStoreLike } from '../services/settings/store';
import { PRIVATE_FILE_MODE } from '../services/files/private';

/** safeStorage (Keychain, DPAPI, libsecret/kwallet); null where the OS offers no real encryption. */
export function createSafeStorageProtection(): KeyProtection | null {
  if (!safeStorage.isEncryptionAvailable()) return null;
  // On Linux without a keyring Electron falls back to a hard-coded key: that is not protection.
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return null;
  return {
    kind: 'safeStorage',
    encrypt: (plain) => safeStorage.encryptString(plain.toString('base64')),
    decrypt: (data) => Buffer.from(safeStorage.decryptString(data), 'base64'),
  };
}

/** Settings, identities and tracker profiles: `<userData>/settings.json`. */
export function createElectronSettingsStore(): SettingsStoreLike {
  // It holds the sealed keys: owner-only whatever the umask (conf chmods each write).
  const store = new ElectronStore<Record<string, unknown>>({
    name: 'settings',
    configFileMode: PRIVATE_FILE_MODE,
  });
  return {
    get: (key) => store.get(key),
    set: (key, value) => store.set(key, value),
    setMany: (values) => store.set(values),
  };
}

interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

const DEFAULT_WINDOW_STATE: WindowState = { width: 1200, height: 800, maximized: false };

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Remembers the main window's bounds in `<userData>/window-state.json`. */
export class WindowStateKeeper {
  private readonly store = new ElectronStore<Record<string, unknown>>({
    name: 'window-state',
    configFileMode: PRIVATE_FILE_MODE,
  });

  /** The saved bounds, if they are sane and still visible on some display. */
  load(): WindowState {
    const raw = this.store.get('main');
    if (!raw || typeof raw !== 'object') return { ...DEFAULT_WINDOW_STATE };
    const s = raw as Record<string, unknown>;
    if (!isNumber(s['width']) || !isNumber(s['height'])) return { ...DEFAULT_WINDOW_STATE };
    const state: WindowState = {
      width: Math.max(800, Math.min(s['width'], 10_000)),
      height: Math.max(560, Math.min(s['height'], 10_000)),
      maximized: s['maximized'] === true,
    };
    if (isNumber(s['x']) && isNumber(s['y'])) {
      const bounds: Rectangle = { x: s['x'], y: s['y'], width: state.width, height: state.height };
      if (isVisible(bounds)) {
        state.x = bounds.x;
        state.y = bounds.y;
      }
    }
    return state;
  }

  /** Saves the bounds on resize/move (debounced) and on close. */
  track(win: BrowserWindow): void {
    let timer: NodeJS.Timeout | undefined;
    const save = () => {
      clearTimeout(timer);
      if (win.isDestroyed()) return;
      const maximized = win.isMaximized();
      const bounds = maximized || win.isMinimized() ? win.getNormalBounds() : win.getBounds();
      this.store.set('main', { ...bounds, maximized });
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(save, 500);
    };
    win.on('resize', later);
    win.on('move', later);
    win.on('maximize', save);
    win.on('unmaximize', save);
    win.on('close', save);
  }
}

function isVisible(bounds: Rectangle): boolean {
  return screen.getAllDisplays().some(({ workArea: a }) => {
    const w = Math.min(bounds.x + bounds.width, a.x + a.width) - Math.max(bounds.x, a.x);
    const h = Math.min(bounds.y + bounds.height, a.y + a.height) - Math.max(bounds.y, a.y);
    return w >= 100 && h >= 50;
  });
}
