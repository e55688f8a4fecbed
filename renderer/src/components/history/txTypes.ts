import { ALL_TX_TYPES, TX_TYPE_NAMES, type TxTypeCode } from '../../../../shared/protocol/commands';

export const TX_TYPES: readonly TxTypeCode[] = ALL_TX_TYPES;

/** i18n key of a transaction type; unknown codes fall back to the raw name. */
export function txTypeKey(code: number): string {
  return code in TX_TYPE_NAMES ? `txType.${TX_TYPE_NAMES[code as TxTypeCode]}` : 'txType.unknown';
}
