/**
 * The active tracker connection: one TrackerSession for the chosen profile and identity, the
 * embedded tracker started on demand, key pinning saved in the profile, status as events with the
 * last connection problem in words.
 *
 * The status always names the profile whose data the app shows (`profileId`): the connected one,
 * or the last one used while disconnected.
 */
import { TrackerSession, type SessionStatus, type TrackerSessionOptions } from '../tracker/session';
import { TrackerClient } from '../tracker/commands';
import { fingerprintOf } from '../../../shared/crypto/keys';
import type { ConnectionStatus, TrackerProfile } from '../../../shared/api/models';
import { AppError, type ApiEvents } from '../api/backend';
import type { Identities } from '../identities/service';
import type { AppSettings } from '../settings/store';
import type { Connection } from '../channels/ports';
import type { EmbeddedTrackerHandle, EmbeddedTrackerLauncher } from './embedded-tracker';
import { describeConnectionError, type ConnectionError } from './connection-errors';
import type { TrackerProfiles } from './tracker-profiles';
import { trackerApiOf } from './tracker-api';

export interface ConnectionDeps {
  settings: AppSettings;
  identities: Identities;
  profiles: TrackerProfiles;
  events: ApiEvents;
  launchEmbedded: EmbeddedTrackerLauncher;
  embeddedArgs: string[];
  sessionOptions?: Partial<TrackerSessionOptions>;
}

type OnlineListener = (identityId: string) => void;

export class ConnectionManager {
  private session: TrackerSession | null = null;
  private client: TrackerClient | null = null;
  private url = '';
  private profileId: string | null;
  private identityId: string | null = null;
  private embedded: Promise<EmbeddedTrackerHandle> | null = null;
  private current: ConnectionStatus;
  private lastError: ConnectionError | null = null;
  private generationNo = 0;
  /** Bumped by every connect: an older connect still awaiting gives way. */
  private attempts = 0;
  private readonly onlineListeners = new Set<OnlineListener>();

  constructor(private readonly d: ConnectionDeps) {
    this.profileId = d.profiles.find(d.settings.get().lastProfileId)?.id ?? null;
    this.current = this.idle(null);
  }

  get status(): ConnectionStatus {
    return this.current;
  }

  /** Changes whenever the session, or the key it pins, changes (see Connection.generation). */
  get generation(): number {
    return this.generationNo;
  }

  /** The profile whose data is shown: the connected one, else the last one used. */
  get viewProfileId(): string | null {
    return this.profileId;
  }

  get activeIdentityId(): string | null {
    return this.identityId;
  }

  /** Calls `listener` with the identity each time a session comes online. */
  onOnline(listener: OnlineListener): () => void {
    this.onlineListeners.add(listener);
    return () => this.onlineListeners.delete(listener);
  }

  /** The connection the wallet may read and write through, or null when not online. */
  live(): Connection | null {
    if (!this.session || !this.client || this.session.status.state !== 'online' || !this.session.pinnedKey)
      return null;
    return {
      api: trackerApiOf(this.client),
      trackerFingerprint: fingerprintOf(this.session.pinnedKey),
      generation: this.generationNo,
    };
  }

  get trackerClient(): TrackerClient | null {
    return this.session?.status.state === 'online' ? this.client : null;
  }

  private idle(lastOnlineAt: number | null): ConnectionStatus {
    return {
      profileId: this.profileId,
      identityId: null,
      state: 'idle',
      nextAttemptAt: null,
      lastOnlineAt,
      error: this.lastError?.text ?? null,
      errorKind: this.lastError?.kind ?? null,
      offeredKey: null,
      offeredFingerprint: null,
    };
  }

  private async urlOf(profile: TrackerProfile): Promise<string> {
    if (!profile.embedded) return profile.url;
    this.embedded ??= this.d.launchEmbedded(this.d.embeddedArgs).catch((e: unknown) => {
      this.embedded = null;
      throw new AppError('EMBEDDED_FAILED', `the embedded tracker did not start: ${(e as Error).message}`);
    });
    return (await this.embedded).url;
  }

  private emit(next: ConnectionStatus): void {
    this.current = next;
    this.d.events.emit('connection', next);
  }

  /** Publishes a session status; its error is kept (in words) until the session is online again. */
  private publish(
    s: Pick<SessionStatus, 'state' | 'nextAttemptAt' | 'lastOnlineAt' | 'offeredKey'> & {
      error: { code: string; message: string } | null;
    },
  ): void {
    if (s.state === 'online') this.lastError = null;
    else if (s.error) this.lastError = describeConnectionError(s.error.code, s.error.message, this.url);
    this.emit({
      profileId: this.profileId,
      identityId: this.identityId,
      state: s.state,
      nextAttemptAt: s.nextAttemptAt,
      lastOnlineAt: s.lastOnlineAt,
      error: this.lastError?.text ?? null,
      errorKind: this.lastError?.kind ?? null,
      offeredKey: s.offeredKey,
      offeredFingerprint: s.offeredKey ? fingerprintOf(s.offeredKey) : null,
    });
  }

  /** Detaches the session (nothing it reports is published any more) and stops it. */
  private async dropSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    this.client = null;
    this.generationNo++;
    if (s) await s.stop();
  }

  /**
   * Connects `identityId` to a profile's tracker. The status switches to that profile at once (its
   * cached data is what the app shows from then on); resolves when online, refused, or after
   * `waitMs` while it keeps trying.
   */
  async connect(profileId: string, identityId: string, waitMs = 8000): Promise<ConnectionStatus> {
    const profile = this.d.profiles.get(profileId);
    const signer = this.d.identities.signer(identityId);
    const attempt = ++this.attempts;
    const lastOnlineAt = this.current.lastOnlineAt;
    const dropping = this.dropSession();
    this.profileId = profileId;
    this.identityId = identityId;
    this.lastError = null;
    this.url = profile.embedded ? '' : profile.url;
    this.d.settings.update({ lastProfileId: profileId, lastIdentityId: identityId });
    this.publish({ state: 'connecting', nextAttemptAt: null, lastOnlineAt, offeredKey: null, error: null });
    await dropping;
    let url: string;
    try {
      url = await this.urlOf(profile);
    } catch (e) {
      if (attempt === this.attempts) {
        const err = e as AppError;
        this.publish({
          state: 'offline',
          nextAttemptAt: null,
          lastOnlineAt,
          offeredKey: null,
          error: { code: err.code, message: err.message },
        });
      }
      throw e;
    }
    if (attempt !== this.attempts) return this.current;
    this.url = url;
    const session = new TrackerSession({
      ...this.d.sessionOptions,
      url,
      signer,
      pinnedKey: profile.pinnedKey,
      // Trust on first use made visible: a remote tracker's first key waits for the owner's yes.
      confirmNewKey: !profile.embedded,
      onPin: (pem) => {
        // A newly pinned key is another scope: work begun under the old one must not write.
        this.generationNo++;
        this.d.profiles.pin(profileId, pem);
      },
    });
    this.session = session;
    this.client = new TrackerClient(session);
    let wasOnline = false;
    session.on('status', (s: SessionStatus) => {
      if (this.session !== session) return;
      this.publish(s);
      if (s.state === 'online' && !wasOnline) for (const l of this.onlineListeners) l(identityId);
      wasOnline = s.state === 'online';
    });
    session.start();
    this.publish(session.status);
    await this.settle(session, waitMs);
    return this.current;
  }

  /** Waits until the session is online, refused or failed once, or `waitMs` passed. */
  private settle(session: TrackerSession, waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        session.off('status', check);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const check = (s: SessionStatus): void => {
        if (s.state === 'online' || s.state === 'key_new' || s.state === 'key_changed' || s.error) done();
      };
      session.on('status', check);
      check(session.status);
    });
  }

  /**
   * After a profile's URL changed: a session on that profile dials the new URL at once (or, when its
   * identity can no longer sign, stops dialling the old one).
   */
  async redial(profileId: string): Promise<void> {
    if (this.profileId !== profileId || !this.session || !this.identityId) return;
    try {
      await this.connect(profileId, this.identityId, 0);
    } catch {
      await this.disconnect();
    }
  }

  async disconnect(): Promise<ConnectionStatus> {
    this.attempts++;
    const lastOnlineAt = this.current.lastOnlineAt;
    await this.dropSession();
    this.identityId = null;
    this.emit(this.idle(lastOnlineAt));
    return this.current;
  }

  /** The session keeps its identity's key for handshakes: once that identity is locked, it ends. */
  async endSessionIfLocked(): Promise<void> {
    const active = this.d.identities.list().find((i) => i.id === this.identityId);
    if (active && !active.unlocked) await this.disconnect();
  }

  /** A removed profile: disconnect from it, and show no tracker's data instead of its. */
  async forget(profileId: string): Promise<void> {
    if (this.profileId !== profileId) return;
    await this.disconnect();
    this.profileId = null;
    this.lastError = null;
    this.emit(this.idle(this.current.lastOnlineAt));
  }

  async acceptKey(profileId: string, fingerprint: string): Promise<ConnectionStatus> {
    const s = this.session;
    const offered = s?.status.offeredKey;
    if (!s || this.profileId !== profileId || !offered)
      throw new AppError('NO_KEY_CHANGE', 'no tracker key is waiting for confirmation');
    if (fingerprintOf(offered) !== fingerprint) {
      throw new AppError('KEY_MISMATCH', 'the tracker key changed again: review it once more');
    }
    await s.acceptOfferedKey();
    return this.current;
  }

  /** Stops the session and the embedded tracker. */
  async close(): Promise<void> {
    await this.disconnect();
    const e = this.embedded;
    this.embedded = null;
    if (e) await (await e.catch(() => null))?.stop();
  }
}
