/**
 * Channels list (issue 9, daily use): filter open / closed / expired / all, group by kind or
 * counterparty, sort by expiry, opened or amount; whatever the sort, closed and expired rows come
 * after the open ones; native radios, selects and buttons, so the keyboard works as everywhere.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import ChannelsView from '../../renderer/src/components/channels/ChannelsView.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useChannelsStore } from '../../renderer/src/stores/channels';
import { parseListing } from '../../renderer/src/stores/channelListing';
import type { ChannelView } from '../../shared/api/models';
import { FakeApi, channel, identity } from './fake-api';
import { aliceOnline, freshApp, mountIn, must } from './mount-app';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
let api: FakeApi;
let list: ChannelView[];

function fixture(): ChannelView[] {
  return [
    // Closed long ago, the biggest amount and the earliest time lock: it must still come last.
    channel({
      channelId: 'closed-big',
      state: 'closed',
      reservation: '900000',
      settlement: { quantumCount: '9', tokens: '90000', volume: '1' },
      openedAt: NOW - 900 * MIN,
      timeLock: NOW - 800 * MIN,
      closedAt: NOW - 850 * MIN,
    }),
    channel({
      channelId: 'open-late',
      role: 'payee',
      reservation: '3000',
      openedAt: NOW - 5 * MIN,
      timeLock: NOW + 90 * MIN,
      fromFingerprint: 'cccc:cccc',
    }),
    channel({
      channelId: 'open-soon',
      reservation: '1000',
      openedAt: NOW - 50 * MIN,
      timeLock: NOW + 10 * MIN,
    }),
    channel({ channelId: 'overdue', reservation: '7000', openedAt: NOW - 60 * MIN, timeLock: NOW - MIN }),
    channel({
      channelId: 'settling',
      role: 'payee',
      state: 'settling',
      openedAt: NOW - 30 * MIN,
      timeLock: NOW + 30 * MIN,
      closedAt: NOW - MIN,
      fromFingerprint: 'cccc:cccc',
    }),
    channel({
      channelId: 'offer',
      state: 'unknown',
      reservation: '500000',
      openedAt: NOW - MIN,
      timeLock: NOW + 60 * MIN,
    }),
    channel({
      channelId: 'local',
      role: 'both',
      reservation: '2000',
      openedAt: NOW - 20 * MIN,
      timeLock: NOW + 40 * MIN,
      toFingerprint: 'dddd:dddd',
    }),
  ];
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
  localStorage.clear();
  list = fixture();
  api = new FakeApi().handle('channels.list', () => list);
  freshApp(api);
  aliceOnline([identity(), identity({ id: 'id-bob', name: 'Bob' })]);
  list[6]!.identityId = 'id-bob';
});
afterEach(() => {
  setTransport(null);
  vi.useRealTimers();
});

const ids = () =>
  [...document.querySelectorAll<HTMLElement>('[data-testid="channel-row"]')].map((r) => r.dataset.channelId);
async function choose(testid: string, value: string): Promise<void> {
  const select = must<HTMLSelectElement>(testid);
  select.value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  await flushPromises();
}
async function show(v: string): Promise<void> {
  must<HTMLInputElement>(`channels-show-${v}`).click();
  await flushPromises();
}

describe('channels list: filter, group, sort', () => {
  it('by default shows all, open first by soonest expiry, then the pending offer, then closed and expired', async () => {
    const w = mountIn(ChannelsView);
    await flushPromises();
    expect(ids()).toEqual(['open-soon', 'local', 'open-late', 'offer', 'closed-big', 'overdue', 'settling']);
    expect(must<HTMLInputElement>('channels-show-all').checked).toBe(true);
    w.unmount();
  });

  it('filters open (with the pending offer), closed (settling too) and expired (open past its time lock)', async () => {
    const w = mountIn(ChannelsView);
    await flushPromises();
    const count = (v: string) => must(`channels-count-${v}`).textContent;
    expect([count('all'), count('open'), count('closed'), count('expired')]).toEqual(['7', '4', '2', '1']);
    await show('open');
    expect(ids()).toEqual(['open-soon', 'local', 'open-late', 'offer']);
    await show('closed');
    expect(ids()).toEqual(['closed-big', 'settling']);
    await show('expired');
    expect(ids()).toEqual(['overdue']);
    expect(document.querySelector('[data-channel-id="overdue"]')!.getAttribute('data-state')).toBe('expired');
    await show('all');
    expect(ids()).toHaveLength(7);
    w.unmount();
  });

  it('an empty filter says so and offers to show all', async () => {
    list = list.filter((c) => c.channelId !== 'overdue');
    const w = mountIn(ChannelsView);
    await flushPromises();
    await show('expired');
    expect(ids()).toEqual([]);
    expect(must('channels-none-shown').textContent).toContain('No channels in this view.');
    must<HTMLButtonElement>('channels-show-all-link').click();
    await flushPromises();
    expect(ids()).toHaveLength(6);
    w.unmount();
  });

  it('sorts by amount or opening time, either way, and closed rows never come before open ones', async () => {
    const w = mountIn(ChannelsView);
    await flushPromises();
    await choose('channels-sort', 'amount');
    // Largest first within each tier: the closed channel's 90,000 paid stays below every open one.
    expect(must('channels-sort-dir').dataset.ascending).toBe('false');
    expect(ids()).toEqual(['open-late', 'local', 'open-soon', 'offer', 'closed-big', 'overdue', 'settling']);
    must<HTMLButtonElement>('channels-sort-dir').click();
    await flushPromises();
    expect(ids()).toEqual(['open-soon', 'local', 'open-late', 'offer', 'settling', 'overdue', 'closed-big']);
    await choose('channels-sort', 'opened');
    expect(ids()).toEqual(['open-late', 'local', 'open-soon', 'offer', 'settling', 'overdue', 'closed-big']);
    w.unmount();
  });

  it('groups by kind and by counterparty under headings, groups with open channels first', async () => {
    const w = mountIn(ChannelsView);
    await flushPromises();
    await choose('channels-group', 'kind');
    const groups = () =>
      [...document.querySelectorAll<HTMLElement>('[data-testid="channel-group"]')].map((g) => ({
        key: g.dataset.group,
        title: g
          .querySelector('[data-testid="channel-group-title"]')!
          .textContent!.replace(/\s+/g, ' ')
          .trim(),
        rows: [...g.querySelectorAll<HTMLElement>('[data-testid="channel-row"]')].map(
          (r) => r.dataset.channelId,
        ),
      }));
    expect(groups()).toEqual([
      {
        key: 'payer',
        title: 'paying · channels: 4, open: 1',
        rows: ['open-soon', 'offer', 'closed-big', 'overdue'],
      },
      { key: 'both', title: 'local · channels: 1, open: 1', rows: ['local'] },
      { key: 'payee', title: 'earning · channels: 2, open: 1', rows: ['open-late', 'settling'] },
    ]);
    await choose('channels-group', 'counterparty');
    const byParty = groups();
    expect(byParty.map((g) => g.key)).toEqual(['bbbb:bbbb', 'dddd:dddd', 'cccc:cccc']);
    expect(byParty[2]!.rows).toEqual(['open-late', 'settling']);
    // A local counterparty is named.
    expect(byParty[1]!.title).toContain('Bob');
    w.unmount();
  });

  it('remembers the choice for the next start; a damaged stored choice falls back to the default', async () => {
    const w = mountIn(ChannelsView);
    await flushPromises();
    await show('closed');
    await choose('channels-group', 'kind');
    w.unmount();
    freshApp(api);
    useSessionStore().activeIdentityId = 'id-alice';
    expect(useChannelsStore().listing).toMatchObject({ show: 'closed', groupBy: 'kind' });
    expect(parseListing({ show: 'drop table', groupBy: 3, sortBy: 'amount', ascending: 'yes' })).toEqual({
      show: 'all',
      groupBy: 'none',
      sortBy: 'amount',
      ascending: true,
    });
  });
});
