/** Earnings and paid traffic over time, over any iterator of settlements. Pure. */
import type { ChartPoint } from '../../../shared/api/models';
import { HistoryCacheError } from './errors';
import type { SettlementRow } from './transaction-store';

/**
 * `buckets` equal spans from `span.first` to `span.last` (each point's `t` is its bucket's start).
 * Sums are bigint, returned as decimal strings.
 * - earned = Σ amount of settlements whose `to` is an own address (an own income address or the
 *   common address): atoms earned when each channel closed. FINANCIAL items are not settlements:
 *   they only move atoms already earned on a closed income address to the common address, so adding
 *   them would count those earnings twice.
 * - paidBytes = Σ volume of settlements whose `from` is an own (spend) address.
 */
export function chartPoints(
  settlements: Iterable<SettlementRow>,
  span: { first: number; last: number } | null,
  buckets: number,
  own: ReadonlySet<string>,
): ChartPoint[] {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
    throw new HistoryCacheError('BAD_ARGUMENT', 'buckets must be an integer 1–1000');
  }
  if (!span) return [];
  const width = Math.max(1, Math.ceil((span.last - span.first + 1) / buckets));
  const earned = new Array<bigint>(buckets).fill(0n);
  const paid = new Array<bigint>(buckets).fill(0n);
  for (const r of settlements) {
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((r.timestamp - span.first) / width)));
    if (own.has(r.to)) earned[b]! += BigInt(r.amount);
    if (own.has(r.from)) paid[b]! += BigInt(r.volume);
  }
  return earned.map((e, i) => ({
    t: span.first + i * width,
    earned: e.toString(),
    paidBytes: paid[i]!.toString(),
  }));
}
