import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises, mount } from '@vue/test-utils';
import StatusBar from '../../renderer/src/components/layout/StatusBar.vue';
import { createAppI18n } from '../../renderer/src/i18n';
import { setTransport, type HostState } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useHistoryStore } from '../../renderer/src/stores/history';
import { FakeApi, identity, profile, settings, status } from './fake-api';

describe('StatusBar', () => {
  let api: FakeApi;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    setActivePinia(createPinia());
    api = new FakeApi();
    setTransport(api);
  });
  afterEach(() => {
    setTransport(null);
    vi.useRealTimers();
  });

  function mountBar() {
    return mount(StatusBar, { global: { plugins: [createAppI18n('en')] }, attachTo: document.body });
  }

  it('counts down to the next reconnect attempt and shows the identity and last sync', async () => {
    const session = useSessionStore();
    session.identities = [identity()];
    session.trackers = [profile({ name: 'Home tracker' })];
    session.activeIdentityId = 'id-alice';
    session.activeProfileId = 'p-embedded';
    session.status = status({
      profileId: 'p-embedded',
      state: 'reconnecting',
      nextAttemptAt: 1_000_000 + 5_000,
    });
    useHistoryStore().syncStatus = {
      identityId: 'id-alice',
      running: false,
      fetched: 0,
      total: null,
      added: 0,
      lastSyncedAt: 1_000_000 - 120_000,
      error: null,
    };
    const w = mountBar();
    expect(w.get('[data-testid="status-tracker"]').text()).toBe('Home tracker');
    expect(w.get('[data-testid="status-state"]').text()).toBe('reconnecting in 5 s');
    expect(w.get('[data-testid="status-identity"]').text()).toBe('Alice');
    expect(w.get('[data-testid="status-sync"]').text()).toBe('History synced 2 min ago');
    vi.advanceTimersByTime(2_000);
    await flushPromises();
    expect(w.get('[data-testid="status-state"]').text()).toBe('reconnecting in 3 s');
    w.unmount();
  });

  it('offers to review a changed key and accepts it with the offered fingerprint', async () => {
    api.handle('trackers.acceptKey', (a) => status({ profileId: a.profileId, state: 'online' }));
    const session = useSessionStore();
    session.trackers = [profile({ pinnedFingerprint: '1111:2222' })];
    session.activeProfileId = 'p-embedded';
    session.status = status({
      profileId: 'p-embedded',
      state: 'key_changed',
      offeredFingerprint: '9999:8888',
    });
    const w = mountBar();
    expect(w.get('[data-testid="status-state"]').attributes('data-state')).toBe('key_changed');
    await w.get('[data-testid="status-review-key"]').trigger('click');
    await flushPromises();
    const dialog = document.querySelector('[data-testid="key-changed"]')!;
    expect(dialog.querySelector('[data-testid="key-pinned"]')!.textContent).toBe('1111:2222');
    expect(dialog.querySelector('[data-testid="key-offered"]')!.textContent).toBe('9999:8888');
    (dialog.querySelector('[data-testid="key-accept"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(api.callsOf('trackers.acceptKey')).toEqual([
      { profileId: 'p-embedded', fingerprint: '9999:8888' },
    ]);
    expect(session.status.state).toBe('online');
    expect(document.querySelector('[data-testid="key-changed"]')).toBeNull();
    w.unmount();
  });

  it('shows the last connection error in words, not only in a tooltip', () => {
    const session = useSessionStore();
    session.trackers = [profile({ name: 'Remote' })];
    session.activeProfileId = 'p-embedded';
    session.status = status({
      profileId: 'p-embedded',
      state: 'reconnecting',
      nextAttemptAt: 1_000_000 + 3_000,
      error:
        'The tracker at ws://127.0.0.1:8787 refused the connection: nothing is listening there, or it is down.',
      errorKind: 'REFUSED',
    });
    const w = mountBar();
    const error = w.get('[data-testid="status-error"]');
    expect(error.text()).toBe('Nothing answers at the tracker address.');
    expect(error.attributes('title')).toContain('ws://127.0.0.1:8787');
    w.unmount();
  });

  it('defect 10: an elapsed reconnect countdown reads "reconnecting", never "in 0 s"', async () => {
    const session = useSessionStore();
    session.trackers = [profile()];
    session.status = status({ state: 'reconnecting', nextAttemptAt: 1_000_000 + 1_000 });
    const w = mountBar();
    expect(w.get('[data-testid="status-state"]').text()).toBe('reconnecting in 1 s');
    vi.advanceTimersByTime(5_000);
    await flushPromises();
    expect(w.get('[data-testid="status-state"]').text()).toBe('reconnecting');
    w.unmount();
  });

  it('defect 10: while the app host is down it says so and does not blame the tracker; back, it resyncs', async () => {
    const listeners = new Set<(s: HostState) => void>();
    const link = {
      state: 'open' as HostState,
      onState: (l: (s: HostState) => void) => (listeners.add(l), () => listeners.delete(l)),
    };
    const set = (s: HostState) => {
      link.state = s;
      listeners.forEach((l) => l(s));
    };
    api
      .handle('identities.list', () => [identity()])
      .handle('trackers.list', () => [profile()])
      .handle('trackers.status', () => status({ state: 'idle' }))
      .handle('settings.get', () => settings())
      .handle('trackers.connect', (a) => status({ ...a, state: 'online' }));
    setTransport(api, link);
    const session = useSessionStore();
    session.bindEvents();
    session.phase = 'ready';
    session.identities = [identity()];
    session.trackers = [profile()];
    session.activeIdentityId = 'id-alice';
    session.activeProfileId = 'p-embedded';
    session.status = status({ profileId: 'p-embedded', state: 'reconnecting', nextAttemptAt: 1_000_000 });
    const w = mountBar();
    set('reconnecting');
    await flushPromises();
    const state = w.get('[data-testid="status-state"]');
    expect(state.attributes('data-state')).toBe('host_down');
    expect(state.text()).toBe('app host unreachable');
    expect(w.get('[data-testid="status-error"]').text()).toMatch(/npm run serve/);
    expect(w.text()).not.toMatch(/tracker address|reconnecting in/);
    expect(w.find('[data-testid="status-reconnect"]').exists()).toBe(false);
    expect(session.online).toBe(false);

    set('open');
    await flushPromises();
    expect(api.names()).toEqual(
      expect.arrayContaining(['identities.list', 'trackers.list', 'trackers.status', 'trackers.connect']),
    );
    expect(state.attributes('data-state')).toBe('online');
    w.unmount();
  });
});
