/**
 * Whole-wallet backup and restore (issue 9 §2): identities (still sealed), contacts, labels, remote
 * tracker profiles with their pinned keys, and settings, in one encrypted file (backup-file.ts).
 *
 * - `create` writes the file: through the shell's save dialog in Electron, else into the exports
 *   folder, from which the served app's page downloads it (cookie-authenticated `/exports/<name>`).
 * - `open` proves a file opens with its passphrase: it returns the summary and what a restore here
 *   would do, and marks the identities whose keys it holds as backed up (the onboarding's proof,
 *   Settings' "check a backup", and a restore's preview are all this one call).
 * - `restore` applies the plan the owner confirmed (restore-plan.ts) — refused if the wallet
 *   changed since, so nothing unseen happens. The file is read and checked in full before anything
 *   is written; the settings file is then written once.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAX_BACKUP_FILE_BYTES,
  type BackupOpened,
  type BackupSaved,
  type RestorePlan,
} from '../../../shared/api/backup';
import { fingerprintOf } from '../../../shared/crypto/keys';
import { AppError, type ApiEvents } from '../api/backend';
import type { ContactBook } from '../contacts/contact-book';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../files/private';
import type { Identities } from '../identities/service';
import type { AppSettings } from '../settings/store';
import type { TrackerProfiles } from '../app/tracker-profiles';
import { readBackupFile, writeBackupFile } from './backup-file';
import type { BackupLabel, BackupPayload } from './backup-payload';
import { planRestore, type CurrentWallet } from './restore-plan';

/**
 * The owner's labels as a backup needs them: list all, replace all. The labels service (branch
 * `cache`, electron/services/labels/label-store.ts: `all()` and `replaceAll()`) satisfies it; until
 * it is wired in (`createAppBackend({ labels })`), backups carry an empty `labels` array.
 */
export interface BackupLabelsPort {
  all(): BackupLabel[];
  replaceAll(labels: readonly BackupLabel[]): void;
}

/** Native file dialogs of the Electron shell; absent in the served app (the browser's are used). */
export interface FileDialogs {
  /** The path the owner chose to save `defaultName` at, or null when cancelled. */
  saveFile(opts: { defaultName: string; filterName: string; extensions: string[] }): Promise<string | null>;
  /** The chosen file's name and text (refused beyond `maxBytes`), or null when cancelled. */
  openFile(opts: { filterName: string; extensions: string[]; maxBytes: number }): Promise<{
    fileName: string;
    content: string;
  } | null>;
}

export interface WalletBackupDeps {
  settings: AppSettings;
  identities: Identities;
  contacts: ContactBook;
  profiles: TrackerProfiles;
  events: ApiEvents;
  labels: BackupLabelsPort | null;
  appVersion: string;
  exportsDir: string;
  dialogs: FileDialogs | null;
  now?: () => number;
}

export const BACKUP_EXTENSION = 'wtbackup';

export class WalletBackup {
  /** One restore (or backup) at a time: each reads the wallet and may write it. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: WalletBackupDeps) {}

  private now(): number {
    return (this.d.now ?? Date.now)();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The wallet as a backup carries it. */
  payload(passphrase: string): BackupPayload {
    const { settings, identities, labels } = this.d;
    return {
      app: 'wallet-tracker',
      appVersion: this.d.appVersion,
      createdAt: this.now(),
      identities: settings.identities().map((r) => ({
        id: r.id,
        name: r.name,
        publicPem: r.publicPem,
        createdAt: r.createdAt,
        autoRenew: r.autoRenew,
        ...identities.sealedForBackup(r.id, passphrase),
      })),
      contacts: settings.contacts().map((c) => ({
        id: c.id,
        name: c.name,
        publicPem: c.publicPem,
        createdAt: c.createdAt,
      })),
      labels: labels?.all() ?? [],
      trackers: this.d.profiles
        .list()
        .filter((p) => !p.embedded)
        .map((p) => ({ id: p.id, name: p.name, url: p.url, pinnedKey: p.pinnedKey })),
      settings: settings.get(),
    };
  }

  /** Encrypts the wallet with `passphrase` and saves the file (see the class comment for where). */
  create(passphrase: string): Promise<BackupSaved> {
    return this.serial(async () => {
      const text = await writeBackupFile(this.payload(passphrase), passphrase);
      const stamp = new Date(this.now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
      const fileName = `wallet-backup-${stamp}.${BACKUP_EXTENSION}`;
      let path: string;
      if (this.d.dialogs) {
        const chosen = await this.d.dialogs.saveFile({
          defaultName: fileName,
          filterName: 'Wallet Tracker backup',
          extensions: [BACKUP_EXTENSION],
        });
        if (!chosen) return { fileName, path: null, cancelled: true };
        path = chosen;
      } else {
        ensurePrivateDir(this.d.exportsDir);
        path = join(this.d.exportsDir, fileName);
      }
      writeFileSync(path, text, { mode: PRIVATE_FILE_MODE });
      chmodSync(path, PRIVATE_FILE_MODE); // an existing file keeps its mode on write
      return { fileName, path, cancelled: false };
    });
  }

  /** Electron: the owner picks a backup file in the native dialog (null: cancelled). */
  async pickFile(): Promise<{ fileName: string; content: string } | null> {
    if (!this.d.dialogs) {
      throw new AppError('NO_FILE_DIALOG', 'this app has no native file dialog: choose the file in the page');
    }
    return this.d.dialogs.openFile({
      filterName: 'Wallet Tracker backup',
      extensions: [BACKUP_EXTENSION, 'json'],
      maxBytes: MAX_BACKUP_FILE_BYTES,
    });
  }

  private current(): CurrentWallet {
    const { settings, labels } = this.d;
    return {
      identities: settings.identities(),
      contacts: settings.contacts(),
      trackers: this.d.profiles.list(),
      labels: labels?.all() ?? [],
    };
  }

  /** Opens `content` with `passphrase`: the proof it is a backup, its summary and a restore's plan. */
  open(content: string, passphrase: string): Promise<BackupOpened> {
    return this.serial(async () => {
      const payload = await readBackupFile(content, passphrase);
      this.d.identities.markBackedUp(
        payload.identities.map((i) => i.publicPem),
        payload.createdAt,
      );
      return {
        summary: {
          createdAt: payload.createdAt,
          appVersion: payload.appVersion,
          identities: payload.identities.map((i) => ({
            name: i.name,
            fingerprint: fingerprintOf(i.publicPem),
          })),
          contacts: payload.contacts.length,
          labels: payload.labels.length,
          trackers: payload.trackers.map((t) => ({ name: t.name, url: t.url })),
        },
        plan: planRestore(this.current(), payload).plan,
      };
    });
  }

  /** Restores `content` as previewed in `mode`; refused (RESTORE_CHANGED) if the wallet changed since. */
  restore(content: string, passphrase: string, mode: RestorePlan['mode']): Promise<RestorePlan> {
    return this.serial(async () => {
      const payload = await readBackupFile(content, passphrase);
      const current = this.current();
      const work = planRestore(current, payload);
      if (work.plan.mode !== mode) {
        throw new AppError('RESTORE_CHANGED', 'the wallet changed since the preview: open the backup again');
      }
      const { settings, identities, contacts, events, labels } = this.d;
      // Every key is checked (and, with a keychain, sealed there) before anything is written.
      const added = work.identities.map((b) => identities.restoredRecord(b, passphrase, payload.createdAt));
      if (labels && work.labels.length > 0) labels.replaceAll([...current.labels, ...work.labels]);
      settings.saveWallet({
        identities: [...current.identities, ...added],
        contacts: [...current.contacts, ...work.contacts],
        trackers: [...current.trackers, ...work.trackers],
        settings: { ...settings.get(), ...(work.settings ?? {}) },
      });
      identities.announce();
      contacts.announce();
      events.emit('trackers.changed', this.d.profiles.list());
      events.emit('settings.changed', settings.get());
      return work.plan;
    });
  }
}
