/**
 * Expiry in a running tracker process (SPEC §4 "Expiry"): the job runs on its interval and at
 * start. The rules themselves (exact boundaries, EXPIRED refusals, readable states, settlement
 * figures, history) are covered in process with an injected clock: ledger-expiry-clock.test.ts.
 *
 * Lifetimes: transfer 0.02 min = 1200 ms, spend/income 0.04 min = 2400 ms. Funding and prices are
 * the SPEC §5 defaults (100000 initial, 11000 per spend address, 1100 / 900 per 2^20 bytes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { call, codeOf, fullHistory, ok, until, type AddressState } from '../helpers/tracker-session';

const ENV = {
  TLPRT_LEDGER_AMOUNT_INITIAL: '100000',
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '0.02',
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '0.04',
  TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '0.04',
};
const INITIAL = 100000n;
const Q = 1048576;

const A = new TestPeer();
const B = new TestPeer();

interface Env {
  ledger: LedgerProcess;
  client: RawClient;
  pem: string;
  db: LedgerDb;
}

const launched: LedgerProcess[] = []; // every tracker started here, stopped in afterAll even after a failure
afterAll(async () => {
  for (const l of launched) await l.stop();
});

async function open(opts: { expiryIntervalMs: number; dir?: string }): Promise<Env> {
  const ledger = await startLedger({ env: ENV, args: ['--quiet'], ...opts });
  launched.push(ledger);
  const client = await RawClient.connect(ledger.url);
  const hs = await call(client, 1, A.pemPayload());
  const pem = (hs.data as { message: string }).message;
  ok(hs, pem);
  return { ledger, client, pem, db: await LedgerDb.open(ledger.db) };
}

async function shut(e: Env | undefined): Promise<void> {
  if (!e) return;
  e.client.close();
  await e.db.close();
  await e.ledger.stop();
}

/** A spend address of A, an income address of B and a channel between them. */
async function openChannel(e: Env, channelId: string) {
  const spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
  const income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
  const contract = {
    channelId,
    fromAddress: spend.address,
    toAddress: income.address,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 4,
  };
  const { timeLock } = ok<{ timeLock: number }>(await call(e.client, 8, twoSigned(A, B, contract)), e.pem);
  return { spend, income, contract, timeLock };
}

describe('the expiry job of a running tracker (every 200 ms)', () => {
  let e: Env | undefined;
  afterAll(() => shut(e));

  it('settles an unclosed channel at zero, then closes the expired addresses', async () => {
    e = await open({ expiryIntervalMs: 200 });
    const env = e;
    const { spend, income, contract, timeLock } = await openChannel(env, 'late');
    // another channel, closed in time: 2 quanta paid
    const paid = { ...contract, channelId: 'paid', plannedQuantumCount: 2 };
    ok(await call(env.client, 8, twoSigned(A, B, paid)), env.pem);
    ok(
      await call(
        env.client,
        16,
        twoSigned(A, B, { ...paid, quantumCount: 2, tokens: '2000', volume: 2 * Q }),
      ),
      env.pem,
    );
    const channelState = async (channelId: string) =>
      ok<{ state: number }>(await call(env.client, 512, A.json({ channelId })), env.pem).state;
    await until(async () => (await channelState('late')) === 4, 6000);
    expect(Date.now()).toBeGreaterThan(timeLock);
    const ch = (await env.db.channel('late'))!;
    expect([ch.expired, JSON.parse(ch.settlement!)]).toEqual([
      1,
      { quantumCount: '0', tokens: '0', volume: '0' },
    ]);
    expect((await env.db.address(spend.address))!.reserved).toBe('0');

    await until(
      async () =>
        codeOf(await call(env.client, 256, B.json({ address: spend.address }))) === 'ADDRESS_CLOSED',
      8000,
    );
    await until(
      async () =>
        codeOf(await call(env.client, 128, A.json({ address: income.address }))) === 'ADDRESS_CLOSED',
      2000,
    );
    // 100000 − 11000 + 9000 back from the spend address; the income's 2000 went on to B's common address
    expect((await env.db.tracker()).amount).toBe('98000');
    expect((await env.db.common(B.commonAddress))!.profit).toBe('2000');
    expect(await env.db.totalBalance()).toBe(INITIAL);
    const types = (await fullHistory(env.client, B, env.pem)).map((i) => [i.tx_type, i.amount]);
    expect(types).toEqual([
      [2, 0],
      [8, 0],
      [8, 0],
      [16, 2000],
      [16, 0],
      [64, 2000],
      [128, 2000],
    ]);
    expect(await auditLedger(env.db, INITIAL, { verifySignatures: true })).toEqual([]);
  });
});

describe('the expiry job at start', () => {
  let e: Env | undefined;
  afterAll(() => shut(e));

  it('a tracker restarted after the timeLocks settles the channel at zero and closes both addresses', async () => {
    e = await open({ expiryIntervalMs: 3_600_000 });
    const { spend, income } = await openChannel(e, 'stale');
    const dir = e.ledger.dir;
    await shut(e);
    const wait = Math.max(spend.timeLock, income.timeLock) + 50 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    e = await open({ expiryIntervalMs: 3_600_000, dir });
    expect(codeOf(await call(e.client, 256, B.json({ address: spend.address })))).toBe('ADDRESS_CLOSED');
    expect(codeOf(await call(e.client, 128, A.json({ address: income.address })))).toBe('ADDRESS_CLOSED');
    expect((await e.db.tracker()).amount).toBe('100000'); // all 11000 came back: nothing was paid
    expect((await e.db.transactions()).map((t) => [t.tx_type, t.contract_id, t.amount])).toEqual([
      [1, '', '100000'],
      [4, '', '11000'],
      [2, '', '0'],
      [8, 'stale', '0'],
      [16, 'stale', '0'],
      [32, '', '11000'],
      [64, '', '0'],
    ]);
    expect(await auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
  });
});
