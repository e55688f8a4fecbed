/**
 * Persistent settings behind one small interface: electron-store in the app, `conf` (the library
 * electron-store wraps) in plain Node. Values are validated with the contract's schemas on read, so
 * a hand-edited or damaged file falls back to defaults instead of crashing.
 */
import Conf from 'conf';
import { z } from 'zod';
import {
  settings as settingsSchema,
  trackerProfile,
  type Settings,
  type TrackerProfile,
} from '../../../shared/api/models';
import type { SealedKey } from '../identities/protection';
import { PRIVATE_FILE_MODE } from '../files/private';

export interface SettingsStoreLike {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  /** Several keys in one write of the file (a restore), where the store can do that. */
  setMany?(values: Record<string, unknown>): void;
}

export const DEFAULT_SETTINGS: Settings = {
  expiryWarningLeadMs: 5 * 60_000,
  language: 'en',
  theme: 'system',
  lastIdentityId: null,
  lastProfileId: null,
  notifications: true,
  autoLockMinutes: 15,
};

export const EMBEDDED_PROFILE_ID = 'embedded';

export const identityRecord = z.object({
  id: z.string(),
  name: z.string(),
  publicPem: z.string(),
  protection: z.enum(['safeStorage', 'passphrase']),
  /** safeStorage: base64 of the OS-encrypted PEM; passphrase: the sealed PEM. */
  sealed: z.union([z.string(), z.custom<SealedKey>((v) => typeof v === 'object' && v !== null)]),
  autoRenew: z.boolean().default(false),
  createdAt: z.number(),
  /** When a backup holding this key was last proven to open (or it was restored from one). */
  backedUpAt: z.number().nullable().default(null),
});
export type IdentityRecord = z.infer<typeof identityRecord>;

/** A counterparty's public key with the owner's name for it. */
export const contactRecord = z.object({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(100),
  publicPem: z
    .string()
    .min(1)
    .max(16 * 1024),
  createdAt: z.number(),
});
export type ContactRecord = z.infer<typeof contactRecord>;

/** Everything a wallet restore writes, at once. */
export interface WalletRecords {
  identities: IdentityRecord[];
  contacts: ContactRecord[];
  trackers: TrackerProfile[];
  settings: Settings;
}

/** Plain-Node settings file (`settings.json` in the data folder). */
export function createConfStore(dataDir: string): SettingsStoreLike {
  const conf = new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'settings',
    projectName: 'wallet-tracker',
    // It holds the sealed keys: owner-only whatever the umask (conf chmods each write).
    configFileMode: PRIVATE_FILE_MODE,
  });
  return {
    get: (k) => conf.get(k),
    set: (k, v) => conf.set(k, v),
    setMany: (values) => conf.set(values),
  };
}

/** Typed views over the raw store. */
export class AppSettings {
  constructor(private readonly store: SettingsStoreLike) {}

  get(): Settings {
    const parsed = settingsSchema.partial().safeParse(this.store.get('settings') ?? {});
    return { ...DEFAULT_SETTINGS, ...(parsed.success ? parsed.data : {}) };
  }

  update(patch: Partial<Settings>): Settings {
    const next = settingsSchema.parse({ ...this.get(), ...patch });
    this.store.set('settings', next);
    return next;
  }

  trackers(): TrackerProfile[] {
    const parsed = z.array(trackerProfile).safeParse(this.store.get('trackers') ?? []);
    const list = parsed.success ? parsed.data : [];
    if (!list.some((p) => p.id === EMBEDDED_PROFILE_ID)) {
      list.unshift({
        id: EMBEDDED_PROFILE_ID,
        name: 'Embedded tracker',
        url: 'embedded',
        embedded: true,
        pinnedKey: null,
        pinnedFingerprint: null,
      });
    }
    return list;
  }

  saveTrackers(list: TrackerProfile[]): void {
    this.store.set('trackers', list);
  }

  identities(): IdentityRecord[] {
    const parsed = z.array(identityRecord).safeParse(this.store.get('identities') ?? []);
    return parsed.success ? parsed.data : [];
  }

  saveIdentities(list: IdentityRecord[]): void {
    this.store.set('identities', list);
  }

  contacts(): ContactRecord[] {
    const parsed = z.array(contactRecord).safeParse(this.store.get('contacts') ?? []);
    return parsed.success ? parsed.data : [];
  }

  saveContacts(list: ContactRecord[]): void {
    this.store.set('contacts', list);
  }

  /** A restored wallet: one write of the file where the store allows it (nothing half-restored). */
  saveWallet(w: WalletRecords): void {
    const values = {
      identities: w.identities,
      contacts: w.contacts,
      trackers: w.trackers,
      settings: settingsSchema.parse(w.settings),
    };
    if (this.store.setMany) this.store.setMany(values);
    else for (const [k, v] of Object.entries(values)) this.store.set(k, v);
  }
}
