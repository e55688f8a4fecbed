/**
 * A channel's facts come from the tracker, never from local guesses: its state from cmd 512, its
 * timeLock and open time from its signed TX_OPEN_TRANSFER, its settlement and close time from its
 * TX_CLOSE_TRANSFER, as the synced history holds them.
 */
import type { ChannelView } from '../../../shared/api/models';
import { ChannelState, type ChannelStateCode } from '../../../shared/protocol/commands';
import type { ChannelTransactions } from './ports';
import type { Run, WalletContext } from './wallet-context';

/** Nothing about the channel can change any more: closed (or settled at zero) with its settlement known. */
export function isSettled(c: ChannelView): boolean {
  return (c.state === 'closed' || c.state === 'expired') && c.settlement !== null;
}

/**
 * The channel as the tracker's state and the synced history show it. What the history does not
 * hold yet is not guessed: a channel the tracker has open but whose TX_OPEN is not synced keeps what
 * this app knows (the submitter has the tracker's timeLock; an offer stays pending), and a closed one
 * whose TX_CLOSE is not synced is `settling` until it is.
 */
export function channelFacts(ch: ChannelView, state: ChannelStateCode, tx: ChannelTransactions): ChannelView {
  const opened = tx.open ? { timeLock: tx.open.timelock, openedAt: tx.open.timestamp } : {};
  if (state === ChannelState.NOT_FOUND) return { ...ch, state: 'unknown' };
  if (state === ChannelState.OPEN) return tx.open ? { ...ch, ...opened, state: 'open' } : ch;
  if (!tx.close) {
    // This app's own close knows its settlement; anyone else's waits for the history.
    if (ch.state === 'closed' && ch.settlement) return { ...ch, ...opened };
    return { ...ch, ...opened, state: 'settling', closedAt: null, settlement: null };
  }
  const timeLock = tx.open?.timelock ?? ch.timeLock;
  return {
    ...ch,
    ...opened,
    // Closed after its timeLock: the tracker's expiry job settled it at zero.
    state: tx.close.timestamp > timeLock ? 'expired' : 'closed',
    closedAt: tx.close.timestamp,
    settlement: { quantumCount: tx.close.quantumCount, tokens: tx.close.tokens, volume: tx.close.volume },
  };
}

const sameFacts = (a: ChannelView, b: ChannelView): boolean =>
  JSON.stringify({ ...a, readAt: 0 }) === JSON.stringify({ ...b, readAt: 0 });

export class ChannelStates {
  constructor(private readonly ctx: WalletContext) {}

  /** Re-reads every channel not settled yet (cmd 512) and completes it from the synced history. */
  async refresh(run: Run): Promise<void> {
    for (const ch of this.ctx.store.listChannels(run.scope)) {
      if (isSettled(ch)) continue;
      const state = await run.conn.api.channelState(run.signer, ch.channelId);
      if (!run.current()) return;
      const next = channelFacts(ch, state, this.ctx.facts.channelTransactions(run.scope, ch.channelId));
      if (!sameFacts(next, ch))
        this.ctx.store.upsertChannels(run.scope, [{ ...next, readAt: this.ctx.now() }]);
    }
  }
}
