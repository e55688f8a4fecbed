import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef, watch } from 'vue';
import type { ChartPoint, HistoryFilter, HistoryItem, SyncStatus } from '../../../shared/api/models';
import { transport } from './transport';
import { useSessionStore } from './session';

export const PAGE_SIZE = 200;

/** Drops empty parts so the request carries only what the user set. */
export function cleanFilter(f: HistoryFilter): HistoryFilter {
  const out: HistoryFilter = {};
  if (f.types && f.types.length > 0) out.types = [...f.types].sort((a, b) => a - b);
  if (f.address?.trim()) out.address = f.address.trim();
  if (f.channelId?.trim()) out.channelId = f.channelId.trim();
  if (f.search?.trim()) out.search = f.search.trim();
  if (f.fromTime !== undefined && Number.isFinite(f.fromTime)) out.fromTime = f.fromTime;
  if (f.toTime !== undefined && Number.isFinite(f.toTime)) out.toTime = f.toTime;
  return out;
}

/** Buckets over the chart's span: enough for a smooth balance line on a wide window. */
const CHART_BUCKETS = 200;

export const useHistoryStore = defineStore('history', () => {
  const session = useSessionStore();
  /** Rows in display order (newest first). Shallow: 200,000 rows must not become deep proxies. */
  const items = shallowRef<HistoryItem[]>([]);
  const next = ref<string | null>(null);
  const total = ref(0);
  const done = ref(false);
  const loading = ref(false);
  const error = ref<unknown>(null);
  const filter = ref<HistoryFilter>({});
  const syncStatus = ref<SyncStatus | null>(null);
  const syncing = computed(() => !!syncStatus.value?.running);
  const chart = ref<ChartPoint[]>([]);
  const chartLoading = ref(false);
  /** Bumped on every reset so a page that arrives for an older filter or identity is dropped. */
  let generation = 0;

  function identityId(): string {
    const id = session.activeIdentityId;
    if (!id) throw Object.assign(new Error('no active identity'), { code: 'NO_IDENTITY' });
    return id;
  }

  /** Starts over from the newest page with the given filter. */
  async function reset(f: HistoryFilter = filter.value): Promise<void> {
    generation++;
    filter.value = cleanFilter(f);
    items.value = [];
    next.value = null;
    total.value = 0;
    done.value = false;
    loading.value = false;
    error.value = null;
    await loadMore();
  }

  /** Fetches the next page from the cache (keyset cursor), once at a time. */
  async function loadMore(): Promise<void> {
    if (loading.value || done.value || !session.activeIdentityId) return;
    const gen = generation;
    const id = identityId();
    loading.value = true;
    try {
      const page = await transport().invoke('history.query', {
        identityId: id,
        filter: filter.value,
        after: next.value,
        limit: PAGE_SIZE,
      });
      if (gen !== generation) return;
      items.value.push(...page.items);
      triggerRef(items);
      next.value = page.next;
      total.value = page.total;
      done.value = page.next === null;
    } catch (e) {
      if (gen === generation) error.value = e;
    } finally {
      if (gen === generation) loading.value = false;
    }
  }

  async function sync(): Promise<SyncStatus> {
    const s = await transport().invoke('history.sync', { identityId: identityId() });
    syncStatus.value = s;
    return s;
  }

  async function loadSyncStatus(): Promise<void> {
    const id = session.activeIdentityId;
    const key = session.viewKey;
    if (!id) return;
    try {
      const s = await transport().invoke('history.syncStatus', { identityId: id });
      if (key === session.viewKey) syncStatus.value = s;
    } catch {
      // the status bar shows "never synced"; nothing else depends on it
    }
  }

  function item(txId: string) {
    return transport().invoke('history.item', { identityId: identityId(), txId });
  }

  function exportCsv() {
    return transport().invoke('history.exportCsv', { identityId: identityId(), filter: filter.value });
  }

  /** Finer buckets of a span of the chart (zoomed in), for the active identity. */
  function chartRange(fromTime: number, toTime: number, buckets = CHART_BUCKETS) {
    return transport().invoke('history.chart', {
      identityId: identityId(),
      buckets,
      fromTime: Math.max(0, Math.floor(fromTime)),
      toTime: Math.max(0, Math.ceil(toTime)),
    });
  }

  async function loadChart(buckets = CHART_BUCKETS): Promise<void> {
    const id = identityId();
    const key = session.viewKey;
    chartLoading.value = true;
    try {
      const points = await transport().invoke('history.chart', { identityId: id, buckets });
      if (key === session.viewKey) chart.value = points;
    } finally {
      chartLoading.value = false;
    }
  }

  function bindEvents(): () => void {
    const off = transport().on('sync.progress', (s) => {
      if (!session.isShown(s)) return;
      const wasRunning = !!syncStatus.value?.running;
      syncStatus.value = s;
      // A finished sync that brought new rows: show them from the top.
      if (wasRunning && !s.running && s.added > 0) {
        void reset();
        void loadChart().catch(() => undefined);
      }
    });
    // Another identity or tracker: nothing of the previous pair stays, the new pair's cache shows.
    const stop = watch(
      () => session.viewKey,
      () => {
        chart.value = [];
        syncStatus.value = null;
        if (!session.activeIdentityId) {
          generation++;
          items.value = [];
          next.value = null;
          total.value = 0;
          done.value = false;
          loading.value = false;
          return;
        }
        void reset();
        void loadSyncStatus();
      },
    );
    return () => {
      off();
      stop();
    };
  }

  return {
    items,
    next,
    total,
    done,
    loading,
    error,
    filter,
    syncStatus,
    syncing,
    chart,
    chartLoading,
    chartRange,
    reset,
    loadMore,
    sync,
    loadSyncStatus,
    item,
    exportCsv,
    loadChart,
    bindEvents,
  };
});
