/** An address's running balance at one item of its history, summed with bigint. Pure. */
import { deltaOn, happenedBefore, type FlowRow } from './ownership';

/**
 * The balance of `address` just before and just after `at`, over `rows` (every cached item of the
 * address, in any order): the sum of what each earlier item changed on it (see `happenedBefore`).
 */
export function balanceAround(
  rows: Iterable<FlowRow>,
  address: string,
  at: FlowRow,
): { before: bigint; after: bigint } {
  let before = 0n;
  for (const r of rows) {
    if (r.txId === at.txId) continue;
    if (happenedBefore(r, at) < 0) before += deltaOn(address, r);
  }
  return { before, after: before + deltaOn(address, at) };
}
