import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { AddressView, CommonStateView } from '../../../shared/api/models';
import { TxType } from '../../../shared/protocol/commands';
import { transport } from './transport';
import { useSessionStore } from './session';

/** An address is live while the tracker says open and its timeLock is still ahead. */
export function isLive(a: AddressView, now: number): boolean {
  return a.status === 'open' && a.timeLock > now;
}

/**
 * closed: the owner closed it before its time lock; expired: it reached its time lock (the
 * tracker's expiry job closes it then, which the app first learns as "closed").
 */
export function addressEnd(a: AddressView): 'closed' | 'expired' {
  return a.status === 'closed' && a.closedAt !== null && a.closedAt < a.timeLock ? 'closed' : 'expired';
}

/** Splits addresses into live cards (spend first, soonest expiry first) and the closed section (newest first). */
export function splitAddresses(list: readonly AddressView[], now: number) {
  const live = list
    .filter((a) => isLive(a, now))
    .sort((a, b) => (a.kind === b.kind ? a.timeLock - b.timeLock : a.kind === 'spend' ? -1 : 1));
  const closed = list
    .filter((a) => !isLive(a, now))
    .sort((a, b) => (b.closedAt ?? b.timeLock) - (a.closedAt ?? a.timeLock));
  return { live, closed };
}

/** What the tracker gave a new address of a kind: funded atoms and lifetime. */
export interface OpenTerms {
  amount: string;
  lifetimeMs: number;
}

function upsert(list: AddressView[], a: AddressView): AddressView[] {
  const i = list.findIndex((x) => x.address === a.address);
  if (i < 0) return [...list, a];
  const copy = list.slice();
  copy[i] = a;
  return copy;
}

export const useAddressesStore = defineStore('addresses', () => {
  const session = useSessionStore();
  const list = ref<AddressView[]>([]);
  const common = ref<CommonStateView | null>(null);
  const loading = ref(false);
  const refreshing = ref(false);
  const opening = ref<'spend' | 'income' | null>(null);
  const closing = ref<Set<string>>(new Set());
  const error = ref<unknown>(null);
  /** The session's viewKey the list was loaded for. */
  const loadedFor = ref<string | null>(null);

  const spend = computed(() => list.value.filter((a) => a.kind === 'spend'));
  const income = computed(() => list.value.filter((a) => a.kind === 'income'));

  function identityId(): string {
    const id = session.activeIdentityId;
    if (!id) throw Object.assign(new Error('no active identity'), { code: 'NO_IDENTITY' });
    return id;
  }

  /** From the cache: works offline. */
  async function load(): Promise<void> {
    const id = identityId();
    const key = session.viewKey;
    loading.value = true;
    error.value = null;
    try {
      const [addrs, state] = await Promise.all([
        transport().invoke('addresses.list', { identityId: id }),
        transport().invoke('common.state', { identityId: id }),
      ]);
      if (session.viewKey !== key) return;
      list.value = addrs;
      common.value = state;
      loadedFor.value = key;
    } catch (e) {
      error.value = e;
    } finally {
      loading.value = false;
    }
  }

  /** Asks the tracker for fresh states. */
  async function refresh(): Promise<void> {
    const id = identityId();
    const key = session.viewKey;
    refreshing.value = true;
    try {
      const addrs = await transport().invoke('addresses.refresh', { identityId: id });
      const state = await transport().invoke('common.state', { identityId: id });
      if (session.viewKey !== key) return;
      list.value = addrs;
      common.value = state;
    } finally {
      refreshing.value = false;
    }
  }

  async function open(kind: 'spend' | 'income'): Promise<AddressView> {
    const id = identityId();
    opening.value = kind;
    try {
      const a = await transport().invoke('addresses.open', { identityId: id, kind });
      if (session.activeIdentityId === id) list.value = upsert(list.value, a);
      return a;
    } finally {
      opening.value = null;
    }
  }

  async function close(address: string): Promise<AddressView> {
    const id = identityId();
    closing.value = new Set(closing.value).add(address);
    try {
      const a = await transport().invoke('addresses.close', { identityId: id, address });
      if (session.activeIdentityId === id) list.value = upsert(list.value, a);
      return a;
    } finally {
      const next = new Set(closing.value);
      next.delete(address);
      closing.value = next;
    }
  }

  /**
   * The terms of the last address of this kind the tracker opened for this identity: its open
   * transaction (amount, timelock − timestamp) from the synced history, else the newest cached
   * address's lifetime. Null when nothing is known yet.
   */
  async function lastOpenTerms(kind: 'spend' | 'income'): Promise<OpenTerms | null> {
    const id = session.activeIdentityId;
    if (!id) return null;
    const page = await transport()
      .invoke('history.query', {
        identityId: id,
        filter: { types: [kind === 'spend' ? TxType.OPEN_SPEND : TxType.OPEN_INCOME] },
        limit: 1,
      })
      .catch(() => null);
    const tx = page?.items[0];
    if (tx && tx.timelock > tx.timestamp)
      return { amount: tx.amount, lifetimeMs: tx.timelock - tx.timestamp };
    const newest = list.value
      .filter((a) => a.kind === kind && a.openedAt !== null)
      .sort((a, b) => (b.openedAt ?? 0) - (a.openedAt ?? 0))[0];
    if (!newest || kind === 'spend') return null;
    return { amount: '0', lifetimeMs: newest.timeLock - (newest.openedAt ?? newest.timeLock) };
  }

  /** Another local identity's addresses (from the cache), e.g. to pick a payee's income address. */
  function listFor(otherIdentityId: string): Promise<AddressView[]> {
    if (otherIdentityId === session.activeIdentityId) return Promise.resolve(list.value);
    return transport().invoke('addresses.list', { identityId: otherIdentityId });
  }

  function clear(): void {
    list.value = [];
    common.value = null;
    loadedFor.value = null;
  }

  function bindEvents(): () => void {
    const api = transport();
    const offs = [
      api.on('addresses.changed', (p) => {
        if (session.isShown(p)) list.value = p.addresses;
      }),
      api.on('common.changed', (p) => {
        if (session.isShown(p)) common.value = p.state;
      }),
    ];
    // Another identity or tracker empties the view and reloads it from that pair's cache.
    const stop = watch(
      () => session.viewKey,
      () => {
        clear();
        if (session.activeIdentityId) void load();
      },
    );
    // The host is back: what changed while it was away came in no event.
    const stopHost = watch(
      () => session.hostReturns,
      () => {
        if (session.activeIdentityId) void load();
      },
    );
    return () => {
      offs.forEach((off) => off());
      stop();
      stopHost();
    };
  }

  return {
    list,
    common,
    loading,
    refreshing,
    opening,
    closing,
    error,
    loadedFor,
    spend,
    income,
    load,
    refresh,
    open,
    close,
    listFor,
    lastOpenTerms,
    clear,
    bindEvents,
  };
});
