import type { HistoryItem } from '../../../../shared/api/models';
import { ALL_TX_TYPES, TX_TYPE_NAMES, TxType, type TxTypeCode } from '../../../../shared/protocol/commands';

export const TX_TYPES: readonly TxTypeCode[] = ALL_TX_TYPES;

/** i18n key of a transaction type; unknown codes fall back to the raw name. */
export function txTypeKey(code: number): string {
  return code in TX_TYPE_NAMES ? `txType.${TX_TYPE_NAMES[code as TxTypeCode]}` : 'txType.unknown';
}

/** The words for what an item did to the owner's money (history.flow.*), or null when nothing moved. */
export function flowKey(item: Pick<HistoryItem, 'txType' | 'amount' | 'owner'>): string | null {
  const flow = item.owner?.flow;
  if (!flow || flow === 'none' || item.amount === '0') return null;
  if (flow === 'self') return 'history.flow.moved';
  if (flow === 'in') {
    if (item.txType === TxType.CLOSE_TRANSFER) return 'history.flow.earned';
    return item.txType === TxType.OPEN_SPEND ? 'history.flow.funded' : 'history.flow.received';
  }
  if (item.txType === TxType.CLOSE_TRANSFER) return 'history.flow.paid';
  return item.txType === TxType.CLOSE_SPEND ? 'history.flow.returned' : 'history.flow.sent';
}
