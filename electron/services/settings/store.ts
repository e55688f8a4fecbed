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
});
export type IdentityRecord = z.infer<typeof identityRecord>;

/** Plain-Node settings file (`settings.json` in the data folder). */
export function createConfStore(dataDir: string): SettingsStoreLike {
  const conf = new Conf<Record<string, unknown>>({
    cwd: dataDir,
    configName: 'settings',
    projectName: 'wallet-tracker',
    // It holds the sealed keys: owner-only whatever the umask (conf chmods each write).
    configFileMode: PRIVATE_FILE_MODE,
  });
  return { get: (k) => conf.get(k), set: (k, v) => conf.set(k, v) };
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
}
