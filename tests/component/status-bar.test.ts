import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { flushPromises, mount } from '@vue/test-utils';
import StatusBar from '../../renderer/src/components/layout/StatusBar.vue';
import { createAppI18n } from '../../renderer/src/i18n';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useHistoryStore } from '../../renderer/src/stores/history';
import { FakeApi, identity, profile, status } from './fake-api';

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
});
