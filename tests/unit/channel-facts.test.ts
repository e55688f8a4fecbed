/** A channel's facts come from the tracker: cmd 512 and its synced TX_OPEN/TX_CLOSE, never guesses. */
import { describe, expect, it } from 'vitest';
import { channelFacts, isSettled } from '../../electron/services/channels/channel-states';
import type { ChannelTransactions } from '../../electron/services/channels/ports';
import type { ChannelView } from '../../shared/api/models';
import { ChannelState } from '../../shared/protocol/commands';

const T0 = Date.UTC(2025, 0, 1);
const FILE_EXPIRY = T0 + 3_600_000;

function channel(over: Partial<ChannelView> = {}): ChannelView {
  return {
    channelId: 'ch-1',
    identityId: 'id-bob',
    role: 'payee',
    fromAddress: '0x0cfrom',
    toAddress: '0x0dto',
    fromPK: 'A',
    toPK: 'B',
    fromFingerprint: 'a',
    toFingerprint: 'b',
    counterpartyIdentityId: null,
    priceTokens: '1000',
    pricePower: 20,
    plannedQuantumCount: '4',
    reservation: '4000',
    state: 'unknown',
    timeLock: FILE_EXPIRY,
    openedAt: T0,
    closedAt: null,
    settlement: null,
    readAt: T0,
    ...over,
  };
}

const none: ChannelTransactions = { open: null, close: null };
const opened: ChannelTransactions = { open: { timelock: T0 + 300_000, timestamp: T0 + 10 }, close: null };
const closed = (timestamp: number, tokens = '2000'): ChannelTransactions => ({
  ...opened,
  close: { quantumCount: '2', tokens, volume: '1500000', timestamp },
});

describe('channel facts', () => {
  it('an offer the tracker does not know stays pending', () => {
    expect(channelFacts(channel(), ChannelState.NOT_FOUND, none).state).toBe('unknown');
  });

  it('an open channel shows the timeLock of its TX_OPEN, never the offer file’s expiry', () => {
    const c = channelFacts(channel(), ChannelState.OPEN, opened);
    expect(c).toMatchObject({ state: 'open', timeLock: T0 + 300_000, openedAt: T0 + 10 });
  });

  it('open on the tracker but its TX_OPEN not synced: nothing is guessed', () => {
    const pending = channel();
    expect(channelFacts(pending, ChannelState.OPEN, none)).toEqual(pending);
    const submitted = channel({ state: 'open', timeLock: T0 + 300_000 });
    expect(channelFacts(submitted, ChannelState.OPEN, none)).toEqual(submitted);
  });

  it('closed by the counterparty, its TX_CLOSE not synced: settling, no close time invented', () => {
    const c = channelFacts(channel({ state: 'open', timeLock: T0 + 300_000 }), ChannelState.CLOSED, opened);
    expect(c).toMatchObject({ state: 'settling', closedAt: null, settlement: null });
    expect(isSettled(c)).toBe(false);
  });

  it('closed with its TX_CLOSE synced: the settlement and close time are the tracker’s', () => {
    const c = channelFacts(channel({ state: 'settling' }), ChannelState.CLOSED, closed(T0 + 60_000));
    expect(c).toMatchObject({
      state: 'closed',
      closedAt: T0 + 60_000,
      timeLock: T0 + 300_000,
      settlement: { quantumCount: '2', tokens: '2000', volume: '1500000' },
    });
    expect(isSettled(c)).toBe(true);
  });

  it('closed after its timeLock: the tracker settled it at zero on expiry', () => {
    const c = channelFacts(channel({ state: 'open' }), ChannelState.CLOSED, closed(T0 + 400_000, '0'));
    expect(c).toMatchObject({ state: 'expired', settlement: { tokens: '0' } });
    expect(isSettled(c)).toBe(true);
  });

  it('this app’s own close keeps its settlement until the history has the TX_CLOSE', () => {
    const own = channel({
      state: 'closed',
      closedAt: T0 + 50_000,
      settlement: { quantumCount: '1', tokens: '1000', volume: '1' },
    });
    expect(channelFacts(own, ChannelState.CLOSED, opened)).toMatchObject({
      state: 'closed',
      settlement: own.settlement,
    });
  });
});
