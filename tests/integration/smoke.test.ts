import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, resultOf, twoSigned, errorCodeOf } from '../helpers/raw-client';
import { verifyMessage } from '../../shared/crypto';

describe('smoke', () => {
  let ledger: LedgerProcess;
  let client: RawClient;
  beforeAll(async () => {
    ledger = await startLedger();
    client = await RawClient.connect(ledger.url);
  });
  afterAll(async () => {
    client?.close();
    await ledger?.stop();
  });

  it('handshake, open spend/income, transfer open/close, close addresses', async () => {
    const a = new TestPeer();
    const b = new TestPeer();
    const hs = await client.request(1, a.pemPayload());
    const trackerPem = resultOf<string>(hs);
    expect(
      verifyMessage((hs.data as { message: string }).message, (hs.data as { sign: string }).sign, trackerPem),
    ).toBe(true);
    const spend = resultOf<{ address: string }>(await client.request(4, a.pemPayload()));
    const income = resultOf<{ address: string }>(await client.request(2, b.pemPayload()));
    const contract = {
      channelId: 'c1',
      fromAddress: spend.address,
      toAddress: income.address,
      priceTokens: '1000',
      priceQuantumPower: 20,
      plannedQuantumCount: 10,
    };
    const opened = await client.request(8, twoSigned(a, b, contract));
    expect(opened.error).toBeUndefined();
    const closed = await client.request(
      16,
      twoSigned(a, b, { ...contract, quantumCount: 2, tokens: '2000', volume: 1572864 }),
    );
    expect(closed.error).toBeUndefined();
    const s = resultOf<{ current: { amount: string } }>(
      await client.request(256, a.json({ address: spend.address })),
    );
    expect(s.current.amount).toBe('9000');
    const bad = await client.request(64, b.json({ address: spend.address }));
    expect(errorCodeOf(bad)).toBe('NOT_OWNER');
    const c1 = await client.request(64, a.json({ address: spend.address }));
    expect(resultOf<{ state: { amount: string } }>(c1).state.amount).toBe('9000');
    const c2 = await client.request(32, b.json({ address: income.address }));
    expect(resultOf<{ state: { amount: string } }>(c2).state.amount).toBe('2000');
    const common = resultOf<{ state: { profit: string; own: { fact: string } } }>(
      await client.request(8192, b.json({ address: b.commonAddress })),
    );
    expect(common.state.profit).toBe('2000');
    expect(common.state.own.fact).toBe('2000');
    const hist = resultOf<{ _meta: { totalCount: number }; items: unknown[] }>(
      await client.request(1024, b.json({ limits: { pageSize: 10, page: 1 } })),
    );
    expect(hist._meta.totalCount).toBe(5);
  });
});
