/** How the renderer saves and picks backup files: native dialogs in Electron, the browser's otherwise. */
import type { BackupSaved } from '../../../../shared/api/backup';
import { MAX_BACKUP_FILE_BYTES } from '../../../../shared/api/backup';
import { exportDownloadUrl } from '../../api';
import { transport } from '../../stores/transport';

export const BACKUP_ACCEPT = '.wtbackup,.json,application/json';
export const BACKUP_MAX_BYTES = MAX_BACKUP_FILE_BYTES;

/** Encrypts the wallet; in the served app the browser downloads the file the host wrote. */
export async function saveBackup(passphrase: string): Promise<BackupSaved> {
  const saved = await transport().invoke('backup.create', { passphrase });
  const url = saved.cancelled ? null : exportDownloadUrl(saved.fileName);
  if (url) {
    const a = document.createElement('a');
    a.href = url;
    a.download = saved.fileName;
    a.style.display = 'none';
    document.body.appendChild(a);
    a.click();
    a.remove();
  }
  return saved;
}

/** Electron's native open dialog (null when closed). */
export function pickBackupFile(): Promise<{ fileName: string; content: string } | null> {
  return transport().invoke('backup.pickFile', {});
}
