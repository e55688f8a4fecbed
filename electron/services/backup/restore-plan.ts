/**
 * What restoring a backup does to this wallet, decided before anything is written (pure, apart from
 * key parsing). On a wallet without identities (a new data folder) the backup becomes the wallet,
 * its settings included: mode `new`. On a wallet that has identities the two are merged (mode
 * `merge`, shown to the owner to confirm first): nothing here is changed or removed; identities and
 * contacts are matched by key, trackers by URL, labels by what they label, and only what this
 * wallet lacks is added. A name already used here gets a number appended; a contact whose key is
 * one of the identities is left out.
 */
import type { RestorePlan } from '../../../shared/api/backup';
import type { Settings, TrackerProfile } from '../../../shared/api/models';
import { fingerprintOf, parsePublicKey } from '../../../shared/crypto/keys';
import { AppError } from '../api/backend';
import { EMBEDDED_PROFILE_ID, type ContactRecord, type IdentityRecord } from '../settings/store';
import type { BackupIdentity, BackupLabel, BackupPayload } from './backup-payload';

export interface CurrentWallet {
  identities: readonly IdentityRecord[];
  contacts: readonly ContactRecord[];
  trackers: readonly TrackerProfile[];
  labels: readonly BackupLabel[];
}

export interface RestoreWork {
  plan: RestorePlan;
  /** Identities to add, under the names they get here. */
  identities: BackupIdentity[];
  contacts: ContactRecord[];
  trackers: TrackerProfile[];
  labels: BackupLabel[];
  /** Mode `new`: the settings to apply over the current ones. */
  settings: Partial<Settings> | null;
}

const der = (pem: string) => parsePublicKey(pem).der.toString('base64');
const folded = (name: string) => name.trim().toLocaleLowerCase();

/** `name`, or `name 2`, `name 3`… whichever is not in `taken` (which then holds it). */
function freeName(name: string, taken: Set<string>): string {
  const base = name.trim();
  let candidate = base;
  for (let n = 2; taken.has(folded(candidate)); n++) candidate = `${base.slice(0, 90)} ${n}`;
  taken.add(folded(candidate));
  return candidate;
}

export function planRestore(current: CurrentWallet, backup: BackupPayload): RestoreWork {
  const mode = current.identities.length === 0 ? 'new' : 'merge';

  const identityKeys = new Set(current.identities.map((i) => der(i.publicPem)));
  const identityIds = new Set(current.identities.map((i) => i.id));
  const identityNames = new Set(current.identities.map((i) => folded(i.name)));
  const addIdentities: BackupIdentity[] = [];
  const plan: RestorePlan = {
    mode,
    identities: { add: [], keep: [] },
    contacts: { add: 0, keep: 0 },
    trackers: { add: [], keep: 0, conflicts: [] },
    labels: { add: 0, keep: 0 },
    settings: mode === 'new',
  };
  for (const b of backup.identities) {
    const key = der(b.publicPem);
    if (identityKeys.has(key)) {
      plan.identities.keep.push(b.name);
      continue;
    }
    // Sealed keys are bound to their record id: another key under the same id cannot be added.
    if (identityIds.has(b.id)) {
      throw new AppError('BACKUP_DAMAGED', `identity id ${b.id} is used here by another key`);
    }
    const name = freeName(b.name, identityNames);
    identityKeys.add(key);
    identityIds.add(b.id);
    addIdentities.push({ ...b, name });
    plan.identities.add.push({
      name,
      fingerprint: fingerprintOf(b.publicPem),
      renamedFrom: name === b.name.trim() ? null : b.name,
      sealedWith: b.sealedWith,
    });
  }

  const contactKeys = new Set(current.contacts.map((c) => der(c.publicPem)));
  const contactNames = new Set(current.contacts.map((c) => folded(c.name)));
  const addContacts: ContactRecord[] = [];
  for (const c of backup.contacts) {
    const key = der(c.publicPem);
    if (contactKeys.has(key) || identityKeys.has(key)) {
      plan.contacts.keep++;
      continue;
    }
    contactKeys.add(key);
    addContacts.push({
      id: c.id,
      name: freeName(c.name, contactNames),
      publicPem: c.publicPem,
      createdAt: c.createdAt,
    });
    plan.contacts.add++;
  }
  const contactIds = new Set(current.contacts.map((c) => c.id));
  for (const c of addContacts) {
    if (contactIds.has(c.id)) c.id = `${c.id.slice(0, 100)}-${Math.random().toString(36).slice(2, 10)}`;
    contactIds.add(c.id);
  }

  const byUrl = new Map(current.trackers.map((t) => [t.url.trim(), t.id]));
  const trackerIds = new Set(current.trackers.map((t) => t.id));
  /** A backed-up profile id → its id here (kept under its URL, or added). */
  const profileIdHere = new Map<string, string>([[EMBEDDED_PROFILE_ID, EMBEDDED_PROFILE_ID]]);
  const addTrackers: TrackerProfile[] = [];
  for (const t of backup.trackers) {
    const hereId = byUrl.get(t.url.trim());
    if (hereId) {
      profileIdHere.set(t.id, hereId);
      plan.trackers.keep++;
      const here = current.trackers.find((x) => x.id === hereId);
      if (here?.pinnedKey && t.pinnedKey && der(here.pinnedKey) !== der(t.pinnedKey)) {
        plan.trackers.conflicts.push(here.name);
      }
      continue;
    }
    const id =
      trackerIds.has(t.id) || t.id === EMBEDDED_PROFILE_ID
        ? `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
        : t.id;
    trackerIds.add(id);
    byUrl.set(t.url.trim(), id);
    profileIdHere.set(t.id, id);
    addTrackers.push({
      id,
      name: t.name,
      url: t.url,
      embedded: false,
      pinnedKey: t.pinnedKey ? parsePublicKey(t.pinnedKey).pem : null,
      pinnedFingerprint: t.pinnedKey ? fingerprintOf(t.pinnedKey) : null,
    });
    plan.trackers.add.push(t.name);
  }

  const labelled = new Set(current.labels.map((l) => `${l.type}\n${l.ref}`));
  const addLabels = backup.labels.filter((l) => !labelled.has(`${l.type}\n${l.ref}`));
  plan.labels = { add: addLabels.length, keep: backup.labels.length - addLabels.length };

  let settings: Partial<Settings> | null = null;
  if (mode === 'new') {
    const { lastIdentityId, lastProfileId, ...prefs } = backup.settings;
    const lastProfile = lastProfileId ? profileIdHere.get(lastProfileId) : undefined;
    settings = {
      ...prefs,
      // The last identity and tracker, where they are here after the restore.
      ...(lastIdentityId && identityIds.has(lastIdentityId) ? { lastIdentityId } : {}),
      ...(lastProfile ? { lastProfileId: lastProfile } : {}),
    };
  }

  return {
    plan,
    identities: addIdentities,
    contacts: addContacts,
    trackers: addTrackers,
    labels: addLabels,
    settings,
  };
}
