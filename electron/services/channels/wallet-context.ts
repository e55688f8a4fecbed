/**
 * What every wallet service shares: the identities, the cached states of the shown scope, the live
 * connection, the events; and the lists as the UI sees them (statuses derived from the clock).
 */
import type { AddressView, ChannelView, CommonStateView } from '../../../shared/api/models';
import type { Signer } from '../../../shared/crypto/signed-payload';
import { AppError, type ApiEvents } from '../api/backend';
import type { Identities } from '../identities/service';
import type { Connection, HistoryFacts, StateStore } from './ports';

export interface WalletDeps {
  identities: Identities;
  store: StateStore;
  facts: HistoryFacts;
  events: ApiEvents;
  /** The live tracker connection, or null when offline. */
  connection(): Connection | null;
  /** The connection generation now (see Connection.generation), online or not. */
  generation(): number;
  /** Cache scope of an identity on the shown tracker; null when that tracker's key is not known yet. */
  scopeOf(identityId: string): string | null;
  /** The tracker profile whose data is shown (events carry it so the UI drops another's). */
  viewProfileId(): string | null;
  now?: () => number;
}

/**
 * One piece of work against the tracker for one identity: the connection and the scope it began
 * with. Once the connection or the shown tracker changed it is stale and must write nothing.
 */
export interface Run {
  identityId: string;
  conn: Connection;
  scope: string;
  signer: Signer;
  current(): boolean;
}

export class WalletContext {
  readonly now: () => number;

  constructor(private readonly d: WalletDeps) {
    this.now = d.now ?? Date.now;
  }

  get identities(): Identities {
    return this.d.identities;
  }

  get store(): StateStore {
    return this.d.store;
  }

  get facts(): HistoryFacts {
    return this.d.facts;
  }

  /** The live connection, or null when offline. */
  connection(): Connection | null {
    return this.d.connection();
  }

  online(): Connection {
    const c = this.d.connection();
    if (!c) throw new AppError('OFFLINE', 'not connected to a tracker: connect first');
    return c;
  }

  scopeOf(identityId: string): string | null {
    return this.d.scopeOf(identityId);
  }

  scope(identityId: string): string {
    const s = this.d.scopeOf(identityId);
    if (!s) throw new AppError('NO_TRACKER', 'connect to a tracker first');
    return s;
  }

  /** Starts a run for an identity (it must be unlocked and the app online). */
  begin(identityId: string): Run {
    const signer = this.d.identities.signer(identityId);
    const conn = this.online();
    const scope = this.scope(identityId);
    return {
      identityId,
      conn,
      scope,
      signer,
      current: () => this.d.generation() === conn.generation && this.d.scopeOf(identityId) === scope,
    };
  }

  /**
   * A run for a read any signed peer may make (cmd 128/256/512): the first of `preferred` that is
   * unlocked, else any unlocked identity.
   */
  beginRead(preferred: readonly string[]): Run {
    const unlocked = this.d.identities.list().filter((i) => i.unlocked);
    const reader = preferred.find((id) => unlocked.some((i) => i.id === id)) ?? unlocked[0]?.id;
    if (!reader)
      throw new AppError('LOCKED', 'unlock an identity first: reading from the tracker needs a signature');
    return this.begin(reader);
  }

  /** The shown addresses of an identity, newest first, with the open channels known on each. */
  addresses(identityId: string): AddressView[] {
    const scope = this.d.scopeOf(identityId);
    return scope ? this.addressesIn(scope) : [];
  }

  addressesIn(scope: string): AddressView[] {
    const now = this.now();
    const open = this.d.store.listChannels(scope).filter((c) => c.state === 'open');
    return this.d.store
      .listAddresses(scope)
      .map((v) => ({
        ...v,
        status: v.status === 'open' && now > v.timeLock ? ('expired' as const) : v.status,
        openChannels: open.filter((c) => c.fromAddress === v.address || c.toAddress === v.address).length,
      }))
      .sort((a, b) => (b.openedAt ?? 0) - (a.openedAt ?? 0));
  }

  knownAddress(identityId: string, address: string): AddressView | undefined {
    return this.addresses(identityId).find((a) => a.address === address);
  }

  /** The shown channels of an identity, newest first; an open one past its timeLock reads expired. */
  channels(identityId: string): ChannelView[] {
    const scope = this.d.scopeOf(identityId);
    return scope ? this.channelsIn(scope) : [];
  }

  channelsIn(scope: string): ChannelView[] {
    const now = this.now();
    return this.d.store
      .listChannels(scope)
      .map((c) => (c.state === 'open' && now > c.timeLock ? { ...c, state: 'expired' as const } : c))
      .sort((a, b) => b.openedAt - a.openedAt);
  }

  /** A channel as any local identity knows it. */
  findChannel(channelId: string): ChannelView | undefined {
    for (const i of this.d.identities.list()) {
      const c = this.channels(i.id).find((x) => x.channelId === channelId);
      if (c) return c;
    }
    return undefined;
  }

  commonState(identityId: string): CommonStateView | null {
    const scope = this.d.scopeOf(identityId);
    return scope ? this.d.store.getCommonState(scope) : null;
  }

  emitAddresses(identityId: string): AddressView[] {
    const addresses = this.addresses(identityId);
    this.d.events.emit('addresses.changed', { identityId, profileId: this.d.viewProfileId(), addresses });
    return addresses;
  }

  emitChannels(identityId: string): ChannelView[] {
    const channels = this.channels(identityId);
    this.d.events.emit('channels.changed', { identityId, profileId: this.d.viewProfileId(), channels });
    return channels;
  }

  emitCommon(identityId: string, state: CommonStateView): void {
    this.d.events.emit('common.changed', { identityId, profileId: this.d.viewProfileId(), state });
  }
}
