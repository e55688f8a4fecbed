import type { ChannelView } from '../../../shared/api/models';

/** A channel past its time lock is expired even before the tracker's expiry job closes it. */
export function channelState(c: ChannelView, now: number): ChannelView['state'] {
  return c.state === 'open' && c.timeLock <= now ? 'expired' : c.state;
}

/** Which channels the list shows: open ones (pending offers with them), closed, expired, or all. */
export const CHANNEL_SHOWS = ['all', 'open', 'closed', 'expired'] as const;
export type ChannelShow = (typeof CHANNEL_SHOWS)[number];
export const CHANNEL_GROUPS = ['none', 'kind', 'counterparty'] as const;
export type ChannelGroupBy = (typeof CHANNEL_GROUPS)[number];
export const CHANNEL_SORTS = ['expiry', 'opened', 'amount'] as const;
export type ChannelSortBy = (typeof CHANNEL_SORTS)[number];

export interface ChannelListing {
  show: ChannelShow;
  groupBy: ChannelGroupBy;
  sortBy: ChannelSortBy;
  /** Ascending when true; each sort has its own natural direction (see DEFAULT_ASCENDING). */
  ascending: boolean;
}

/** Soonest expiry first; newest opened and largest amount first. */
export const DEFAULT_ASCENDING: Record<ChannelSortBy, boolean> = {
  expiry: true,
  opened: false,
  amount: false,
};
export const DEFAULT_LISTING: ChannelListing = {
  show: 'all',
  groupBy: 'none',
  sortBy: 'expiry',
  ascending: true,
};

/** A listing read back from storage: anything unknown falls back to the default. */
export function parseListing(raw: unknown): ChannelListing {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const pick = <T extends string>(all: readonly T[], v: unknown, d: T): T =>
    all.includes(v as T) ? (v as T) : d;
  return {
    show: pick(CHANNEL_SHOWS, o.show, DEFAULT_LISTING.show),
    groupBy: pick(CHANNEL_GROUPS, o.groupBy, DEFAULT_LISTING.groupBy),
    sortBy: pick(CHANNEL_SORTS, o.sortBy, DEFAULT_LISTING.sortBy),
    ascending: typeof o.ascending === 'boolean' ? o.ascending : DEFAULT_LISTING.ascending,
  };
}

/** Open, pending, finished: the tier a channel is listed in, whatever the sort (closed rows never bury open ones). */
type Tier = 0 | 1 | 2;
export function tierOf(state: ChannelView['state']): Tier {
  if (state === 'open') return 0;
  return state === 'unknown' ? 1 : 2;
}

/** The filter a channel's state (as shown now) belongs to; settling is closed, a pending offer is open. */
export function showOf(state: ChannelView['state']): Exclude<ChannelShow, 'all'> {
  if (state === 'open' || state === 'unknown') return 'open';
  return state === 'expired' ? 'expired' : 'closed';
}

/** The amount the list sorts by: what a settled channel paid, else what it reserves. */
export function amountOf(c: ChannelView): bigint {
  return BigInt(c.settlement?.tokens ?? c.reservation);
}

/** The key of the other side: for a payee the payer, else the payee (`both`: the local payee). */
export function counterpartyKey(c: ChannelView): string {
  return c.role === 'payee' ? c.fromFingerprint : c.toFingerprint;
}

function compare(a: ChannelView, b: ChannelView, by: ChannelSortBy): number {
  if (by === 'amount') {
    const x = amountOf(a);
    const y = amountOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return by === 'opened' ? a.openedAt - b.openedAt : a.timeLock - b.timeLock;
}

export interface ChannelGroup {
  /** '' when not grouped; else the role or the counterparty's key fingerprint. */
  key: string;
  channels: ChannelView[];
  /** How many of them are open now (the group's heading says it). */
  open: number;
}

/** How many channels each filter would show, for the filter's labels. */
export function countByShow(list: readonly ChannelView[], now: number): Record<ChannelShow, number> {
  const counts: Record<ChannelShow, number> = { all: list.length, open: 0, closed: 0, expired: 0 };
  for (const c of list) counts[showOf(channelState(c, now))]++;
  return counts;
}

/**
 * The list as shown: filtered, grouped, sorted within each tier (open, then pending offers, then
 * closed and expired), groups holding open channels first. Ties keep the order of `list`.
 */
export function arrangeChannels(
  list: readonly ChannelView[],
  listing: ChannelListing,
  now: number,
): ChannelGroup[] {
  const dir = listing.ascending ? 1 : -1;
  const rows = list
    .map((c, i) => ({ c, i, state: channelState(c, now) }))
    .filter((r) => listing.show === 'all' || showOf(r.state) === listing.show)
    .sort(
      (a, b) => tierOf(a.state) - tierOf(b.state) || dir * compare(a.c, b.c, listing.sortBy) || a.i - b.i,
    );
  const groups = new Map<string, ChannelGroup & { first: number }>();
  rows.forEach((r, order) => {
    const key =
      listing.groupBy === 'kind' ? r.c.role : listing.groupBy === 'counterparty' ? counterpartyKey(r.c) : '';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, channels: [], open: 0, first: order }));
    g.channels.push(r.c);
    if (r.state === 'open') g.open++;
  });
  // Groups come in the order of their first row: a group with an open channel before one without.
  return [...groups.values()]
    .sort((a, b) => a.first - b.first)
    .map(({ key, channels, open }) => ({ key, channels, open }));
}
