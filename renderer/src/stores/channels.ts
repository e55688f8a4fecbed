import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type {
  ChannelDraft,
  ChannelPreview,
  ChannelView,
  ClosePreview,
  FileReview,
  TextFile,
} from '../../../shared/api/models';
import { transport } from './transport';
import { parseListing, type ChannelListing } from './channelListing';
import { useSessionStore } from './session';

function upsert(list: ChannelView[], c: ChannelView): ChannelView[] {
  const i = list.findIndex((x) => x.channelId === c.channelId);
  if (i < 0) return [...list, c];
  const copy = list.slice();
  copy[i] = c;
  return copy;
}

export { channelState } from './channelListing';

/**
 * Atoms the common card's "Planned" still counts for channels paying this identity that expired
 * without a close: they will never be paid (the tracker settles them at zero).
 */
export function expiredReservations(list: readonly ChannelView[], now: number): bigint {
  return list
    .filter(
      (c) =>
        (c.role === 'payee' || c.role === 'both') &&
        c.closedAt === null &&
        (c.state === 'open' || c.state === 'expired') &&
        c.timeLock <= now,
    )
    .reduce((sum, c) => sum + BigInt(c.reservation), 0n);
}

/** Open channels first (soonest expiry first), then the rest newest first. */
export function sortChannels(list: readonly ChannelView[]): ChannelView[] {
  return list.slice().sort((a, b) => {
    const ao = a.state === 'open' ? 0 : 1;
    const bo = b.state === 'open' ? 0 : 1;
    if (ao !== bo) return ao - bo;
    if (ao === 0) return a.timeLock - b.timeLock;
    return (b.closedAt ?? b.openedAt) - (a.closedAt ?? a.openedAt);
  });
}

/** Offers the user cancelled here, by identity and channel id (kept in this browser's storage). */
const CANCELLED_KEY = 'wallet-tracker.cancelled-offers';

function readCancelled(): Set<string> {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(CANCELLED_KEY) ?? '[]');
    return new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

const cancelKey = (c: ChannelView) => `${c.identityId}\n${c.channelId}`;

/** How the owner last filtered, grouped and sorted the channels list. */
const LISTING_KEY = 'wallet-tracker.channel-listing';

function readListing(): ChannelListing {
  try {
    return parseListing(JSON.parse(localStorage.getItem(LISTING_KEY) ?? 'null'));
  } catch {
    return parseListing(null);
  }
}

export const useChannelsStore = defineStore('channels', () => {
  const session = useSessionStore();
  const list = ref<ChannelView[]>([]);
  const loading = ref(false);
  const refreshing = ref(false);
  const error = ref<unknown>(null);
  const cancelled = ref<Set<string>>(readCancelled());
  const listing = ref<ChannelListing>(readListing());
  watch(
    listing,
    (l) => {
      try {
        localStorage.setItem(LISTING_KEY, JSON.stringify(l));
      } catch {
        // no storage: kept for this session only
      }
    },
    { deep: true },
  );

  /**
   * An offer signed here cannot be taken back: the other peer may still submit it. Cancelling
   * hides it while it is pending; the wallet keeps checking it, and a submitted one is open and
   * shown again.
   */
  function cancelOffer(c: ChannelView): void {
    if (c.state !== 'unknown') return;
    const next = new Set(cancelled.value).add(cancelKey(c));
    cancelled.value = next;
    try {
      localStorage.setItem(CANCELLED_KEY, JSON.stringify([...next]));
    } catch {
      // no storage: hidden for this session only
    }
  }

  const sorted = computed(() =>
    sortChannels(list.value.filter((c) => !(c.state === 'unknown' && cancelled.value.has(cancelKey(c))))),
  );
  const open = computed(() => list.value.filter((c) => c.state === 'open'));

  function identityId(): string {
    const id = session.activeIdentityId;
    if (!id) throw Object.assign(new Error('no active identity'), { code: 'NO_IDENTITY' });
    return id;
  }

  function remember(c: ChannelView): ChannelView {
    if (c.identityId === session.activeIdentityId || c.role === 'both') list.value = upsert(list.value, c);
    return c;
  }

  async function load(): Promise<void> {
    const id = identityId();
    const key = session.viewKey;
    loading.value = true;
    error.value = null;
    try {
      const channels = await transport().invoke('channels.list', { identityId: id });
      if (session.viewKey === key) list.value = channels;
    } catch (e) {
      error.value = e;
    } finally {
      loading.value = false;
    }
  }

  async function refresh(): Promise<void> {
    const id = identityId();
    const key = session.viewKey;
    refreshing.value = true;
    try {
      const channels = await transport().invoke('channels.refresh', { identityId: id });
      if (session.viewKey === key) list.value = channels;
    } finally {
      refreshing.value = false;
    }
  }

  function preview(draft: ChannelDraft, payerIdentityId = identityId()): Promise<ChannelPreview> {
    return transport().invoke('channels.preview', { identityId: payerIdentityId, draft });
  }

  async function openLocal(payerId: string, payeeId: string, draft: ChannelDraft): Promise<ChannelView> {
    return remember(await transport().invoke('channels.openLocal', { payerId, payeeId, draft }));
  }

  function createOffer(args: {
    identityId: string;
    counterpartyPK: string;
    draft: ChannelDraft;
    role: 'payer' | 'payee';
  }): Promise<TextFile> {
    return transport().invoke('channels.createOffer', args);
  }

  function previewClose(channelId: string, volume: string): Promise<ClosePreview> {
    return transport().invoke('channels.previewClose', { channelId, volume });
  }

  async function closeLocal(channelId: string, volume: string): Promise<ChannelView> {
    return remember(await transport().invoke('channels.closeLocal', { channelId, volume }));
  }

  function createReceipt(channelId: string, volume: string, id = identityId()): Promise<TextFile> {
    return transport().invoke('channels.createReceipt', { identityId: id, channelId, volume });
  }

  function reviewFile(content: string): Promise<FileReview> {
    return transport().invoke('channels.reviewFile', { content });
  }

  function countersign(content: string, id: string): Promise<TextFile> {
    return transport().invoke('channels.countersign', { content, identityId: id });
  }

  async function submitFile(content: string): Promise<ChannelView> {
    return remember(await transport().invoke('channels.submitFile', { content }));
  }

  function bindEvents(): () => void {
    const off = transport().on('channels.changed', (p) => {
      if (session.isShown(p)) list.value = p.channels;
    });
    const stop = watch(
      () => session.viewKey,
      () => {
        list.value = [];
        if (session.activeIdentityId) void load();
      },
    );
    const stopHost = watch(
      () => session.hostReturns,
      () => {
        if (session.activeIdentityId) void load();
      },
    );
    return () => {
      off();
      stop();
      stopHost();
    };
  }

  return {
    list,
    sorted,
    listing,
    cancelOffer,
    open,
    loading,
    refreshing,
    error,
    load,
    refresh,
    preview,
    openLocal,
    createOffer,
    previewClose,
    closeLocal,
    createReceipt,
    reviewFile,
    countersign,
    submitFile,
    bindEvents,
  };
});
