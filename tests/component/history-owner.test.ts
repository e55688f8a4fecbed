/**
 * History seen from its owner (issue 9, daily use): amounts signed + earned / − paid, addresses
 * named "my spend / my income / my common" rather than shown bare, and the drawer's running balance
 * of each own address. The rows come through the store from the fake transport, as the main process
 * would send them.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import HistoryList from '../../renderer/src/components/history/HistoryList.vue';
import HistoryDetail from '../../renderer/src/components/history/HistoryDetail.vue';
import { setTransport } from '../../renderer/src/stores/transport';

import { useHistoryStore } from '../../renderer/src/stores/history';
import { useLabelsStore } from '../../renderer/src/stores/labels';
import { useContactsStore } from '../../renderer/src/stores/contacts';
import type { HistoryItem } from '../../shared/api/models';
import { FakeApi, historyItem } from './fake-api';
import { aliceOnline, freshApp, mountIn, must } from './mount-app';

const SPEND = '0x0c00000000000000000000000000000000000001';
const INCOME = '0x0d00000000000000000000000000000000000002';
const PEER = '0x0e00000000000000000000000000000000000003';

const earned = historyItem(1, {
  txId: 'tx-earned',
  txType: 16,
  from: PEER,
  to: INCOME,
  amount: '1500',
  owner: { from: 'other', to: 'income', flow: 'in' },
});
const paid = historyItem(2, {
  txId: 'tx-paid',
  txType: 16,
  from: SPEND,
  to: PEER,
  amount: '700',
  owner: { from: 'spend', to: 'other', flow: 'out' },
});
const moved = historyItem(3, {
  txId: 'tx-moved',
  txType: 64,
  from: INCOME,
  to: '0x0b00000000000000000000000000000000000004',
  amount: '300',
  owner: { from: 'income', to: 'common', flow: 'self' },
});

let api: FakeApi;
function setup(items: HistoryItem[], locale: 'en' | 'ru' = 'en') {
  api = new FakeApi().handle('history.query', () => ({ items, next: null, total: items.length }));
  freshApp(api);
  aliceOnline();
  return locale;
}
afterEach(() => setTransport(null));

function row(txId: string): HTMLElement {
  const el = document.querySelector<HTMLElement>(`[data-testid="history-row"][data-tx-id="${txId}"]`);
  if (!el) throw new Error(`no row ${txId}`);
  return el;
}
const amountOf = (txId: string) => row(txId).querySelector<HTMLElement>('[data-testid="history-amount"]')!;

describe('history list from the owner’s side', () => {
  beforeEach(() => {
    setup([earned, paid, moved]);
    // happy-dom lays nothing out: give the virtual list's scroller a window's size so it renders rows.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(600);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(800);
  });
  afterEach(() => vi.restoreAllMocks());

  it('signs amounts: + earned, − paid, a move between own addresses unsigned and neutral', async () => {
    const w = mountIn(HistoryList);
    await useHistoryStore().reset({});
    await flushPromises();
    expect(amountOf('tx-earned').textContent).toMatch(/^\s*earned:\s*\+/);
    expect(amountOf('tx-earned').dataset.flow).toBe('in');
    expect(amountOf('tx-earned').classList).toContain('signed--in');
    expect(amountOf('tx-paid').textContent).toMatch(/^\s*paid:\s*−/);
    expect(amountOf('tx-paid').classList).toContain('signed--out');
    expect(amountOf('tx-moved').textContent).toContain('moved between my addresses');
    expect(amountOf('tx-moved').textContent).not.toMatch(/[+−]/);
    expect(amountOf('tx-moved').classList).toContain('signed--self');
    // The exact atoms stay one hover away.
    expect(amountOf('tx-paid').title).toBe('paid: 700 atoms');
    w.unmount();
  });

  it('names the owner’s addresses "my spend / my income / my common"; others stay addresses', async () => {
    const w = mountIn(HistoryList);
    await useHistoryStore().reset({});
    await flushPromises();
    const names = (txId: string) =>
      [...row(txId).querySelectorAll<HTMLElement>('.address-name')].map((a) => ({
        name: a.querySelector('.address-name__name')?.textContent ?? null,
        title: a.title,
      }));
    expect(names('tx-earned')).toEqual([
      { name: null, title: PEER },
      { name: 'my income', title: INCOME },
    ]);
    expect(names('tx-paid')[0]).toEqual({ name: 'my spend', title: SPEND });
    expect(names('tx-moved').map((n) => n.name)).toEqual(['my income', 'my common']);
    // A bare address is never the only thing shown for an own address.
    expect(row('tx-paid').textContent).toContain('my spend');
    w.unmount();
  });

  it('names a contact’s address by the contact; the owner’s roles stay "my …"', async () => {
    useContactsStore().contacts = [
      {
        id: 'c-bob',
        name: 'Bob',
        publicPem: '-----BEGIN PUBLIC KEY-----\nBOB\n-----END PUBLIC KEY-----\n',
        fingerprint: 'b0b0:b0b0',
        commonAddress: PEER,
        createdAt: 1,
      },
    ];
    const w = mountIn(HistoryList);
    await useHistoryStore().reset({});
    await flushPromises();
    const from = row('tx-earned').querySelector<HTMLElement>('[data-testid="history-from-name"]')!;
    expect(from.querySelector('.address-name__name')?.textContent).toBe('Bob');
    expect(from.title).toBe(PEER);
    expect(
      row('tx-earned').querySelector('[data-testid="history-to-name"] .address-name__name')?.textContent,
    ).toBe('my income');
    w.unmount();
  });

  it('speaks Russian too', async () => {
    const w = mountIn(HistoryList, { locale: 'ru' });
    await useHistoryStore().reset({});
    await flushPromises();
    expect(row('tx-paid').textContent).toContain('мой расходный');
    expect(amountOf('tx-earned').textContent).toContain('заработано');
    w.unmount();
  });
});

describe('history drawer: running balance per own address', () => {
  beforeEach(() => setup([]));

  it('shows each own address’s balance before and after the item, signed and named', async () => {
    api.handle('history.item', () => ({
      item: moved,
      parent: null,
      children: [],
      balances: [
        { address: INCOME, role: 'income', before: '1500', after: '1200' },
        { address: '0x0b00000000000000000000000000000000000004', role: 'common', before: '0', after: '300' },
      ],
      complete: true,
    }));
    const w = mountIn(HistoryDetail, { props: { txId: 'tx-moved' } });
    await flushPromises();
    expect(api.callsOf('history.item')).toHaveLength(1);
    const lines = [...document.querySelectorAll<HTMLElement>('[data-testid="detail-balance"]')];
    expect(lines.map((l) => [l.dataset.role, l.dataset.before, l.dataset.after])).toEqual([
      ['income', '1500', '1200'],
      ['common', '0', '300'],
    ]);
    expect(lines[0]!.textContent).toContain('my income');
    expect(lines[0]!.textContent).toMatch(/0\.15 TP\s*→\s*0\.12 TP/);
    expect(lines[0]!.querySelector('[data-testid="detail-balance-change"]')!.getAttribute('title')).toBe(
      '1,500 atoms → 1,200 atoms',
    );
    expect(must('detail-from').textContent).toContain('my income');
    expect(must('detail-to').textContent).toContain('my common');
    expect(must('detail-amount').dataset.flow).toBe('self');
    expect(document.querySelector('[data-testid="detail-balance-partial"]')).toBeNull();
    w.unmount();
  });

  it('says when balances count only a partly synced cache', async () => {
    api.handle('history.item', () => ({
      item: paid,
      parent: null,
      children: [],
      balances: [{ address: SPEND, role: 'spend', before: '-200', after: '-900' }],
      complete: false,
    }));
    const w = mountIn(HistoryDetail, { props: { txId: 'tx-paid' } });
    await flushPromises();
    expect(must('detail-amount').textContent).toMatch(/−/);
    expect(must('detail-balance').dataset.after).toBe('-900');
    expect(must('detail-balance-partial').textContent).toContain('not fully synced');
    w.unmount();
  });

  it('an own address the owner labelled keeps its role name and shows the label beside it', async () => {
    api
      .handle('labels.list', () => [{ type: 'addr', ref: INCOME, label: 'Main income' }])
      .handle('history.item', () => ({
        item: moved,
        parent: null,
        children: [],
        balances: [{ address: INCOME, role: 'income', before: '1500', after: '1200' }],
        complete: true,
      }));
    await useLabelsStore().load();
    const w = mountIn(HistoryDetail, { props: { txId: 'tx-moved' } });
    await flushPromises();
    expect(must('detail-from').querySelector('.address-name__name')!.textContent).toBe('my income');
    expect(must('detail-from-label').textContent).toBe('Main income');
    // The drawer shows the full address too; the balance line shows the label instead of the cut one.
    expect(must('detail-from').textContent).toContain(INCOME);
    expect(must('detail-balance').textContent).toContain('Main income');
    expect(must('detail-balance').textContent).not.toContain('0x0d000000');
    expect(document.querySelector('[data-testid="detail-to-label"]')).toBeNull();
    w.unmount();
  });
});
