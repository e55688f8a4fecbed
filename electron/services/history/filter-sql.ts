/** A history filter as SQL over the cache's `tx` table, and the row shape the queries read. */
import { historyFilter, type HistoryFilter, type HistoryItem } from '../../../shared/api/models';
import { HistoryCacheError } from './errors';

export type SignatureVerdict = 'valid' | 'invalid' | 'unverifiable';

export const TX_COLUMNS = `tx_id, parent_tx_id, tx_type, from_address, to_address, amount, volume, quantum_count,
  contract_id, price_amount, price_quantum_power, planned_quantum_count, timelock, timestamp, status, signature`;

export interface TxRow {
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
  signature: SignatureVerdict;
}

export function toItem(r: TxRow): HistoryItem {
  return {
    txId: r.tx_id,
    parentTxId: r.parent_tx_id,
    txType: r.tx_type,
    from: r.from_address,
    to: r.to_address,
    amount: r.amount,
    volume: r.volume,
    quantumCount: r.quantum_count,
    contractId: r.contract_id,
    priceAmount: r.price_amount,
    pricePower: r.price_quantum_power,
    plannedQuantumCount: r.planned_quantum_count,
    timelock: r.timelock,
    timestamp: r.timestamp,
    status: r.status,
    signature: r.signature,
  };
}

/** Escapes LIKE wildcards (`%`, `_`) and the escape character itself; used with ESCAPE '\'. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function parseFilter(filter: HistoryFilter | undefined): HistoryFilter {
  const r = historyFilter.safeParse(filter ?? {});
  if (!r.success) throw new HistoryCacheError('BAD_ARGUMENT', `bad history filter: ${r.error.message}`);
  return r.data;
}

/**
 * A filter as SQL. The address condition (from = a OR to = a) is kept apart: one OR over two columns
 * cannot walk an index in page order, so pages read each side through its own index and merge
 * (UNION), and counts add the two sides.
 */
export interface FilterSql {
  /** ` AND …` conditions other than the address. */
  conds: string;
  params: (string | number)[];
  address: string | null;
  /** Identity of the filter (count cache key). */
  key: string;
}

/** SQL of a filter. Empty `types` means no type filter; times are inclusive; search is case-insensitive (ASCII). */
export function filterSql(filter: HistoryFilter): FilterSql {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (filter.types && filter.types.length > 0) {
    const types = [...new Set(filter.types)].sort((a, b) => a - b);
    parts.push(`tx_type IN (${types.map(() => '?').join(',')})`);
    params.push(...types);
  }
  if (filter.channelId !== undefined && filter.channelId !== '') {
    // A prefix, exact and case-sensitive (ids are shown cut): an index range, then the check.
    parts.push(`contract_id >= ? AND substr(contract_id, 1, ?) = ?`);
    params.push(filter.channelId, filter.channelId.length, filter.channelId);
  }
  if (filter.fromTime !== undefined) {
    parts.push('timestamp >= ?');
    params.push(filter.fromTime);
  }
  if (filter.toTime !== undefined) {
    parts.push('timestamp <= ?');
    params.push(filter.toTime);
  }
  if (filter.search !== undefined && filter.search !== '') {
    const p = `%${escapeLike(filter.search)}%`;
    parts.push(
      `(tx_id LIKE ? ESCAPE '\\' OR parent_tx_id LIKE ? ESCAPE '\\' OR contract_id LIKE ? ESCAPE '\\')`,
    );
    params.push(p, p, p);
  }
  const address = filter.address !== undefined && filter.address !== '' ? filter.address : null;
  const conds = parts.map((p) => ` AND ${p}`).join('');
  return { conds, params, address, key: JSON.stringify([conds, params, address]) };
}

const NEWEST_FIRST = 'ORDER BY timestamp DESC, tx_id DESC';

/** SELECT of the matching rows newest first, optionally after a keyset position and limited. */
export function matchingSql(cols: string, f: FilterSql, keyset: boolean, limited: boolean): string {
  const tail = `${keyset ? ' AND (timestamp, tx_id) < (?, ?)' : ''} ${NEWEST_FIRST}${limited ? ' LIMIT ?' : ''}`;
  if (f.address === null) return `SELECT ${cols} FROM tx WHERE scope_id = ?${f.conds}${tail}`;
  const side = (col: string) =>
    `SELECT * FROM (SELECT ${cols} FROM tx WHERE scope_id = ? AND ${col} = ?${f.conds}${tail})`;
  return `${side('from_address')} UNION ${side('to_address')} ${NEWEST_FIRST}${limited ? ' LIMIT ?' : ''}`;
}

export function matchingParams(
  scopeId: number,
  f: FilterSql,
  keyset: [number, string] | null,
  limit: number | null,
): (string | number)[] {
  const side = (address: string | null) => [
    scopeId,
    ...(address === null ? [] : [address]),
    ...f.params,
    ...(keyset ?? []),
    ...(limit === null ? [] : [limit]),
  ];
  if (f.address === null) return side(null);
  return [...side(f.address), ...side(f.address), ...(limit === null ? [] : [limit])];
}

export function countSql(f: FilterSql): string {
  if (f.address === null) return `SELECT COUNT(*) AS n FROM tx WHERE scope_id = ?${f.conds}`;
  return `SELECT (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND from_address = ?${f.conds})
    + (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND to_address = ? AND from_address <> ?${f.conds}) AS n`;
}

export function countParams(scopeId: number, f: FilterSql): (string | number)[] {
  if (f.address === null) return [scopeId, ...f.params];
  return [scopeId, f.address, ...f.params, scopeId, f.address, f.address, ...f.params];
}
