/**
 * The native save and open dialogs backups use in the desktop app (the services ask through the
 * FileDialogs port; the served app uses the browser's download and file input instead).
 */
import { BrowserWindow, dialog } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FileDialogs } from '../services/backup/wallet-backup';
import { AppError } from '../services/api/backend';

function parentWindow(): BrowserWindow | undefined {
  return BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0];
}

export function createFileDialogs(): FileDialogs {
  return {
    async saveFile({ defaultName, filterName, extensions }) {
      const win = parentWindow();
      const opts = { defaultPath: defaultName, filters: [{ name: filterName, extensions }] };
      const r = win ? await dialog.showSaveDialog(win, opts) : await dialog.showSaveDialog(opts);
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    async openFile({ filterName, extensions, maxBytes }) {
      const win = parentWindow();
      const opts = {
        properties: ['openFile' as const],
        filters: [
          { name: filterName, extensions },
          { name: '*', extensions: ['*'] },
        ],
      };
      const r = win ? await dialog.showOpenDialog(win, opts) : await dialog.showOpenDialog(opts);
      const path = r.canceled ? undefined : r.filePaths[0];
      if (!path) return null;
      const info = await stat(path);
      if (!info.isFile() || info.size > maxBytes) {
        throw new AppError(
          'BACKUP_TOO_LARGE',
          `the file is ${info.size} bytes; at most ${maxBytes} are read`,
        );
      }
      return { fileName: basename(path), content: await readFile(path, 'utf8') };
    },
  };
}
