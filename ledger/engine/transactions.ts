/** Writes history transactions: id, canonical signature, parties (SPEC §4 History). */
import { hashBody } from '../../shared/crypto/address';
import { canonicalJson } from '../../shared/protocol/schemas';
import { toJsonInteger } from '../../shared/protocol/amounts';
import { TX_STATUS_EXECUTED, type TxTypeCode } from '../../shared/protocol/commands';
import type { LedgerWrites } from '../storage/port';
import type { LedgerContext } from './context';
import type { NewTxRow, TxRow } from './rows';
import type { TransactionItemOut } from './results';

export type { TxRow } from './rows';

export const TX_VERSION = '1';

export interface NewTx {
  type: TxTypeCode;
  from: string;
  to: string;
  amount?: bigint;
  volume?: bigint;
  quantumCount?: bigint;
  contractId?: string;
  priceAmount?: bigint;
  pricePower?: number;
  plannedQuantumCount?: bigint;
  timelock?: number;
  parentTxId?: string;
  /** Owner ids the transaction concerns (history visibility). */
  parties: string[];
}

/** The wire item of a stored transaction, without `sign`: what the signature covers. */
export function unsignedItem(
  row: Omit<TxRow, 'seq' | 'sign'>,
  trackerPem: string,
): Omit<TransactionItemOut, 'sign'> {
  return {
    tx_id: row.tx_id,
    parent_tx_id: row.parent_tx_id,
    tx_type: row.tx_type,
    from: row.from_address,
    to: row.to_address,
    amount: toJsonInteger(BigInt(row.amount)),
    volume: toJsonInteger(BigInt(row.volume)),
    quantum_count: toJsonInteger(BigInt(row.quantum_count)),
    contract_id: row.contract_id,
    price_amount: toJsonInteger(BigInt(row.price_amount)),
    price_quantum_power: row.price_quantum_power,
    planned_quantum_count: toJsonInteger(BigInt(row.planned_quantum_count)),
    timelock: row.timelock,
    timestamp: row.timestamp,
    status: row.status,
    version: row.version,
    pk: trackerPem,
  };
}

/** The exact text a history item's signature covers: its canonical JSON without `sign`. */
export function itemSigningText(row: Omit<TxRow, 'seq' | 'sign'>, trackerPem: string): string {
  return canonicalJson(unsignedItem(row, trackerPem));
}

/** The wire item of a signed transaction (the engine signs unsigned ones before they leave). */
export function itemOf(row: TxRow, trackerPem: string): TransactionItemOut {
  if (row.sign === null) throw new Error(`transaction ${row.tx_id} is not signed yet`);
  return { ...unsignedItem(row, trackerPem), sign: row.sign };
}

/**
 * Inserts one transaction (inside the caller's write), unsigned, and returns its tx_id. The item
 * signer signs it after the commit (ledger/engine/item-signer.ts), or a history read on demand.
 */
export async function writeTx(ctx: LedgerContext, w: LedgerWrites, tx: NewTx): Promise<string> {
  // Taken once the place in the history is ours (on a shared database another node may have
  // written a later timestamp just before).
  const { seq, notBefore } = await w.nextTxSeq();
  const timestamp = Math.max(ctx.now(), notBefore);
  const row: NewTxRow = {
    seq,
    tx_id: hashBody(`${ctx.trackerPem};${timestamp.toString(16)};${seq}`),
    parent_tx_id: tx.parentTxId ?? '',
    tx_type: tx.type,
    from_address: tx.from,
    to_address: tx.to,
    amount: (tx.amount ?? 0n).toString(),
    volume: (tx.volume ?? 0n).toString(),
    quantum_count: (tx.quantumCount ?? 0n).toString(),
    contract_id: tx.contractId ?? '',
    price_amount: (tx.priceAmount ?? 0n).toString(),
    price_quantum_power: tx.pricePower ?? 0,
    planned_quantum_count: (tx.plannedQuantumCount ?? 0n).toString(),
    timelock: tx.timelock ?? 0,
    timestamp,
    status: TX_STATUS_EXECUTED,
    version: TX_VERSION,
  };
  await w.insertTransaction(row, tx.parties);
  return row.tx_id;
}
