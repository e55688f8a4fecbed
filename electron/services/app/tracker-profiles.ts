/**
 * Tracker profiles: a name, a URL (or the embedded tracker) and the key pinned at the first
 * handshake. A new URL may be another tracker, so its key is pinned afresh on the next connection.
 */
import { fingerprintOf } from '../../../shared/crypto/keys';
import type { TrackerProfile } from '../../../shared/api/models';
import { AppError, type ApiEvents } from '../api/backend';
import type { AppSettings } from '../settings/store';

function checkUrl(url: string): void {
  if (!/^wss?:\/\//.test(url))
    throw new AppError('INVALID_ARGUMENT', 'the URL must start with ws:// or wss://');
}

export class TrackerProfiles {
  constructor(
    private readonly settings: AppSettings,
    private readonly events: ApiEvents,
  ) {}

  list(): TrackerProfile[] {
    return this.settings.trackers();
  }

  find(id: string | null): TrackerProfile | null {
    return id === null ? null : (this.list().find((p) => p.id === id) ?? null);
  }

  get(id: string): TrackerProfile {
    const p = this.find(id);
    if (!p) throw new AppError('PROFILE_NOT_FOUND', 'no such tracker profile');
    return p;
  }

  private save(list: TrackerProfile[]): void {
    this.settings.saveTrackers(list);
    this.events.emit('trackers.changed', list);
  }

  add(name: string, url: string): TrackerProfile {
    checkUrl(url);
    const profile: TrackerProfile = {
      id: `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      name,
      url,
      embedded: false,
      pinnedKey: null,
      pinnedFingerprint: null,
    };
    this.save([...this.list(), profile]);
    return profile;
  }

  /** Renames or re-points a profile; `urlChanged` tells the caller to dial the new URL. */
  update(
    id: string,
    patch: { name?: string; url?: string },
  ): { profile: TrackerProfile; urlChanged: boolean } {
    const p = this.get(id);
    if (patch.url !== undefined) {
      if (p.embedded) throw new AppError('INVALID_ARGUMENT', 'the embedded tracker has no URL to edit');
      checkUrl(patch.url);
    }
    const urlChanged = patch.url !== undefined && patch.url !== p.url;
    const profile: TrackerProfile = {
      ...p,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(urlChanged ? { pinnedKey: null, pinnedFingerprint: null } : {}),
    };
    this.save(this.list().map((x) => (x.id === id ? profile : x)));
    return { profile, urlChanged };
  }

  remove(id: string): boolean {
    const p = this.find(id);
    if (!p) return false;
    if (p.embedded) throw new AppError('INVALID_ARGUMENT', 'the embedded tracker cannot be removed');
    this.save(this.list().filter((x) => x.id !== id));
    return true;
  }

  /** Pins the key a tracker proved at a handshake (first use, or a change the user accepted). */
  pin(id: string, pem: string): void {
    this.save(
      this.list().map((p) =>
        p.id === id ? { ...p, pinnedKey: pem, pinnedFingerprint: fingerprintOf(pem) } : p,
      ),
    );
  }
}
