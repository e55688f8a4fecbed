/** Writes history transactions: id, canonical signature, parties (SPEC §4 History). */
import { hashBody } from '../../shared/crypto/address';
import { signMessage } from '../../shared/crypto/sign';
import { canonicalJson } from '../../shared/protocol/schemas';
import { toJsonInteger } from '../../shared/protocol/amounts';
import { TX_STATUS_EXECUTED, type TxTypeCode } from '../../shared/protocol/commands';
import type { Statement } from 'better-sqlite3';
import type { LedgerContext } from './context';

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

export interface TxRow {
  seq: number;
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from_address: string;
  to_address: string;
  amount: string;
  volume: string;
  quantum_count: string;
  contract_id: string;
  price_amount: string;
  price_quantum_power: number;
  planned_quantum_count: string;
  timelock: number;
  timestamp: number;
  status: number;
  version: string;
  sign: string;
}

/** The wire item of a stored transaction, without `sign`: what the signature covers. */
export function unsignedItem(row: Omit<TxRow, 'seq' | 'sign'>, trackerPem: string): Record<string, unknown> {
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

export function itemOf(row: TxRow, trackerPem: string): Record<string, unknown> {
  return { ...unsignedItem(row, trackerPem), sign: row.sign };
}

export class TxWriter {
  private readonly insertTx: Statement;
  private readonly insertParty: Statement;
  private readonly nextSeq: Statement;

  constructor(private readonly ctx: LedgerContext) {
    this.insertTx = ctx.db.prepare(`INSERT INTO transactions
      (tx_id, parent_tx_id, tx_type, from_address, to_address, amount, volume, quantum_count, contract_id,
       price_amount, price_quantum_power, planned_quantum_count, timelock, timestamp, status, version, sign)
      VALUES (@tx_id, @parent_tx_id, @tx_type, @from_address, @to_address, @amount, @volume, @quantum_count,
       @contract_id, @price_amount, @price_quantum_power, @planned_quantum_count, @timelock, @timestamp,
       @status, @version, @sign)`);
    this.insertParty = ctx.db.prepare(`INSERT OR IGNORE INTO tx_parties (owner_id, seq) VALUES (?, ?)`);
    this.nextSeq = ctx.db.prepare(
      `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'transactions'), 0) + 1 AS seq`,
    );
  }

  /** Inserts one transaction (inside the caller's database transaction) and returns its tx_id. */
  write(tx: NewTx): string {
    const timestamp = this.ctx.now();
    const { seq } = this.nextSeq.get() as { seq: number };
    const row: Omit<TxRow, 'seq' | 'sign'> = {
      tx_id: hashBody(`${this.ctx.trackerPem};${timestamp.toString(16)};${seq}`),
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
    const sign = signMessage(canonicalJson(unsignedItem(row, this.ctx.trackerPem)), this.ctx.privateKey);
    const info = this.insertTx.run({ ...row, sign });
    for (const owner of new Set(tx.parties)) this.insertParty.run(owner, info.lastInsertRowid);
    return row.tx_id;
  }
}
