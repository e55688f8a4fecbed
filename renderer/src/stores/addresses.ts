import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { AddressView, CommonStateView } from '../../../shared/api/models';
import { transport } from './transport';
import { useSessionStore } from './session';

/** An address is live while the tracker says open and its timeLock is still ahead. */
export function isLive(a: AddressView, now: number): boolean {
  return a.status === 'open' && a.timeLock > now;
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
    return () => {
      offs.forEach((off) => off());
      stop();
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
    clear,
    bindEvents,
  };
});
