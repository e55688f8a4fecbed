/**
 * A tiny in-test ApiTransport: records every intent a store sends, answers from per-request
 * handlers, and lets a test emit events as the main process would.
 */
import type {
  ApiTransport,
  EventName,
  EventPayload,
  RequestArgs,
  RequestName,
  RequestResult,
} from '../../shared/api/contract';
import type {
  AddressView,
  ChannelView,
  ConnectionStatus,
  HistoryItem,
  IdentityInfo,
  Settings,
  TrackerProfile,
} from '../../shared/api/models';

type Handler<N extends RequestName> = (args: RequestArgs<N>) => RequestResult<N> | Promise<RequestResult<N>>;

export class FakeApi implements ApiTransport {
  readonly calls: { name: RequestName; args: unknown }[] = [];
  private readonly handlers = new Map<RequestName, (args: unknown) => unknown>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  handle<N extends RequestName>(name: N, handler: Handler<N>): this {
    this.handlers.set(name, handler as (args: unknown) => unknown);
    return this;
  }

  invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>> {
    this.calls.push({ name, args });
    const h = this.handlers.get(name);
    if (!h) return Promise.reject(Object.assign(new Error(`unhandled ${name}`), { code: 'UNKNOWN_METHOD' }));
    return Promise.resolve().then(() => h(args) as RequestResult<N>);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (p: unknown) => void);
    return () => set.delete(listener as (p: unknown) => void);
  }

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  callsOf<N extends RequestName>(name: N): RequestArgs<N>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args as RequestArgs<N>);
  }

  names(): RequestName[] {
    return this.calls.map((c) => c.name);
  }
}

// ---- fixtures ----------------------------------------------------------------------------------

export function identity(over: Partial<IdentityInfo> = {}): IdentityInfo {
  return {
    id: 'id-alice',
    name: 'Alice',
    publicPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
    commonAddress: '0x0b1234abcdABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl==',
    fingerprint: 'aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111',
    protection: 'safeStorage',
    unlocked: true,
    autoRenew: false,
    createdAt: 1_700_000_000_000,
    backedUpAt: 1_700_000_100_000,
    ...over,
  };
}

export function profile(over: Partial<TrackerProfile> = {}): TrackerProfile {
  return {
    id: 'p-embedded',
    name: 'Embedded',
    url: 'ws://127.0.0.1:8787',
    embedded: true,
    pinnedKey: null,
    pinnedFingerprint: null,
    ...over,
  };
}

export function status(over: Partial<ConnectionStatus> = {}): ConnectionStatus {
  return {
    profileId: null,
    identityId: null,
    state: 'idle',
    nextAttemptAt: null,
    lastOnlineAt: null,
    error: null,
    errorKind: null,
    offeredKey: null,
    offeredFingerprint: null,
    ...over,
  };
}

export function settings(over: Partial<Settings> = {}): Settings {
  return {
    expiryWarningLeadMs: 300_000,
    language: 'en',
    theme: 'system',
    lastIdentityId: null,
    lastProfileId: null,
    notifications: true,
    autoLockMinutes: 15,
    ...over,
  };
}

export function address(over: Partial<AddressView> = {}): AddressView {
  return {
    address: '0x0c1111aaaaBBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJ==',
    kind: 'spend',
    identityId: 'id-alice',
    status: 'open',
    amount: '11000',
    limitAmount: '11000',
    quantumVolume: '0',
    limitQuantumVolume: '0',
    volume: '0',
    openChannels: 0,
    priceAmount: '1100',
    pricePower: 20,
    timeLock: Date.now() + 30 * 60_000,
    openedAt: Date.now() - 60_000,
    closedAt: null,
    readAt: Date.now(),
    ...over,
  };
}

export function channel(over: Partial<ChannelView> = {}): ChannelView {
  return {
    channelId: 'ch-1',
    identityId: 'id-alice',
    role: 'payer',
    fromAddress: '0x0c1111aaaaBBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJ==',
    toAddress: '0x0d2222aaaaBBBBCCCCDDDDEEEEFFFFGGGGHHHHIIIIJJJJ==',
    fromPK: 'A',
    toPK: 'B',
    fromFingerprint: 'aaaa:aaaa',
    toFingerprint: 'bbbb:bbbb',
    counterpartyIdentityId: null,
    priceTokens: '1000',
    pricePower: 20,
    plannedQuantumCount: '5',
    reservation: '5000',
    state: 'open',
    timeLock: Date.now() + 5 * 60_000,
    openedAt: Date.now() - 1000,
    closedAt: null,
    settlement: null,
    readAt: Date.now(),
    ...over,
  };
}

export function historyItem(n: number, over: Partial<HistoryItem> = {}): HistoryItem {
  return {
    txId: `tx-${n}`,
    parentTxId: '',
    txType: 16,
    from: '0x0c…',
    to: '0x0d…',
    amount: String(n * 10),
    volume: '0',
    quantumCount: '0',
    contractId: '',
    priceAmount: '0',
    pricePower: 0,
    plannedQuantumCount: '0',
    timelock: 0,
    timestamp: 1_700_000_000_000 - n * 1000,
    status: 1,
    signature: 'valid',
    ...over,
  };
}
