/**
 * Expiry (SPEC §4 "Expiry"): with lifetimes of a few seconds, the job settles a channel that was
 * not closed in time at zero, then closes the expired addresses as cmd 32/64 would; after its
 * timeLock an address or channel refuses every change (EXPIRED) but its state stays readable
 * until the job closes it.
 *
 * Lifetimes: transfer 0.03 min = 1800 ms, spend/income 0.06 min = 3600 ms. Funding and prices are
 * the SPEC §5 defaults (100000 initial, 11000 per spend address, 1100 / 900 per 2^20 bytes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import {
  call,
  codeOf,
  fullHistory,
  ok,
  until,
  type AddressState,
  type CommonState,
} from '../helpers/tracker-session';
import { commonAddressOf } from '../../shared/crypto/address';

const ENV = {
  TLPRT_LEDGER_AMOUNT_INITIAL: '100000',
  TLPRT_LEDGER_AMOUNT_SPEND: '11000',
  TLPRT_LEDGER_PRICE_AMOUNT_SPEND: '1100',
  TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '900',
  TLPRT_LEDGER_QUANTUM_POWER: '20',
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '0.03',
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '0.06',
  TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '0.06',
};
const INITIAL = 100000n;
const TRANSFER_MS = 1800; // 0.03 × 60000
const ADDRESS_MS = 3600; // 0.06 × 60000
const Q = 1048576;

const A = new TestPeer();
const B = new TestPeer();

const sleepUntil = async (t: number) => {
  const ms = t - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
};

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
  return { ledger, client, pem, db: new LedgerDb(ledger.dbPath) };
}

async function shut(e: Env | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!e) return;
  e.client.close();
  e.db.close();
  await e.ledger.stop(signal);
}

function readers(e: Env) {
  return {
    spend: async (address: string) => ok<AddressState>(await call(e.client, 256, B.json({ address })), e.pem),
    income: async (address: string) =>
      ok<AddressState>(await call(e.client, 128, A.json({ address })), e.pem),
    channel: async (channelId: string) =>
      ok<{ state: number }>(await call(e.client, 512, A.json({ channelId })), e.pem).state,
    common: async (peer: TestPeer) =>
      ok<CommonState>(await call(e.client, 8192, A.json({ address: peer.commonAddress })), e.pem).state,
  };
}

describe('expiry job (every 200 ms)', () => {
  let e: Env;
  let r: ReturnType<typeof readers>;
  let spend: AddressState;
  let income: AddressState;
  let lateTimeLock = 0;
  const paid = () => ({
    channelId: 'paid',
    fromAddress: spend.address,
    toAddress: income.address,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 5,
  });
  const late = () => ({ ...paid(), channelId: 'late', plannedQuantumCount: 4 });
  const lateCommon = () => ({
    ...paid(),
    channelId: 'late-common',
    toAddress: B.commonAddress,
    priceTokens: '500',
    plannedQuantumCount: 2,
  });
  const capped = () => ({ ...paid(), channelId: 'capped', plannedQuantumCount: 1 });

  beforeAll(async () => {
    e = await open({ expiryIntervalMs: 200 });
    r = readers(e);
  });
  afterAll(() => shut(e));

  it('opens addresses and channels with the short lifetimes', async () => {
    spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
    income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
    expect(spend.lifetime).toBe(ADDRESS_MS);
    expect(income.lifetime).toBe(ADDRESS_MS);
    const p = ok<{ timeLock: number }>(await call(e.client, 8, twoSigned(A, B, paid())), e.pem);
    expect(p.timeLock).toBe(e.db.channel('paid')!.opened_at + TRANSFER_MS);
    // 3 quanta sent and paid in time: 3 × 1000
    ok(
      await call(
        e.client,
        16,
        twoSigned(A, B, { ...paid(), quantumCount: 3, tokens: '3000', volume: 3 * Q }),
      ),
      e.pem,
    );
    lateTimeLock = ok<{ timeLock: number }>(await call(e.client, 8, twoSigned(A, B, late())), e.pem).timeLock;
    ok(await call(e.client, 8, twoSigned(A, B, lateCommon())), e.pem);
    expect(lateTimeLock).toBeLessThan(spend.timeLock); // now + 1800 < opening + 3600
    expect((await r.spend(spend.address)).limit).toEqual({
      amount: '3000',
      quantumVolume: 3 * Q + 4 * Q + 2 * Q,
    }); // 8000 − 4000 − 1000
    expect((await r.income(income.address)).limit).toEqual({ amount: '7000', quantumVolume: 3 * Q + 4 * Q }); // 3000 + 4000
    expect(await r.common(B)).toMatchObject({ own: { fact: '3000', plan: '5000' }, profit: '0' }); // 4000 + 1000 planned
    expect(codeOf(await call(e.client, 64, A.json({ address: spend.address })))).toBe('OPEN_CHANNELS');
  });

  it('settles the channels not closed in time at zero and releases their reservations', async () => {
    await until(async () => (await r.channel('late')) === 4 && (await r.channel('late-common')) === 4, 5000);
    expect(Date.now()).toBeGreaterThan(lateTimeLock);
    for (const id of ['late', 'late-common']) {
      const ch = e.db.channel(id)!;
      expect([ch.status, ch.expired, JSON.parse(ch.settlement!)]).toEqual([
        4,
        1,
        { quantumCount: '0', tokens: '0', volume: '0' },
      ]);
      const close = e.db.txById(ch.close_tx_id!)!;
      expect([close.tx_type, close.amount, close.quantum_count, close.volume, close.parent_tx_id]).toEqual([
        16,
        '0',
        '0',
        '0',
        ch.open_tx_id,
      ]);
      expect(close.timestamp).toBeGreaterThan(ch.time_lock);
    }
    // the payer paid nothing for them: 11000 − 3000 (the channel closed in time) = 8000
    expect(await r.spend(spend.address)).toMatchObject({
      current: { amount: '8000', quantumVolume: 3 * Q, volume: 3 * Q },
      limit: { amount: '8000', quantumVolume: 3 * Q },
    });
    expect(await r.income(income.address)).toMatchObject({
      current: { amount: '3000', quantumVolume: 3 * Q, volume: 3 * Q },
      limit: { amount: '3000', quantumVolume: 3 * Q },
    });
    expect(await r.common(B)).toEqual({
      own: { fact: '3000', plan: '0' },
      foreign: { fact: '0', plan: '0' },
      profit: '0',
    });
    expect(e.db.address(spend.address)!.open_channels).toBe(0);
  });

  it('answers EXPIRED to a late close and changes nothing; an identical re-open is a no-op', async () => {
    const before = e.db.fingerprint();
    expect(
      codeOf(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...late(), quantumCount: 1, tokens: '1000', volume: 1000 }),
        ),
      ),
    ).toBe('EXPIRED');
    // even the zero settlement the job wrote: the peers did not close it
    expect(
      codeOf(
        await call(e.client, 16, twoSigned(A, B, { ...late(), quantumCount: 0, tokens: '0', volume: 0 })),
      ),
    ).toBe('EXPIRED');
    expect(
      codeOf(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...lateCommon(), quantumCount: 2, tokens: '1000', volume: 2 * Q }),
        ),
      ),
    ).toBe('EXPIRED');
    ok(await call(e.client, 8, twoSigned(A, B, late())), e.pem);
    expect(await r.channel('late')).toBe(4);
    expect(e.db.fingerprint()).toEqual(before);
  });

  it('caps a new channel’s timeLock at the spend address’s, then the job closes the addresses', async () => {
    const res = ok<{ timeLock: number; lifetime: number }>(
      await call(e.client, 8, twoSigned(A, B, capped())),
      e.pem,
    );
    // min(now + 1800, spend timeLock, income timeLock): now > opening + 1800, so an address's timeLock wins
    expect(res.timeLock).toBe(Math.min(spend.timeLock, income.timeLock));
    await until(
      async () => codeOf(await call(e.client, 256, B.json({ address: spend.address }))) === 'ADDRESS_CLOSED',
      6000,
    );
    await until(
      async () => codeOf(await call(e.client, 128, A.json({ address: income.address }))) === 'ADDRESS_CLOSED',
      2000,
    );
    expect(await r.channel('capped')).toBe(4);
    expect(e.db.channel('capped')).toMatchObject({ status: 4, expired: 1 });
    expect(e.db.address(spend.address)).toMatchObject({
      status: 2,
      amount: '0',
      reserved: '0',
      open_channels: 0,
    });
    expect(e.db.address(income.address)).toMatchObject({
      status: 2,
      amount: '0',
      reserved: '0',
      open_channels: 0,
    });
    // 100000 − 11000 + 8000 back from the spend address; the income's 3000 went on to B's common address
    expect(e.db.tracker().amount).toBe('97000');
    expect(await r.common(B)).toEqual({
      own: { fact: '3000', plan: '0' },
      foreign: { fact: '0', plan: '0' },
      profit: '3000',
    });
    expect(e.db.totalBalance()).toBe(INITIAL);
    expect(codeOf(await call(e.client, 64, A.json({ address: spend.address })))).toBe('ADDRESS_CLOSED');
    expect(codeOf(await call(e.client, 32, B.json({ address: income.address })))).toBe('ADDRESS_CLOSED');
    expect(auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
  });

  it('writes the history of the expiry: zero closes, TX_CLOSE_SPEND / TX_CLOSE_INCOME, TX_FINANCIAL', async () => {
    const trackerAddress = commonAddressOf(e.pem);
    const ha = await fullHistory(e.client, A, e.pem);
    expect(ha.map((i) => [i.tx_type, i.contract_id, i.amount, i.from, i.to])).toEqual([
      [4, '', 11000, trackerAddress, spend.address],
      [8, 'paid', 0, spend.address, income.address],
      [16, 'paid', 3000, spend.address, income.address],
      [8, 'late', 0, spend.address, income.address],
      [8, 'late-common', 0, spend.address, B.commonAddress],
      [16, 'late', 0, spend.address, income.address],
      [16, 'late-common', 0, spend.address, B.commonAddress],
      [8, 'capped', 0, spend.address, income.address],
      [16, 'capped', 0, spend.address, income.address],
      [32, '', 8000, spend.address, trackerAddress],
    ]);
    expect(ha[9]!.parent_tx_id).toBe(ha[0]!.tx_id);
    expect(ha[8]!.parent_tx_id).toBe(ha[7]!.tx_id);
    expect(ha[9]!.volume).toBe(3 * Q);
    const hb = await fullHistory(e.client, B, e.pem);
    const closeIncome = hb.find((i) => i.tx_type === 64)!;
    const fin = hb.find((i) => i.tx_type === 128)!;
    expect([closeIncome.from, closeIncome.to, closeIncome.amount, closeIncome.parent_tx_id]).toEqual([
      income.address,
      trackerAddress,
      3000,
      hb[0]!.tx_id, // OPEN_INCOME
    ]);
    expect(hb[0]!.tx_type).toBe(2);
    expect([fin.from, fin.to, fin.amount, fin.parent_tx_id]).toEqual([
      trackerAddress,
      B.commonAddress,
      3000,
      closeIncome.tx_id,
    ]);
    expect(hb.at(-1)!.tx_type).toBe(128);
  });
});

describe('expired but not yet closed (the job runs only at start)', () => {
  let e: Env | undefined;
  let spend: AddressState;
  let income: AddressState;
  let chTimeLock = 0;
  const stale = () => ({
    channelId: 'stale',
    fromAddress: spend.address,
    toAddress: income.address,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 2,
  });

  afterAll(() => shut(e));

  it('refuses every change with EXPIRED after the timeLock while states stay readable', async () => {
    e = await open({ expiryIntervalMs: 3_600_000 });
    const r = readers(e);
    spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
    income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
    chTimeLock = ok<{ timeLock: number }>(await call(e.client, 8, twoSigned(A, B, stale())), e.pem).timeLock;

    await sleepUntil(chTimeLock + 50);
    const beforeChannel = e.db.fingerprint();
    expect(
      codeOf(
        await call(e.client, 16, twoSigned(A, B, { ...stale(), quantumCount: 1, tokens: '1000', volume: Q })),
      ),
    ).toBe('EXPIRED');
    expect(await r.channel('stale')).toBe(2); // not settled: no job ran
    expect((await r.spend(spend.address)).limit.amount).toBe('9000'); // 11000 − 2 × 1000 still reserved
    expect(e.db.fingerprint()).toEqual(beforeChannel);

    // a channel opened now lives only as long as the spend address
    const capped = ok<{ timeLock: number }>(
      await call(e.client, 8, twoSigned(A, B, { ...stale(), channelId: 'capped2', plannedQuantumCount: 1 })),
      e.pem,
    );
    expect(capped.timeLock).toBe(Math.min(spend.timeLock, income.timeLock));

    await sleepUntil(Math.max(spend.timeLock, income.timeLock) + 50);
    const before = e.db.fingerprint();
    expect(codeOf(await call(e.client, 64, A.json({ address: spend.address })))).toBe('EXPIRED');
    expect(codeOf(await call(e.client, 32, B.json({ address: income.address })))).toBe('EXPIRED');
    expect(
      codeOf(
        await call(
          e.client,
          8,
          twoSigned(A, B, { ...stale(), channelId: 'too-late', plannedQuantumCount: 1 }),
        ),
      ),
    ).toBe('EXPIRED');
    expect(
      codeOf(
        await call(
          e.client,
          16,
          twoSigned(A, B, {
            ...stale(),
            channelId: 'capped2',
            plannedQuantumCount: 1,
            quantumCount: 0,
            tokens: '0',
            volume: 0,
          }),
        ),
      ),
    ).toBe('EXPIRED');
    // readable until the job closes them
    expect(await r.spend(spend.address)).toMatchObject({
      current: { amount: '11000', quantumVolume: 0, volume: 0 },
      limit: { amount: '8000', quantumVolume: 3 * Q }, // 11000 − 2000 − 1000; 2 + 1 quanta planned
    });
    expect(await r.income(income.address)).toMatchObject({
      current: { amount: '0' },
      limit: { amount: '3000' },
    });
    expect(e.db.fingerprint()).toEqual(before);
  });

  it('the job at the next start settles the channels at zero and closes both addresses', async () => {
    const dir = e!.ledger.dir;
    await shut(e);
    e = await open({ expiryIntervalMs: 3_600_000, dir });
    const r = readers(e);
    expect(await r.channel('stale')).toBe(4);
    expect(await r.channel('capped2')).toBe(4);
    expect(codeOf(await call(e.client, 256, B.json({ address: spend.address })))).toBe('ADDRESS_CLOSED');
    expect(codeOf(await call(e.client, 128, A.json({ address: income.address })))).toBe('ADDRESS_CLOSED');
    expect(e.db.tracker().amount).toBe('100000'); // all 11000 came back: nothing was paid
    expect(await r.common(B)).toEqual({
      own: { fact: '0', plan: '0' },
      foreign: { fact: '0', plan: '0' },
      profit: '0',
    });
    const types = e.db.transactions().map((t) => [t.tx_type, t.contract_id, t.amount]);
    // INIT, OPEN_SPEND, OPEN_INCOME, 2 × OPEN_TRANSFER, then the job: 2 zero closes, CLOSE_SPEND, CLOSE_INCOME (no TX_FINANCIAL for 0)
    expect(types).toEqual([
      [1, '', '100000'],
      [4, '', '11000'],
      [2, '', '0'],
      [8, 'stale', '0'],
      [8, 'capped2', '0'],
      [16, 'stale', '0'],
      [16, 'capped2', '0'],
      [32, '', '11000'],
      [64, '', '0'],
    ]);
    expect(auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
  });
});
