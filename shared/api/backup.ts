/**
 * What the renderer learns about a wallet backup file: its summary once it opened with its
 * passphrase, and what restoring it here would do. Pure: renderer-safe. The file format itself is
 * the main process's (electron/services/backup/).
 */
import { z } from 'zod';

/** Largest backup file the app reads or writes (it must cross the served app's 1 MiB socket). */
export const MAX_BACKUP_FILE_BYTES = 768 * 1024;

export const backupSummary = z.object({
  createdAt: z.number(),
  appVersion: z.string(),
  identities: z.array(z.object({ name: z.string(), fingerprint: z.string() })),
  contacts: z.number().int(),
  labels: z.number().int(),
  trackers: z.array(z.object({ name: z.string(), url: z.string() })),
});
export type BackupSummary = z.infer<typeof backupSummary>;

/**
 * What a restore would do. `new`: this wallet has no identity yet, so the backup's settings come
 * too and the result is the backed-up wallet. `merge`: what this wallet has is kept as it is
 * (identities and contacts by key, trackers by URL, labels by what they label) and the rest added.
 */
export const restorePlan = z.object({
  mode: z.enum(['new', 'merge']),
  identities: z.object({
    add: z.array(
      z.object({
        name: z.string(),
        fingerprint: z.string(),
        /** Its name was taken here: it is added under `name` (a number appended). */
        renamedFrom: z.string().nullable(),
        /**
         * `backup`: an OS-keychain key, sealed in the file with the backup's passphrase; where this
         * app has no keychain it stays protected by that passphrase.
         */
        sealedWith: z.enum(['identity', 'backup']),
      }),
    ),
    keep: z.array(z.string()),
  }),
  contacts: z.object({ add: z.number().int(), keep: z.number().int() }),
  trackers: z.object({
    add: z.array(z.string()),
    keep: z.number().int(),
    /** Trackers here at the same URL with another pinned key than the backup's: kept as they are. */
    conflicts: z.array(z.string()),
  }),
  labels: z.object({ add: z.number().int(), keep: z.number().int() }),
  settings: z.boolean(),
});
export type RestorePlan = z.infer<typeof restorePlan>;

export const backupOpened = z.object({ summary: backupSummary, plan: restorePlan });
export type BackupOpened = z.infer<typeof backupOpened>;

export const backupSaved = z.object({
  fileName: z.string(),
  /** Where it was written: the chosen file (Electron), or the exports folder to download it from. */
  path: z.string().nullable(),
  /** Electron: the owner closed the save dialog; nothing was written. */
  cancelled: z.boolean(),
});
export type BackupSaved = z.infer<typeof backupSaved>;
