/**
 * The cache-scope rule: everything cached and shown is keyed by (tracker key, identity key). A
 * tracker whose key changed is another ledger, so accepting a new key starts an empty scope, and
 * a tracker whose key is not known yet has nothing cached at all.
 */
import { fingerprintOf } from '../../../shared/crypto/keys';
import type { Identities } from '../identities/service';
import type { TrackerProfiles } from './tracker-profiles';

export interface CacheScopeDeps {
  profiles: TrackerProfiles;
  identities: Identities;
  /** The tracker profile whose data is shown. */
  viewProfileId(): string | null;
}

export class CacheScopes {
  constructor(private readonly d: CacheScopeDeps) {}

  /** The scope of an identity on the shown tracker, or null when that tracker's key is not known yet. */
  of(identityId: string): string | null {
    const pinned = this.d.profiles.find(this.d.viewProfileId())?.pinnedKey;
    const identity = this.d.identities.list().find((i) => i.id === identityId);
    return pinned && identity ? `${fingerprintOf(pinned)}|${identity.fingerprint}` : null;
  }
}
