import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises } from '@vue/test-utils';
import { FakeApi, address, channel, historyItem, identity, profile, settings, status } from './fake-api';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useSettingsStore } from '../../renderer/src/stores/settings';
import { splitAddresses, useAddressesStore } from '../../renderer/src/stores/addresses';
import { sortChannels, useChannelsStore } from '../../renderer/src/stores/channels';
import { PAGE_SIZE, cleanFilter, useHistoryStore } from '../../renderer/src/stores/history';
import { TOAST_TTL, useNotificationsStore } from '../../renderer/src/stores/notifications';
import { useUiStore } from '../../renderer/src/stores/ui';
import { startApp } from '../../renderer/src/stores';

let api: FakeApi;

/** A backend that knows Alice on the embedded tracker. */
function baseApi(
  over: { settings?: ReturnType<typeof settings>; identities?: ReturnType<typeof identity>[] } = {},
) {
  return new FakeApi()
    .handle('app.info', () => ({
      version: '0.1.0',
      mode: 'electron',
      dataDir: '/tmp/wt',
      keyProtection: 'safeStorage',
    }))
    .handle('settings.get', () => over.settings ?? settings())
    .handle('settings.update', (patch) => ({ ...settings(), ...patch }))
    .handle('identities.list', () => over.identities ?? [identity()])
    .handle('trackers.list', () => [profile()])
    .handle('trackers.status', () => status())
    .handle('trackers.connect', (a) =>
      status({ profileId: a.profileId, identityId: a.identityId, state: 'online' }),
    )
    .handle('addresses.list', () => [])
    .handle('common.state', () => null)
    .handle('channels.list', () => [])
    .handle('history.syncStatus', (a) => ({
      identityId: a.identityId,
      running: false,
      fetched: 0,
      total: null,
      added: 0,
      lastSyncedAt: null,
      error: null,
    }));
}

beforeEach(() => {
  setActivePinia(createPinia());
  api = baseApi();
  setTransport(api);
});
afterEach(() => {
  setTransport(null);
  vi.useRealTimers();
});

describe('session store', () => {
  it('sends first-run users to onboarding', async () => {
    api.handle('identities.list', () => []);
    const session = useSessionStore();
    await session.init();
    expect(session.phase).toBe('onboarding');
    expect(api.names()).not.toContain('trackers.connect');
  });

  it('lands a returning user on the last identity and tracker and connects', async () => {
    api.handle('settings.get', () => settings({ lastIdentityId: 'id-alice', lastProfileId: 'p-embedded' }));
    const session = useSessionStore();
    await session.init();
    await flushPromises();
    expect(session.phase).toBe('ready');
    expect(session.activeIdentity?.name).toBe('Alice');
    expect(api.callsOf('trackers.connect')).toEqual([{ profileId: 'p-embedded', identityId: 'id-alice' }]);
    expect(session.status.state).toBe('online');
    expect(api.callsOf('settings.update')).toEqual([
      { lastIdentityId: 'id-alice', lastProfileId: 'p-embedded' },
    ]);
  });

  it('does not reconnect a pair the main process already holds', async () => {
    api.handle('settings.get', () => settings({ lastIdentityId: 'id-alice', lastProfileId: 'p-embedded' }));
    api.handle('trackers.status', () =>
      status({ profileId: 'p-embedded', identityId: 'id-alice', state: 'online' }),
    );
    const session = useSessionStore();
    await session.init();
    await flushPromises();
    expect(api.names()).not.toContain('trackers.connect');
  });

  it('asks a locked identity for its passphrase before connecting', async () => {
    const locked = identity({ protection: 'passphrase', unlocked: false });
    api = baseApi({
      settings: settings({ lastIdentityId: 'id-alice', lastProfileId: 'p-embedded' }),
      identities: [locked],
    });
    api.handle('identities.unlock', () => ({ ...locked, unlocked: true }));
    setTransport(api);
    const session = useSessionStore();
    await session.init();
    await flushPromises();
    expect(session.phase).toBe('ready');
    expect(session.needsUnlock).toBe(true);
    expect(api.names()).not.toContain('trackers.connect');

    await session.unlock('id-alice', 'correct horse');
    await flushPromises();
    expect(api.callsOf('identities.unlock')).toEqual([{ id: 'id-alice', passphrase: 'correct horse' }]);
    expect(session.needsUnlock).toBe(false);
    expect(api.callsOf('trackers.connect')).toEqual([{ profileId: 'p-embedded', identityId: 'id-alice' }]);
  });

  it('follows connection events and accepts the offered key', async () => {
    api.handle('trackers.acceptKey', (a) => status({ profileId: a.profileId, state: 'online' }));
    const session = useSessionStore();
    session.bindEvents();
    api.emit(
      'connection',
      status({
        profileId: 'p-embedded',
        identityId: 'id-alice',
        state: 'key_changed',
        offeredFingerprint: 'ffff:0000',
      }),
    );
    expect(session.status.state).toBe('key_changed');
    await session.acceptKey();
    expect(api.callsOf('trackers.acceptKey')).toEqual([
      { profileId: 'p-embedded', fingerprint: 'ffff:0000' },
    ]);
    expect(session.status.state).toBe('online');
  });

  it('sends create and import intents without empty optional fields', async () => {
    api
      .handle('identities.create', (a) => identity({ id: 'id-new', name: a.name }))
      .handle('identities.import', (a) => identity({ id: 'id-imp', name: a.name }));
    const session = useSessionStore();
    await session.createIdentity('Bob');
    await session.importIdentity({ name: 'Carol', pem: 'PEM', pemPassphrase: '', passphrase: undefined });
    expect(api.callsOf('identities.create')).toEqual([{ name: 'Bob' }]);
    expect(api.callsOf('identities.import')).toEqual([{ name: 'Carol', pem: 'PEM' }]);
    expect(session.identities.map((i) => i.id)).toEqual(['id-new', 'id-imp']);
  });

  it('drops a deleted identity and falls back to onboarding when none is left', async () => {
    api.handle('identities.delete', () => ({ deleted: true }));
    const session = useSessionStore();
    await session.init();
    session.activeIdentityId = 'id-alice';
    session.phase = 'ready';
    await session.deleteIdentity('id-alice', 'Alice');
    expect(api.callsOf('identities.delete')).toEqual([{ id: 'id-alice', confirmName: 'Alice' }]);
    expect(session.identities).toEqual([]);
    expect(session.phase).toBe('onboarding');
  });
});

describe('settings store', () => {
  it('loads, updates and follows settings.changed', async () => {
    const store = useSettingsStore();
    store.bindEvents();
    await store.load();
    await store.update({ theme: 'dark' });
    expect(api.callsOf('settings.update')).toEqual([{ theme: 'dark' }]);
    expect(store.settings.theme).toBe('dark');
    api.emit('settings.changed', settings({ language: 'ru' }));
    expect(store.settings.language).toBe('ru');
  });
});

describe('addresses store', () => {
  it('loads from the cache when the identity becomes active and ignores other identities', async () => {
    const spend = address();
    api.handle('addresses.list', () => [spend]);
    api.handle('common.state', () => ({
      address: 'common',
      fact: '900',
      plan: '0',
      profit: '900',
      foreignFact: '0',
      foreignPlan: '0',
      readAt: 1,
    }));
    const session = useSessionStore();
    const store = useAddressesStore();
    store.bindEvents();
    session.activeIdentityId = 'id-alice';
    await flushPromises();
    expect(api.callsOf('addresses.list')).toEqual([{ identityId: 'id-alice' }]);
    expect(store.list).toEqual([spend]);
    expect(store.common?.fact).toBe('900');

    api.emit('addresses.changed', { identityId: 'id-bob', profileId: null, addresses: [] });
    expect(store.list).toHaveLength(1);
    // Another tracker's data for the same identity is not shown either.
    api.emit('addresses.changed', { identityId: 'id-alice', profileId: 'p-other', addresses: [] });
    expect(store.list).toHaveLength(1);
    api.emit('addresses.changed', { identityId: 'id-alice', profileId: null, addresses: [] });
    expect(store.list).toHaveLength(0);
  });

  it('opens and closes addresses with the right intents', async () => {
    const opened = address({ address: '0x0d-new', kind: 'income' });
    api.handle('addresses.open', () => opened);
    api.handle('addresses.close', (a) => ({ ...opened, address: a.address, status: 'closed', closedAt: 5 }));
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useAddressesStore();
    const pending = store.open('income');
    expect(store.opening).toBe('income');
    await pending;
    expect(store.opening).toBeNull();
    expect(api.callsOf('addresses.open')).toEqual([{ identityId: 'id-alice', kind: 'income' }]);
    expect(store.list).toEqual([opened]);

    const closing = store.close('0x0d-new');
    expect(store.closing.has('0x0d-new')).toBe(true);
    await closing;
    expect(store.closing.size).toBe(0);
    expect(api.callsOf('addresses.close')).toEqual([{ identityId: 'id-alice', address: '0x0d-new' }]);
    expect(store.list[0]?.status).toBe('closed');
  });

  it('moves closed and timed-out addresses to the closed section', () => {
    const now = 1_000_000;
    const live = address({ address: 'live', timeLock: now + 10 });
    const liveIncome = address({ address: 'inc', kind: 'income', timeLock: now + 5 });
    const timedOut = address({ address: 'late', timeLock: now - 1 });
    const closed = address({ address: 'closed', status: 'closed', closedAt: now - 100 });
    const split = splitAddresses([liveIncome, timedOut, live, closed], now);
    expect(split.live.map((a) => a.address)).toEqual(['live', 'inc']);
    expect(split.closed.map((a) => a.address)).toEqual(['late', 'closed']);
  });
});

describe('channels store', () => {
  it('previews drafts and opens local channels', async () => {
    const draft = {
      fromAddress: '0x0c1',
      toAddress: '0x0d1',
      priceTokens: '1000',
      pricePower: 20,
      plannedQuantumCount: '11',
    };
    api
      .handle('channels.preview', () => ({ reservation: '11000', plannedBytes: '11534336', problems: [] }))
      .handle('channels.openLocal', () => channel({ role: 'both' }));
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useChannelsStore();
    const p = await store.preview(draft);
    expect(p.reservation).toBe('11000');
    expect(api.callsOf('channels.preview')).toEqual([{ identityId: 'id-alice', draft }]);
    await store.openLocal('id-alice', 'id-bob', draft);
    expect(api.callsOf('channels.openLocal')).toEqual([{ payerId: 'id-alice', payeeId: 'id-bob', draft }]);
    expect(store.list).toHaveLength(1);
  });

  it('sends close and file intents', async () => {
    api
      .handle('channels.previewClose', () => ({
        quantumCount: '2',
        tokens: '2000',
        volume: '1500000',
        problems: [],
      }))
      .handle('channels.createReceipt', () => ({ fileName: 'r.json', content: '{}' }))
      .handle('channels.reviewFile', () => {
        throw Object.assign(new Error('bad'), { code: 'BAD_FILE' });
      });
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useChannelsStore();
    await store.previewClose('ch-1', '1500000');
    await store.createReceipt('ch-1', '1500000');
    expect(api.callsOf('channels.previewClose')).toEqual([{ channelId: 'ch-1', volume: '1500000' }]);
    expect(api.callsOf('channels.createReceipt')).toEqual([
      { identityId: 'id-alice', channelId: 'ch-1', volume: '1500000' },
    ]);
    await expect(store.reviewFile('{}')).rejects.toMatchObject({ code: 'BAD_FILE' });
  });

  it('lists open channels first, soonest expiry first, then the rest newest first', () => {
    const a = channel({ channelId: 'open-late', timeLock: 300 });
    const b = channel({ channelId: 'open-soon', timeLock: 100 });
    const c = channel({ channelId: 'closed-old', state: 'closed', closedAt: 10 });
    const d = channel({ channelId: 'closed-new', state: 'closed', closedAt: 20 });
    expect(sortChannels([c, a, d, b]).map((x) => x.channelId)).toEqual([
      'open-soon',
      'open-late',
      'closed-new',
      'closed-old',
    ]);
  });
});

describe('history store', () => {
  function pagedApi(totalRows: number) {
    api.handle('history.query', (q) => {
      const start = q.after ? Number(q.after) : 0;
      const limit = q.limit ?? 100;
      const items = Array.from({ length: Math.max(0, Math.min(limit, totalRows - start)) }, (_, i) =>
        historyItem(start + i),
      );
      const end = start + items.length;
      return { items, next: end < totalRows ? String(end) : null, total: totalRows };
    });
  }

  it('pages from the cache with the keyset cursor until the end', async () => {
    pagedApi(450);
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useHistoryStore();
    await store.reset({ types: [16], search: '  ' });
    expect(api.callsOf('history.query')[0]).toEqual({
      identityId: 'id-alice',
      filter: { types: [16] },
      after: null,
      limit: PAGE_SIZE,
    });
    expect(store.items).toHaveLength(200);
    await store.loadMore();
    await store.loadMore();
    await store.loadMore();
    expect(api.callsOf('history.query').map((q) => q.after)).toEqual([null, '200', '400']);
    expect(store.items).toHaveLength(450);
    expect(store.done).toBe(true);
    expect(store.total).toBe(450);
    expect(store.items[0]?.txId).toBe('tx-0');
  });

  it('asks for one page at a time and drops a page that arrives for an older filter', async () => {
    let release: () => void = () => undefined;
    api.handle(
      'history.query',
      (q) =>
        new Promise((resolve) => {
          const page = { items: [historyItem(q.filter?.search ? 99 : 1)], next: null, total: 1 };
          if (q.filter?.search) resolve(page);
          else release = () => resolve(page);
        }),
    );
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useHistoryStore();
    const first = store.reset({});
    void store.loadMore(); // ignored: a page is already on its way
    await flushPromises();
    expect(api.callsOf('history.query')).toHaveLength(1);
    await store.reset({ search: 'tx-99' });
    release();
    await first;
    expect(store.items.map((i) => i.txId)).toEqual(['tx-99']);
  });

  it('reloads from the top when a sync brought new rows', async () => {
    pagedApi(3);
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    api.handle('history.chart', () => []);
    api.handle('history.sync', (a) => ({
      identityId: a.identityId,
      running: true,
      fetched: 0,
      total: null,
      added: 0,
      lastSyncedAt: null,
      error: null,
    }));
    const store = useHistoryStore();
    store.bindEvents();
    await store.sync();
    expect(api.callsOf('history.sync')).toEqual([{ identityId: 'id-alice' }]);
    expect(store.syncing).toBe(true);
    api.emit('sync.progress', {
      profileId: null,
      identityId: 'id-alice',
      running: true,
      fetched: 50,
      total: 100,
      added: 50,
      lastSyncedAt: null,
      error: null,
    });
    expect(store.syncStatus?.fetched).toBe(50);
    api.emit('sync.progress', {
      profileId: null,
      identityId: 'id-alice',
      running: false,
      fetched: 100,
      total: 100,
      added: 100,
      lastSyncedAt: 5,
      error: null,
    });
    await flushPromises();
    expect(store.syncing).toBe(false);
    expect(api.names()).toContain('history.query');
    expect(store.items).toHaveLength(3);
    api.emit('sync.progress', {
      profileId: null,
      identityId: 'id-bob',
      running: true,
      fetched: 1,
      total: 1,
      added: 0,
      lastSyncedAt: null,
      error: null,
    });
    expect(store.syncing).toBe(false);
  });

  it('exports the current filter', async () => {
    pagedApi(0);
    api.handle('history.exportCsv', () => ({ fileName: 'h.csv', path: '/tmp/h.csv', rows: 0 }));
    const session = useSessionStore();
    session.activeIdentityId = 'id-alice';
    const store = useHistoryStore();
    await store.reset({ channelId: 'ch-1' });
    await store.exportCsv();
    expect(api.callsOf('history.exportCsv')).toEqual([
      { identityId: 'id-alice', filter: { channelId: 'ch-1' } },
    ]);
  });

  it('cleans filters', () => {
    expect(
      cleanFilter({ types: [], address: ' ', channelId: ' c ', fromTime: 5, toTime: Number.NaN }),
    ).toEqual({
      channelId: 'c',
      fromTime: 5,
    });
    expect(cleanFilter({ types: [64, 2] })).toEqual({ types: [2, 64] });
  });
});

describe('notifications store', () => {
  it('turns each typed event into one toast', () => {
    const session = useSessionStore();
    session.identities = [identity()];
    const store = useNotificationsStore();
    store.bindEvents();
    api.emit('autoRenew.failed', { identityId: 'id-alice', kind: 'spend', address: 'x', error: 'NO_FUNDS' });
    expect(store.toasts).toHaveLength(1);
    expect(store.toasts[0]).toMatchObject({
      level: 'error',
      key: 'notify.renewFailed',
      params: { target: 'x', identity: 'Alice', error: 'NO_FUNDS' },
    });
    api.emit('expiry.warning', { identityId: 'id-alice', kind: 'spend', target: '0x0c1', timeLock: 5 });
    expect(store.toasts[1]).toMatchObject({ level: 'warning', key: 'notify.expiryWarning.spend' });
    expect(store.toasts[1]?.params.identity).toBe('Alice');
    api.emit('autoRenew.renewed', { identityId: 'id-alice', kind: 'income', closed: 'a', opened: 'b' });
    expect(store.toasts[2]).toMatchObject({ level: 'info', key: 'notify.renewed.income' });
  });

  it('reports a lost connection once and the recovery', () => {
    const store = useNotificationsStore();
    store.bindEvents();
    api.emit('connection', status({ state: 'online' }));
    api.emit('connection', status({ state: 'reconnecting', nextAttemptAt: 5 }));
    api.emit('connection', status({ state: 'reconnecting', nextAttemptAt: 9 }));
    api.emit('connection', status({ state: 'online' }));
    expect(store.toasts.map((t) => t.key)).toEqual(['notify.connectionLost', 'notify.reconnected']);
  });

  it('dismisses info toasts after their time and keeps errors', () => {
    vi.useFakeTimers();
    const store = useNotificationsStore();
    store.info('notify.reconnected');
    store.error('boom');
    vi.advanceTimersByTime(TOAST_TTL.info! + 1);
    expect(store.toasts.map((t) => t.level)).toEqual(['error']);
    store.dismiss(store.toasts[0]!.id);
    expect(store.toasts).toHaveLength(0);
  });
});

describe('ui store and startApp', () => {
  it('navigates and hands a filter to History', () => {
    const ui = useUiStore();
    ui.showHistory({ channelId: 'ch-1' });
    expect(ui.view).toBe('history');
    expect(ui.takeHistoryFilter()).toEqual({ channelId: 'ch-1' });
    expect(ui.takeHistoryFilter()).toBeNull();
  });

  it('subscribes every store and unsubscribes on stop', async () => {
    const stop = await startApp();
    expect(api.listenerCount('connection')).toBe(2); // session + notifications
    expect(api.listenerCount('sync.progress')).toBe(1);
    expect(api.listenerCount('addresses.changed')).toBe(1);
    stop();
    expect(api.listenerCount('connection')).toBe(0);
  });
});
