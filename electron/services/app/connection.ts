/**
 * The active tracker connection: one TrackerSession for the chosen profile and identity, the
 * embedded tracker started on demand, key pinning saved in the profile, status as events.
 */
import { TrackerSession, type SessionStatus, type TrackerSessionOptions } from '../tracker/session';
import { TrackerClient } from '../tracker/commands';
import { fingerprintOf } from '../../../shared/crypto/keys';
import type { ConnectionStatus, TrackerProfile } from '../../../shared/api/models';
import { AppError, type ApiEvents } from '../api/backend';
import type { Identities } from '../identities/service';
import type { AppSettings } from '../settings/store';
import type { EmbeddedTrackerHandle, EmbeddedTrackerLauncher } from './embedded-tracker';
import { trackerApiOf } from './tracker-api';
import type { Connection } from '../channels/wallet';

export interface ConnectionDeps {
  settings: AppSettings;
  identities: Identities;
  events: ApiEvents;
  launchEmbedded: EmbeddedTrackerLauncher;
  embeddedArgs: string[];
  sessionOptions?: Partial<TrackerSessionOptions>;
  /** Called each time the session comes online (refresh states, sync history). */
  onOnline(identityId: string): void;
}

const IDLE: ConnectionStatus = {
  profileId: null,
  identityId: null,
  state: 'idle',
  nextAttemptAt: null,
  lastOnlineAt: null,
  error: null,
  offeredKey: null,
  offeredFingerprint: null,
};

export class ConnectionManager {
  private session: TrackerSession | null = null;
  private client: TrackerClient | null = null;
  private profileId: string | null = null;
  private identityId: string | null = null;
  private embedded: Promise<EmbeddedTrackerHandle> | null = null;
  private current: ConnectionStatus = IDLE;

  constructor(private readonly d: ConnectionDeps) {}

  get status(): ConnectionStatus {
    return this.current;
  }

  /** The connection the wallet may write through, or null when not online. */
  live(): Connection | null {
    if (!this.session || !this.client || this.session.status.state !== 'online' || !this.session.pinnedKey)
      return null;
    return { api: trackerApiOf(this.client), trackerFingerprint: fingerprintOf(this.session.pinnedKey) };
  }

  get trackerClient(): TrackerClient | null {
    return this.session?.status.state === 'online' ? this.client : null;
  }

  get activeIdentityId(): string | null {
    return this.identityId;
  }

  /** The profile whose cache is shown: the connected one, else the last one used. */
  profile(): TrackerProfile | null {
    const id = this.profileId ?? this.d.settings.get().lastProfileId;
    return this.d.settings.trackers().find((p) => p.id === id) ?? null;
  }

  private async urlOf(profile: TrackerProfile): Promise<string> {
    if (!profile.embedded) return profile.url;
    this.embedded ??= this.d.launchEmbedded(this.d.embeddedArgs).catch((e: unknown) => {
      this.embedded = null;
      throw new AppError('EMBEDDED_FAILED', `the embedded tracker did not start: ${(e as Error).message}`);
    });
    return (await this.embedded).url;
  }

  private savePin(profileId: string, pem: string): void {
    const list = this.d.settings
      .trackers()
      .map((p) => (p.id === profileId ? { ...p, pinnedKey: pem, pinnedFingerprint: fingerprintOf(pem) } : p));
    this.d.settings.saveTrackers(list);
    this.d.events.emit('trackers.changed', list);
  }

  private publish(s: SessionStatus): void {
    const offered = s.offeredKey;
    this.current = {
      profileId: this.profileId,
      identityId: this.identityId,
      state: s.state,
      nextAttemptAt: s.nextAttemptAt,
      lastOnlineAt: s.lastOnlineAt,
      error: s.error ? `${s.error.code}: ${s.error.message}` : null,
      offeredKey: offered,
      offeredFingerprint: offered ? fingerprintOf(offered) : null,
    };
    this.d.events.emit('connection', this.current);
  }

  async connect(profileId: string, identityId: string, waitMs = 8000): Promise<ConnectionStatus> {
    const profile = this.d.settings.trackers().find((p) => p.id === profileId);
    if (!profile) throw new AppError('PROFILE_NOT_FOUND', 'no such tracker profile');
    const signer = this.d.identities.signer(identityId);
    await this.disconnect();
    const url = await this.urlOf(profile);
    this.profileId = profileId;
    this.identityId = identityId;
    this.d.settings.update({ lastProfileId: profileId, lastIdentityId: identityId });
    const session = new TrackerSession({
      ...this.d.sessionOptions,
      url,
      signer,
      pinnedKey: profile.pinnedKey,
      onPin: (pem) => this.savePin(profileId, pem),
    });
    this.session = session;
    this.client = new TrackerClient(session);
    let wasOnline = false;
    session.on('status', (s: SessionStatus) => {
      if (this.session !== session) return;
      this.publish(s);
      if (s.state === 'online' && !wasOnline) this.d.onOnline(identityId);
      wasOnline = s.state === 'online';
    });
    session.start();
    this.publish(session.status);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      const check = (s: SessionStatus): void => {
        if (s.state === 'online' || s.state === 'key_changed' || s.error) done();
      };
      const off = (): void => {
        session.off('status', check);
      };
      session.on('status', check);
      check(session.status);
    });
    return this.current;
  }

  async disconnect(): Promise<ConnectionStatus> {
    const s = this.session;
    this.session = null;
    this.client = null;
    if (s) await s.stop();
    this.current = { ...IDLE, lastOnlineAt: this.current.lastOnlineAt };
    this.d.events.emit('connection', this.current);
    return this.current;
  }

  async acceptKey(profileId: string, fingerprint: string): Promise<ConnectionStatus> {
    const s = this.session;
    const offered = s?.status.offeredKey;
    if (!s || this.profileId !== profileId || !offered)
      throw new AppError('NO_KEY_CHANGE', 'there is no changed key to accept');
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
