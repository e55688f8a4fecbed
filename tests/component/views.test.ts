/**
 * Views over the fake transport, for the UI defects of issue 7 that live in a whole screen: expiry
 * display, the close-address confirmation, acting while locked, focus in the history drawer.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import DashboardView from '../../renderer/src/components/dashboard/DashboardView.vue';
import ChannelsView from '../../renderer/src/components/channels/ChannelsView.vue';
import HistoryDetail from '../../renderer/src/components/history/HistoryDetail.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useAddressesStore } from '../../renderer/src/stores/addresses';
import { useChannelsStore } from '../../renderer/src/stores/channels';
import { FakeApi, address, channel, historyItem, identity } from './fake-api';
import { aliceOnline, byTestId, freshApp, mountIn, must, typeInto } from './mount-app';

let api: FakeApi;
const NOW = 1_800_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  api = new FakeApi()
    .handle('addresses.list', () => useAddressesStore().list)
    .handle('common.state', () => useAddressesStore().common)
    .handle('channels.list', () => useChannelsStore().list)
    .handle('history.query', () => ({ items: [], next: null, total: 0 }));
  freshApp(api);
  aliceOnline();
});
afterEach(() => {
  setTransport(null);
  vi.useRealTimers();
});

describe('expiry display', () => {
  it('defect 14: a channel at its time lock shows expired, without a countdown or Close', async () => {
    useChannelsStore().list = [
      channel({ channelId: 'due', state: 'open', timeLock: NOW - 1 }),
      channel({ channelId: 'live', state: 'open', timeLock: NOW + 60_000 }),
    ];
    const w = mountIn(ChannelsView);
    await flushPromises();
    const rows = [...document.querySelectorAll<HTMLElement>('[data-testid="channel-row"]')];
    const due = rows.find((r) => r.dataset.channelId === 'due')!;
    const live = rows.find((r) => r.dataset.channelId === 'live')!;
    expect(due.dataset.state).toBe('expired');
    expect(due.textContent).toContain('expired');
    expect(due.querySelector('[data-testid="channel-close"]')).toBeNull();
    expect(due.querySelector('[data-testid="channel-countdown"]')).toBeNull();
    expect(live.dataset.state).toBe('open');
    expect(live.querySelector('[data-testid="channel-close"]')).not.toBeNull();
    w.unmount();
  });

  it('defect 14: an address closed by the expiry job is listed as expired; the owner’s close as closed', async () => {
    const addresses = useAddressesStore();
    addresses.list = [
      address({ address: '0x0cEXPIRED', status: 'closed', timeLock: NOW - 600_000, closedAt: NOW - 1000 }),
      address({ address: '0x0cCLOSED', status: 'closed', timeLock: NOW + 600_000, closedAt: NOW - 1000 }),
      address({ address: '0x0cOVERDUE', status: 'open', timeLock: NOW - 5000 }),
    ];
    addresses.loadedFor = 'id-alice';
    const w = mountIn(DashboardView);
    await flushPromises();
    const status = (a: string) =>
      document.querySelector<HTMLElement>(
        `[data-testid="closed-row"][data-address="${a}"] [data-testid="closed-status"]`,
      )!.dataset.status;
    expect(status('0x0cEXPIRED')).toBe('expired');
    expect(status('0x0cCLOSED')).toBe('closed');
    expect(status('0x0cOVERDUE')).toBe('expired');
    w.unmount();
  });

  it('defect 14: "Planned" leaves out what expired channels reserved: they will never pay', async () => {
    const addresses = useAddressesStore();
    addresses.loadedFor = 'id-alice';
    addresses.common = {
      address: '0x0b',
      fact: '0',
      plan: '8000',
      profit: '0',
      foreignFact: '0',
      foreignPlan: '0',
      readAt: NOW - 60_000,
    };
    useChannelsStore().list = [
      channel({ channelId: 'gone', role: 'payee', reservation: '5000', timeLock: NOW - 1000 }),
      channel({ channelId: 'alive', role: 'payee', reservation: '3000', timeLock: NOW + 60_000 }),
      channel({ channelId: 'mine', role: 'payer', reservation: '7000', timeLock: NOW - 1000 }),
    ];
    const w = mountIn(DashboardView);
    await flushPromises();
    expect(must('common-planned').dataset.atoms).toBe('3000');
    expect(must('common-planned-expired').textContent).toContain('5,000 atoms');
    w.unmount();
  });
});

describe('pending offers', () => {
  it('defect 15: a pending offer can be cancelled: it leaves the list (and stays gone after a reload)', async () => {
    localStorage.clear();
    useChannelsStore().list = [
      channel({ channelId: 'offer-1', state: 'unknown', timeLock: NOW + 3_600_000 }),
      channel({ channelId: 'open-1', state: 'open', timeLock: NOW + 60_000 }),
    ];
    const w = mountIn(ChannelsView);
    await flushPromises();
    const rows = () =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="channel-row"]')].map(
        (r) => r.dataset.channelId,
      );
    expect(rows()).toEqual(['open-1', 'offer-1']);
    // Only the pending one can be cancelled; the consequence is said first.
    expect(document.querySelectorAll('[data-testid="channel-cancel-offer"]')).toHaveLength(1);
    must<HTMLButtonElement>('channel-cancel-offer').click();
    await flushPromises();
    expect(must('confirm-cancel-offer-message').textContent).toMatch(/can still submit it until/);
    must<HTMLButtonElement>('confirm-cancel-offer-ok').click();
    await flushPromises();
    expect(rows()).toEqual(['open-1']);
    w.unmount();

    // Another start of the UI (new stores) remembers it; once the peer submits it, it shows, open.
    freshApp(api);
    useSessionStore().activeIdentityId = 'id-alice';
    useChannelsStore().list = [
      channel({ channelId: 'offer-1', state: 'unknown', timeLock: NOW + 3_600_000 }),
    ];
    expect(useChannelsStore().sorted).toEqual([]);
    useChannelsStore().list = [channel({ channelId: 'offer-1', state: 'open', timeLock: NOW + 3_600_000 })];
    expect(useChannelsStore().sorted.map((c) => c.channelId)).toEqual(['offer-1']);
  });
});

describe('close-address confirmation', () => {
  it('defect 7: with open channels the Close button is disabled and says why', async () => {
    const addresses = useAddressesStore();
    addresses.list = [address({ openChannels: 2 })];
    addresses.loadedFor = 'id-alice';
    const w = mountIn(DashboardView);
    await flushPromises();
    must<HTMLButtonElement>('address-spend-close').click();
    await flushPromises();
    const ok = must<HTMLButtonElement>('confirm-close-ok');
    expect(ok.disabled).toBe(true);
    expect(ok.getAttribute('aria-describedby')).toBe('confirm-close-blocked');
    expect(must('confirm-close-blocked').textContent).toContain('2');
    ok.form!.requestSubmit();
    await flushPromises();
    expect(api.callsOf('addresses.close')).toEqual([]);
    w.unmount();
  });
});

describe('acting while locked', () => {
  it('defect 8: a locked identity is asked for its passphrase in place, then the action goes on', async () => {
    const session = useSessionStore();
    session.identities = [identity({ protection: 'passphrase', unlocked: true })];
    useAddressesStore().loadedFor = 'id-alice';
    let unlocked = false;
    api
      .handle('addresses.open', (a) => {
        if (!unlocked) throw Object.assign(new Error('identity “Alice” is locked'), { code: 'LOCKED' });
        return address({ address: '0x0cNEW', kind: a.kind });
      })
      .handle('identities.unlock', (a) => {
        if (a.passphrase !== 'correct horse battery')
          throw Object.assign(new Error('the passphrase is wrong'), { code: 'WRONG_PASSPHRASE' });
        unlocked = true;
        return identity({ protection: 'passphrase', unlocked: true });
      });
    const w = mountIn(DashboardView);
    await flushPromises();
    // Locked meanwhile (auto-lock, or locked in Settings): the session learns it by event.
    session.identities = [identity({ protection: 'passphrase', unlocked: false })];
    must<HTMLButtonElement>('open-spend').click();
    await flushPromises();
    must<HTMLButtonElement>('confirm-open-ok').click();
    await flushPromises();
    expect(must('confirm-open-error').textContent).toContain('locked');
    const pass = must<HTMLInputElement>('inline-unlock-passphrase');
    expect(document.activeElement).toBe(pass);

    typeInto(pass, 'wrong passphrase');
    await flushPromises();
    must<HTMLButtonElement>('inline-unlock-submit').click();
    await flushPromises();
    expect(must('inline-unlock-error').textContent).toBe('The passphrase is wrong.');
    expect(api.callsOf('addresses.open')).toHaveLength(1);

    typeInto(pass, 'correct horse battery');
    await flushPromises();
    pass.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await flushPromises();
    expect(api.callsOf('addresses.open')).toHaveLength(2);
    expect(byTestId('confirm-open')).toBeNull();
    expect(useAddressesStore().list.map((a) => a.address)).toContain('0x0cNEW');
    w.unmount();
  });
});

describe('history drawer', () => {
  it('defect 9: after following a parent link focus stays in the drawer; Escape and Tab still work', async () => {
    const close = historyItem(1, { txId: 'tx-close', parentTxId: 'tx-open', txType: 16 });
    const open = historyItem(2, { txId: 'tx-open', txType: 8 });
    api.handle('history.item', (a) =>
      a.txId === 'tx-close'
        ? { item: close, parent: open, children: [], balances: [], complete: true }
        : { item: open, parent: null, children: [close], balances: [], complete: true },
    );
    const outside = document.createElement('button');
    outside.textContent = 'behind';
    document.body.appendChild(outside);
    const follow = { to: (_id: string): unknown => undefined };
    const w = mountIn(HistoryDetail, {
      props: { txId: 'tx-close', onNavigate: (id: string) => follow.to(id) },
    });
    follow.to = (id) => w.setProps({ txId: id });
    await flushPromises();
    const drawer = must('history-detail');
    must<HTMLButtonElement>('detail-parent').focus();
    must<HTMLButtonElement>('detail-parent').click();
    await flushPromises();
    await flushPromises();
    expect(must('detail-child').textContent).toContain('Close channel');
    expect(drawer.contains(document.activeElement)).toBe(true);

    // Even with focus thrown out to <body>, keys still belong to the drawer.
    (document.activeElement as HTMLElement).blur();
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }));
    expect(drawer.contains(document.activeElement)).toBe(true);
    expect(document.activeElement).not.toBe(outside);
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await flushPromises();
    expect(w.emitted('close')).toHaveLength(1);
    w.unmount();
  });
});
