/** Earnings, payments, paid traffic and the owner's balance over time, over any item iterator. Pure. */
import type { ChartPoint } from '../../../shared/api/models';
import { TxType } from '../../../shared/protocol/commands';
import { HistoryCacheError } from './errors';
import { ownDelta, type FlowRow, type Owner } from './ownership';

/** What the chart reads of an item. */
export interface ChartRow extends FlowRow {
  volume: string;
}

/** Item types that move atoms (opens of income addresses and channels always carry 0). */
export const MONEY_TX_TYPES: readonly number[] = [
  TxType.INIT,
  TxType.OPEN_SPEND,
  TxType.CLOSE_TRANSFER,
  TxType.CLOSE_SPEND,
  TxType.CLOSE_INCOME,
  TxType.FINANCIAL,
];

/**
 * `buckets` equal spans from `span.first` to `span.last` (each point's `t` is its bucket's start).
 * All sums are bigint, returned as decimal strings (the renderer makes numbers of them only to draw).
 * - earned = Σ amount of settlements (CLOSE_TRANSFER) whose `to` is an own address (an own income
 *   address or the common address): atoms earned when each channel closed. FINANCIAL items are not
 *   settlements: they only move atoms already earned on a closed income address to the common
 *   address, so adding them would count those earnings twice.
 * - paid = Σ amount, paidBytes = Σ volume of settlements whose `from` is an own (spend) address.
 * - balance = the owner's addresses together at the bucket's end: every item before the span counts
 *   towards the first bucket's balance, items after it are left out.
 */
export function chartPoints(
  rows: Iterable<ChartRow>,
  span: { first: number; last: number } | null,
  buckets: number,
  owner: Owner,
): ChartPoint[] {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
    throw new HistoryCacheError('BAD_ARGUMENT', 'buckets must be an integer 1–1000');
  }
  if (!span || span.last < span.first) return [];
  const width = Math.max(1, Math.ceil((span.last - span.first + 1) / buckets));
  const earned = new Array<bigint>(buckets).fill(0n);
  const paid = new Array<bigint>(buckets).fill(0n);
  const paidBytes = new Array<bigint>(buckets).fill(0n);
  const moved = new Array<bigint>(buckets).fill(0n);
  let opening = 0n;
  for (const r of rows) {
    if (r.timestamp > span.last) continue;
    if (r.timestamp < span.first) {
      opening += ownDelta(r, owner);
      continue;
    }
    const b = Math.min(buckets - 1, Math.floor((r.timestamp - span.first) / width));
    moved[b]! += ownDelta(r, owner);
    if (r.txType !== TxType.CLOSE_TRANSFER) continue;
    if (owner.own.has(r.to)) earned[b]! += BigInt(r.amount);
    if (owner.own.has(r.from)) {
      paid[b]! += BigInt(r.amount);
      paidBytes[b]! += BigInt(r.volume);
    }
  }
  let balance = opening;
  return earned.map((e, i) => {
    balance += moved[i]!;
    return {
      t: span.first + i * width,
      earned: e.toString(),
      paid: paid[i]!.toString(),
      paidBytes: paidBytes[i]!.toString(),
      balance: balance.toString(),
    };
  });
}
