/**
 * History seen from its owner, over a real cache filled from a real tracker through the app
 * backend: signed flows and address roles, the running balance of each own address, and the chart
 * series. The tracker is configured with amounts beyond 2^53, so any float on the way shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTrusting, startApp, until, type TestApp } from '../helpers/backend';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { rmSync } from 'node:fs';
import type { AddressView, HistoryItem, IdentityInfo } from '../../shared/api/models';
import { TxType } from '../../shared/protocol/commands';

const PASS = 'correct horse battery';
const FUNDING = 2n ** 62n + 3n; // what the tracker puts on a new spend address
const PRICE = 2n ** 53n + 1n; // atoms per quantum: not a float
const POWER = 20;
const MiB = 2n ** 20n;

describe('history seen from its owner (real tracker, amounts beyond 2^53)', () => {
  let ledger: LedgerProcess;
  let app: TestApp;
  let alice: IdentityInfo;
  let bob: IdentityInfo;
  let spend: AddressView;
  let income: AddressView;
  const closes = [
    { id: 'owner-1', quanta: 3n, volume: 3n * MiB - 5n },
    { id: 'owner-2', quanta: 2n, volume: MiB + 1n },
  ];
  const tokens = closes.map((c) => c.quanta * PRICE);
  const paid = tokens[0]! + tokens[1]!;
  let spendBeforeClose: string;

  async function synced(identityId: string): Promise<HistoryItem[]> {
    await app.call('history.sync', { identityId });
    await until(
      () => app.call('history.syncStatus', { identityId }),
      (s) => !s.running && s.lastSyncedAt !== null && s.error === null,
    );
    return (await app.call('history.query', { identityId, limit: 1000 })).items;
  }
  const ofType = (items: HistoryItem[], type: number) => items.filter((i) => i.txType === type);

  beforeAll(async () => {
    ledger = await startLedger({
      dir: tempDir(),
      env: {
        TLPRT_LEDGER_AMOUNT_INITIAL: '18446744073709551615',
        TLPRT_LEDGER_AMOUNT_SPEND: FUNDING.toString(),
        TLPRT_LEDGER_PRICE_AMOUNT_SPEND: (2n ** 60n).toString(),
        TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '1',
      },
    });
    app = await startApp({ watch: false });
    alice = await app.call('identities.create', { name: 'Alice', passphrase: PASS });
    bob = await app.call('identities.create', { name: 'Bob', passphrase: PASS });
    const profile = await app.call('trackers.add', { name: 'Big amounts', url: ledger.url });
    // A remote tracker's key is confirmed on first use, as its owner would.
    expect((await connectTrusting(app, profile.id, alice.id)).state).toBe('online');
    spend = await app.call('addresses.open', { identityId: alice.id, kind: 'spend' });
    expect(spend.amount).toBe(FUNDING.toString());
    income = await app.call('addresses.open', { identityId: bob.id, kind: 'income' });
    for (const c of closes) {
      await app.call('channels.openLocal', {
        payerId: alice.id,
        payeeId: bob.id,
        draft: {
          channelId: c.id,
          fromAddress: spend.address,
          toAddress: income.address,
          priceTokens: PRICE.toString(),
          pricePower: POWER,
          plannedQuantumCount: '10',
        },
      });
      await app.call('channels.closeLocal', { channelId: c.id, volume: c.volume.toString() });
    }
    const before = await app.call('addresses.refresh', { identityId: alice.id });
    spendBeforeClose = before.find((a) => a.address === spend.address)!.amount;
    await app.call('addresses.close', { identityId: alice.id, address: spend.address });
    await app.call('addresses.close', { identityId: bob.id, address: income.address });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await ledger?.stop();
    for (const d of [app?.dataDir, ledger?.dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('the payer: funded +, paid −, returned −; roles instead of bare addresses', async () => {
    const items = await synced(alice.id);
    const [open] = ofType(items, TxType.OPEN_SPEND);
    expect(open!.owner).toEqual({ from: 'tracker', to: 'spend', flow: 'in' });
    for (const c of ofType(items, TxType.CLOSE_TRANSFER))
      expect(c.owner).toEqual({ from: 'spend', to: 'other', flow: 'out' });
    // Opening a channel moves nothing.
    for (const o of ofType(items, TxType.OPEN_TRANSFER)) expect(o.owner?.flow).toBe('none');
    const [closeSpend] = ofType(items, TxType.CLOSE_SPEND);
    expect(closeSpend!.owner).toEqual({ from: 'spend', to: 'tracker', flow: 'out' });
    expect(closeSpend!.amount).toBe((FUNDING - paid).toString());
  });

  it('the payer’s running balance of its spend address, exact, equal to the tracker’s state', async () => {
    const items = await synced(alice.id);
    const balanceAt = async (i: HistoryItem) => {
      const r = await app.call('history.item', { identityId: alice.id, txId: i.txId });
      expect(r.complete).toBe(true);
      expect(r.balances.map((b) => [b.address, b.role])).toEqual([[spend.address, 'spend']]);
      return r.balances[0]!;
    };
    const [open] = ofType(items, TxType.OPEN_SPEND);
    expect(await balanceAt(open!)).toMatchObject({ before: '0', after: FUNDING.toString() });
    const settled = ofType(items, TxType.CLOSE_TRANSFER).sort((a, b) => a.timestamp - b.timestamp);
    expect(settled.map((s) => s.amount)).toEqual(tokens.map(String));
    expect(await balanceAt(settled[0]!)).toMatchObject({
      before: FUNDING.toString(),
      after: (FUNDING - tokens[0]!).toString(),
    });
    const last = await balanceAt(settled[1]!);
    expect(last.after).toBe((FUNDING - paid).toString());
    // What the tracker said the address held before its close is what the history sums to.
    expect(last.after).toBe(spendBeforeClose);
    const [closeSpend] = ofType(items, TxType.CLOSE_SPEND);
    expect(await balanceAt(closeSpend!)).toMatchObject({ before: spendBeforeClose, after: '0' });
  });

  it('the payee: earned +; the close of its income address and the payout are neutral', async () => {
    const items = await synced(bob.id);
    for (const c of ofType(items, TxType.CLOSE_TRANSFER))
      expect(c.owner).toEqual({ from: 'other', to: 'income', flow: 'in' });
    const [closeIncome] = ofType(items, TxType.CLOSE_INCOME);
    expect(closeIncome!.owner).toEqual({ from: 'income', to: 'tracker', flow: 'self' });
    const [payout] = ofType(items, TxType.FINANCIAL);
    expect(payout!.owner).toEqual({ from: 'tracker', to: 'common', flow: 'self' });
    expect(payout!.amount).toBe(paid.toString());

    const atClose = await app.call('history.item', { identityId: bob.id, txId: closeIncome!.txId });
    expect(atClose.balances).toEqual([
      { address: income.address, role: 'income', before: paid.toString(), after: '0' },
    ]);
    const atPayout = await app.call('history.item', { identityId: bob.id, txId: payout!.txId });
    expect(atPayout.balances).toEqual([
      { address: bob.commonAddress, role: 'common', before: '0', after: paid.toString() },
    ]);
    // Its parent (the close) and the item itself carry the owner's view too.
    expect(atPayout.parent?.owner?.flow).toBe('self');
  });

  it('chart series: bigint sums equal the tracker’s figures; a zoomed range carries its opening balance', async () => {
    await synced(bob.id);
    const common = await app.call('common.state', { identityId: bob.id });
    const bobChart = await app.call('history.chart', { identityId: bob.id, buckets: 50 });
    expect(bobChart).toHaveLength(50);
    const sum = (pts: typeof bobChart, k: 'earned' | 'paid' | 'paidBytes') =>
      pts.reduce((s, p) => s + BigInt(p[k]), 0n).toString();
    expect(sum(bobChart, 'earned')).toBe(paid.toString());
    expect(sum(bobChart, 'earned')).toBe(common!.fact);
    expect(sum(bobChart, 'paid')).toBe('0');
    // Whatever the income address held went on to the common address: the total stays.
    expect(bobChart.at(-1)!.balance).toBe(paid.toString());
    expect(bobChart.every((p) => BigInt(p.balance) >= 0n)).toBe(true);

    await synced(alice.id);
    const aliceChart = await app.call('history.chart', { identityId: alice.id, buckets: 50 });
    expect(sum(aliceChart, 'paid')).toBe(paid.toString());
    expect(sum(aliceChart, 'paidBytes')).toBe((closes[0]!.volume + closes[1]!.volume).toString());
    expect(sum(aliceChart, 'earned')).toBe('0');
    expect(aliceChart.at(-1)!.balance).toBe('0');
    expect(aliceChart.map((p) => p.balance)).toContain(FUNDING.toString());

    // Zoomed in on the settlements: the funding before the range is the opening balance.
    const items = await synced(alice.id);
    const settled = ofType(items, TxType.CLOSE_TRANSFER).map((s) => s.timestamp);
    const [first, last] = [Math.min(...settled), Math.max(...settled)];
    const zoomed = await app.call('history.chart', {
      identityId: alice.id,
      buckets: 4,
      fromTime: first,
      toTime: last,
    });
    expect(zoomed[0]!.t).toBe(first);
    expect(sum(zoomed, 'paid')).toBe(paid.toString());
    expect(zoomed.at(-1)!.balance).toBe((FUNDING - paid).toString());
    await expect(
      app.call('history.chart', { identityId: alice.id, buckets: 4, fromTime: last, toTime: first - 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
