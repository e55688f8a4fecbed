/** The wallet's StateStore over the history cache's state tables. */
import type { HistoryCache } from '../history/cache';
import type { StateStore } from '../channels/ports';

export function stateStoreOf(cache: HistoryCache): StateStore {
  return {
    upsertAddress: (scope, view) => cache.upsertAddresses(scope, [view]),
    listAddresses: (scope) => cache.listAddresses(scope),
    upsertChannel: (scope, view) => cache.upsertChannels(scope, [view]),
    listChannels: (scope) => cache.listChannels(scope),
    setCommon: (scope, view) => cache.setCommonState(scope, view),
    getCommon: (scope) => cache.getCommonState(scope),
    channelTransactions: (scope, channelId) => {
      const { items } = cache.query(scope, { filter: { channelId, types: [8, 16] }, limit: 10 });
      const open = items.find((i) => i.txType === 8);
      const close = items.find((i) => i.txType === 16);
      return {
        open: open ? { timelock: open.timelock } : null,
        close: close
          ? {
              quantumCount: close.quantumCount,
              tokens: close.amount,
              volume: close.volume,
              timestamp: close.timestamp,
            }
          : null,
      };
    },
  };
}
