/** Ownership, signed flows, the causal order and running balances (pure functions of the cache's rows). */
import { describe, expect, it } from 'vitest';
import {
  flowOf,
  happenedBefore,
  ownDelta,
  ownerViewOf,
  roleOf,
  type FlowRow,
  type Owner,
} from '../../electron/services/history/ownership';
import { balanceAround } from '../../electron/services/history/balances';
import { TxType } from '../../shared/protocol/commands';

const SPEND = '0x0c1aMySpend';
const INCOME = '0x0d2bMyIncome';
const COMMON = '0x0b3cMyCommon';
const TRACKER = '0x0b4dTracker';
const THEIR_SPEND = '0x0c5eTheirs';
const THEIR_INCOME = '0x0d6fTheirs';
const owner: Owner = { own: new Set([SPEND, INCOME, COMMON]), tracker: new Set([TRACKER]) };

let seq = 0;
function row(txType: number, from: string, to: string, amount: string, timestamp = 1000): FlowRow {
  return { txId: `tx${++seq}`, txType, from, to, amount, timestamp };
}

describe('the owner’s view of an item', () => {
  it('names each address: my spend / income / common, the tracker, someone else', () => {
    expect([SPEND, INCOME, COMMON, TRACKER, THEIR_SPEND].map((a) => roleOf(a, owner))).toEqual([
      'spend',
      'income',
      'common',
      'tracker',
      'other',
    ]);
  });

  it('signs amounts: + earned or funded, − paid or returned, neutral between own addresses', () => {
    const cases: [FlowRow, string][] = [
      [row(TxType.OPEN_SPEND, TRACKER, SPEND, '11000'), 'in'],
      [row(TxType.OPEN_INCOME, TRACKER, INCOME, '0'), 'none'],
      [row(TxType.OPEN_TRANSFER, SPEND, THEIR_INCOME, '0'), 'none'],
      [row(TxType.CLOSE_TRANSFER, SPEND, THEIR_INCOME, '3000'), 'out'],
      [row(TxType.CLOSE_TRANSFER, THEIR_SPEND, INCOME, '3000'), 'in'],
      [row(TxType.CLOSE_TRANSFER, THEIR_SPEND, COMMON, '5'), 'in'],
      // paying oneself: one own address to another
      [row(TxType.CLOSE_TRANSFER, SPEND, INCOME, '1000'), 'self'],
      [row(TxType.CLOSE_SPEND, SPEND, TRACKER, '8000'), 'out'],
      // closing an income address and the tracker's payout of it to the common address: one move
      [row(TxType.CLOSE_INCOME, INCOME, TRACKER, '3000'), 'self'],
      [row(TxType.FINANCIAL, TRACKER, COMMON, '3000'), 'self'],
      [row(TxType.CLOSE_TRANSFER, THEIR_SPEND, THEIR_INCOME, '1'), 'none'],
    ];
    expect(cases.map(([r]) => flowOf(r, owner))).toEqual(cases.map(([, f]) => f));
    expect(ownerViewOf(cases[3]![0], owner)).toEqual({ from: 'spend', to: 'other', flow: 'out' });
  });

  it('changes the owner’s total only when atoms cross its boundary (bigint, beyond 2^64)', () => {
    const big = (2n ** 64n - 1n).toString();
    expect(ownDelta(row(TxType.CLOSE_TRANSFER, THEIR_SPEND, INCOME, big), owner)).toBe(2n ** 64n - 1n);
    expect(ownDelta(row(TxType.CLOSE_SPEND, SPEND, TRACKER, big), owner)).toBe(-(2n ** 64n - 1n));
    expect(ownDelta(row(TxType.CLOSE_TRANSFER, SPEND, INCOME, big), owner)).toBe(0n);
  });

  it('orders one millisecond’s items causally: open, settle, close, payout', () => {
    const items = [
      row(TxType.FINANCIAL, TRACKER, COMMON, '1'),
      row(TxType.CLOSE_INCOME, INCOME, TRACKER, '1'),
      row(TxType.CLOSE_TRANSFER, THEIR_SPEND, INCOME, '1'),
      row(TxType.OPEN_INCOME, TRACKER, INCOME, '0'),
      row(TxType.OPEN_SPEND, TRACKER, SPEND, '1', 999),
    ];
    expect(items.sort(happenedBefore).map((i) => i.txType)).toEqual([
      TxType.OPEN_SPEND,
      TxType.OPEN_INCOME,
      TxType.CLOSE_TRANSFER,
      TxType.CLOSE_INCOME,
      TxType.FINANCIAL,
    ]);
  });
});

describe('running balance of an address', () => {
  const huge = 2n ** 53n + 1n;
  const open = row(TxType.OPEN_INCOME, TRACKER, INCOME, '0', 100);
  const earned1 = row(TxType.CLOSE_TRANSFER, THEIR_SPEND, INCOME, huge.toString(), 200);
  const earned2 = row(TxType.CLOSE_TRANSFER, THEIR_SPEND, INCOME, huge.toString(), 300);
  // Same millisecond as its last settlement: the settlement still counts before the close.
  const close = row(TxType.CLOSE_INCOME, INCOME, TRACKER, (2n * huge).toString(), 300);
  const unrelated = row(TxType.CLOSE_TRANSFER, SPEND, THEIR_INCOME, '7', 250);
  const rows = [close, unrelated, earned2, open, earned1]; // any order

  it('sums what came before, exactly, whatever order the rows come in', () => {
    expect(balanceAround(rows, INCOME, open)).toEqual({ before: 0n, after: 0n });
    expect(balanceAround(rows, INCOME, earned1)).toEqual({ before: 0n, after: huge });
    expect(balanceAround(rows, INCOME, earned2)).toEqual({ before: huge, after: 2n * huge });
    expect(balanceAround(rows, INCOME, close)).toEqual({ before: 2n * huge, after: 0n });
    expect(String(balanceAround(rows, INCOME, earned2).after)).toBe('18014398509481986');
  });

  it('goes below zero only when older items are missing from the cache', () => {
    expect(balanceAround([close], INCOME, close)).toEqual({ before: 0n, after: -2n * huge });
  });
});
