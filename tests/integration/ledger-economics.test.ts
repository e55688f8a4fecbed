/**
 * Ledger economics: every figure of a full payer/payee scenario, checked against hand-computed
 * literals (SPEC §4), through a real tracker process, real sockets and the real SQLite file.
 *
 * Configuration (pinned below, = SPEC §5 defaults): initial 100000 atoms, spend funding 11000,
 * spend max price 1100 @ power 20, income min price 900 @ power 20, lifetimes 30/30/5 minutes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { step } from '../helpers/step';
import {
  call,
  codeOf,
  fullHistory,
  ok,
  type AddressState,
  type CommonState,
  type Item,
} from '../helpers/tracker-session';
import { channelAddressOf, checkAddress, commonAddressOf } from '../../shared/crypto/address';

const ENV = {
  TLPRT_LEDGER_AMOUNT_INITIAL: '100000',
  TLPRT_LEDGER_AMOUNT_SPEND: '11000',
  TLPRT_LEDGER_PRICE_AMOUNT_SPEND: '1100',
  TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '900',
  TLPRT_LEDGER_QUANTUM_POWER: '20',
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '30',
  TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '30',
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '5',
};
const INITIAL = 100000n;
const MINUTE = 60_000;

// Key generation is the slow part: three peers for the whole file.
const A = new TestPeer(); // payer
const B = new TestPeer(); // payee
const C = new TestPeer(); // bystander

interface Env {
  ledger: LedgerProcess;
  client: RawClient;
  pem: string;
  trackerAddress: string;
  db: LedgerDb;
}

const started: Env[] = [];
const launched: LedgerProcess[] = []; // stopped in afterAll even when a start-up step failed

async function freshTracker(): Promise<Env> {
  const ledger = await startLedger({ env: ENV, args: ['--quiet'] });
  launched.push(ledger);
  const client = await RawClient.connect(ledger.url);
  const hs = await call(client, 1, A.pemPayload());
  const pem = (hs.data as { message: string }).message;
  ok(hs, pem); // the handshake answer is the tracker PEM, signed by that key
  const env: Env = {
    ledger,
    client,
    pem,
    trackerAddress: commonAddressOf(pem),
    db: await LedgerDb.open(ledger.db),
  };
  started.push(env);
  return env;
}

afterAll(async () => {
  for (const e of started) {
    e.client.close();
    await e.db.close();
    await e.ledger.stop();
  }
  for (const l of launched) await l.stop(); // no-op for those already stopped
});

/** Shorthand readers bound to one tracker. */
function readers(e: Env) {
  return {
    spend: async (address: string) => ok<AddressState>(await call(e.client, 256, C.json({ address })), e.pem),
    income: async (address: string) =>
      ok<AddressState>(await call(e.client, 128, C.json({ address })), e.pem),
    common: async (peer: TestPeer) =>
      ok<CommonState>(await call(e.client, 8192, C.json({ address: peer.commonAddress })), e.pem).state,
    channel: async (channelId: string) =>
      ok<{ channelId: string; state: number }>(await call(e.client, 512, C.json({ channelId })), e.pem).state,
    trackerBalance: async () => (await e.db.tracker()).amount,
  };
}

function figures(s: AddressState) {
  return { current: s.current, limit: s.limit, price: s.price };
}

/** The fields of a history item that carry money and links (timestamps and ids checked separately). */
function brief(i: Item) {
  return {
    tx_type: i.tx_type,
    from: i.from,
    to: i.to,
    amount: i.amount,
    volume: i.volume,
    quantum_count: i.quantum_count,
    contract_id: i.contract_id,
    price_amount: i.price_amount,
    price_quantum_power: i.price_quantum_power,
    planned_quantum_count: i.planned_quantum_count,
    status: i.status,
  };
}

const ZERO_COMMON = { own: { fact: '0', plan: '0' }, foreign: { fact: '0', plan: '0' }, profit: '0' };

describe('ledger economics: spend → income channel, payout to the common address', () => {
  let e: Env;
  let r: ReturnType<typeof readers>;
  let spend: AddressState;
  let income: AddressState;
  const contract = () => ({
    channelId: 'econ-1',
    fromAddress: spend.address,
    toAddress: income.address,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 10,
  });
  // 1.5 quanta of 2^20 bytes were sent: 1.5 × 1048576 = 1572864 bytes, paid as 2 quanta × 1000 = 2000 atoms.
  const close = () => ({ ...contract(), quantumCount: 2, tokens: '2000', volume: 1572864 });

  beforeAll(async () => {
    e = await freshTracker();
    r = readers(e);
  });

  it('the whole story, step by step', async () => {
    await step('starts with the whole initial amount on the tracker and empty common addresses', async () => {
      expect(await r.trackerBalance()).toBe('100000'); // TX_INIT of TLPRT_LEDGER_AMOUNT_INITIAL
      expect(await e.db.txCount()).toBe(1); // TX_INIT only
      const init = (await e.db.transactions())[0]!;
      expect([init.tx_type, init.from_address, init.to_address, init.amount]).toEqual([
        1,
        e.trackerAddress,
        e.trackerAddress,
        '100000',
      ]);
      expect(await r.common(A)).toEqual(ZERO_COMMON);
      expect(await r.common(B)).toEqual(ZERO_COMMON);
    });
    await step('A opens a spend address funded with 11000 atoms from the tracker', async () => {
      spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
      expect(checkAddress(spend.address, 'spend')).toEqual({ valid: true, kind: 'spend', legacy: false });
      const row = (await e.db.address(spend.address))!;
      // address = 0x0c + C + H(trackerPem;peerPem;spend;hex(openedAt))
      expect(spend.address).toBe(channelAddressOf('spend', e.pem, A.publicPem, row.opened_at));
      expect(figures(spend)).toEqual({
        current: { amount: '11000', quantumVolume: 0, volume: 0 }, // funded min(100000, 11000)
        limit: { amount: '11000', quantumVolume: 0 }, // 11000 − 0 reserved; 0 + 0 planned bytes
        price: { amount: '1100', quantumPower: 20 }, // configured maximum
      });
      expect(spend.pk).toBe(e.pem);
      expect(spend.lifetime).toBe(30 * MINUTE); // 1800000 ms
      expect(spend.timeLock).toBe(row.time_lock);
      expect(await r.trackerBalance()).toBe('89000'); // 100000 − 11000
      expect(await r.spend(spend.address)).toEqual({
        ...spend,
        lifetime: undefined,
        timeLock: spend.timeLock,
      });
    });
    await step('B opens an income address with nothing on it', async () => {
      income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
      expect(checkAddress(income.address, 'income').valid).toBe(true);
      const row = (await e.db.address(income.address))!;
      expect(income.address).toBe(channelAddressOf('income', e.pem, B.publicPem, row.opened_at));
      expect(figures(income)).toEqual({
        current: { amount: '0', quantumVolume: 0, volume: 0 },
        limit: { amount: '0', quantumVolume: 0 },
        price: { amount: '900', quantumPower: 20 }, // configured minimum
      });
      expect(income.lifetime).toBe(30 * MINUTE);
      expect(await r.trackerBalance()).toBe('89000'); // unchanged: income addresses are not funded
      expect(await e.db.txCount()).toBe(3); // INIT, OPEN_SPEND, OPEN_INCOME
    });
    await step(
      'opening the channel reserves 10 × 1000 = 10000 of 11000 and plans 10 × 2^20 bytes',
      async () => {
        const res = ok<{ pk: string; timeLock: number; lifetime: number }>(
          await call(e.client, 8, twoSigned(A, B, contract())),
          e.pem,
        );
        const ch = (await e.db.channel('econ-1'))!;
        // min(now + 5 min, spend timeLock (now + 30 min), income timeLock): the transfer lifetime wins
        expect(res.timeLock).toBe(ch.opened_at + 5 * MINUTE);
        expect(res.lifetime).toBeGreaterThan(5 * MINUTE - 2000);
        expect(res.lifetime).toBeLessThanOrEqual(5 * MINUTE);
        expect(res.pk).toBe(e.pem);
        expect(figures(await r.spend(spend.address))).toEqual({
          current: { amount: '11000', quantumVolume: 0, volume: 0 }, // nothing paid yet
          limit: { amount: '1000', quantumVolume: 10485760 }, // 11000 − 10000; 0 + 10 × 1048576
          price: { amount: '1100', quantumPower: 20 },
        });
        expect(figures(await r.income(income.address))).toEqual({
          current: { amount: '0', quantumVolume: 0, volume: 0 },
          limit: { amount: '10000', quantumVolume: 10485760 }, // 0 + 10000; 0 + 10 × 1048576
          price: { amount: '900', quantumPower: 20 },
        });
        expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '0', plan: '10000' } }); // reservation paying B
        expect(await r.common(A)).toEqual(ZERO_COMMON); // the payer earns nothing
        expect(await r.channel('econ-1')).toBe(2);
        expect(await r.trackerBalance()).toBe('89000');
        expect(await e.db.txCount()).toBe(4);
      },
    );
    await step(
      'repeating the open is a no-op success; a different contract under the same id is refused',
      async () => {
        const before = await e.db.fingerprint();
        const again = ok<{ timeLock: number }>(await call(e.client, 8, twoSigned(A, B, contract())), e.pem);
        expect(again.timeLock).toBe((await e.db.channel('econ-1'))!.time_lock);
        expect(await e.db.fingerprint()).toEqual(before);
        const other = await call(e.client, 8, twoSigned(A, B, { ...contract(), plannedQuantumCount: 9 }));
        expect(codeOf(other)).toBe('CHANNEL_CONFLICT');
        // payer and payee swapped signers: a different contract under the same id as well
        expect(codeOf(await call(e.client, 8, twoSigned(B, A, contract())))).toBe('CHANNEL_CONFLICT');
        expect(await e.db.fingerprint()).toEqual(before);
        expect(figures(await r.spend(spend.address)).limit).toEqual({
          amount: '1000',
          quantumVolume: 10485760,
        });
      },
    );
    await step('a close with a settlement that does not add up is refused and changes nothing', async () => {
      const before = await e.db.fingerprint();
      // tokens must be 2 × 1000
      expect(codeOf(await call(e.client, 16, twoSigned(A, B, { ...close(), tokens: '1999' })))).toBe(
        'BAD_SETTLEMENT',
      );
      // 1572864 bytes need 2 quanta of 2^20, not 1
      expect(
        codeOf(await call(e.client, 16, twoSigned(A, B, { ...close(), quantumCount: 1, tokens: '1000' }))),
      ).toBe('BAD_SETTLEMENT');
      // 11 quanta > 10 planned
      expect(
        codeOf(
          await call(
            e.client,
            16,
            twoSigned(A, B, { ...close(), quantumCount: 11, tokens: '11000', volume: 11 * 1048576 }),
          ),
        ),
      ).toBe('BAD_SETTLEMENT');
      // a contract field differing from the open one
      expect(
        codeOf(await call(e.client, 16, twoSigned(A, B, { ...close(), priceTokens: '999', tokens: '1998' }))),
      ).toBe('CHANNEL_CONFLICT');
      expect(await e.db.fingerprint()).toEqual(before);
    });
    await step(
      'closing after 1.5 quanta pays 2 quanta = 2000 atoms and releases the reservation',
      async () => {
        const res = ok<{ pk: string }>(await call(e.client, 16, twoSigned(A, B, close())), e.pem);
        expect(res).toEqual({ pk: e.pem });
        expect(figures(await r.spend(spend.address))).toEqual({
          current: { amount: '9000', quantumVolume: 2097152, volume: 1572864 }, // 11000 − 2000; 2 × 2^20; bytes sent
          limit: { amount: '9000', quantumVolume: 2097152 }, // no reservation left; no planned bytes left
          price: { amount: '1100', quantumPower: 20 },
        });
        expect(figures(await r.income(income.address))).toEqual({
          current: { amount: '2000', quantumVolume: 2097152, volume: 1572864 },
          limit: { amount: '2000', quantumVolume: 2097152 },
          price: { amount: '900', quantumPower: 20 },
        });
        // earned on the income address, not yet paid out to the common address
        expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '2000', plan: '0' } });
        expect(await r.channel('econ-1')).toBe(4);
        expect(await r.trackerBalance()).toBe('89000');
        expect(await e.db.txCount()).toBe(5);
        expect(await e.db.totalBalance()).toBe(INITIAL); // 89000 + 9000 + 2000
      },
    );
    await step('repeating the close is a no-op success; other figures are refused', async () => {
      const before = await e.db.fingerprint();
      expect(ok(await call(e.client, 16, twoSigned(A, B, close())), e.pem)).toEqual({ pk: e.pem });
      expect(await e.db.fingerprint()).toEqual(before);
      const other = await call(
        e.client,
        16,
        twoSigned(A, B, { ...contract(), quantumCount: 1, tokens: '1000', volume: 1048576 }),
      );
      expect(codeOf(other)).toBe('CHANNEL_CONFLICT');
      // re-opening a closed channel with the identical contract changes nothing either
      ok(await call(e.client, 8, twoSigned(A, B, contract())), e.pem);
      expect(await e.db.fingerprint()).toEqual(before);
      expect(await r.channel('econ-1')).toBe(4);
    });
    await step('closing the spend address returns 9000 to the tracker', async () => {
      expect(codeOf(await call(e.client, 64, B.json({ address: spend.address })))).toBe('NOT_OWNER');
      const res = ok<{ pk: string; state: unknown }>(
        await call(e.client, 64, A.json({ address: spend.address })),
        e.pem,
      );
      expect(res).toEqual({ pk: e.pem, state: { amount: '9000', quantumVolume: 2097152, volume: 1572864 } }); // state before close
      expect(await r.trackerBalance()).toBe('98000'); // 89000 + 9000
      expect(codeOf(await call(e.client, 256, C.json({ address: spend.address })))).toBe('ADDRESS_CLOSED');
      expect(codeOf(await call(e.client, 64, A.json({ address: spend.address })))).toBe('ADDRESS_CLOSED');
      expect(await e.db.txCount()).toBe(6);
    });
    await step(
      'closing the income address pays B’s 2000 atoms to its common address (TX_FINANCIAL)',
      async () => {
        const res = ok<{ pk: string; state: unknown }>(
          await call(e.client, 32, B.json({ address: income.address })),
          e.pem,
        );
        expect(res).toEqual({
          pk: e.pem,
          state: { amount: '2000', quantumVolume: 2097152, volume: 1572864 },
        });
        // 2000 goes to the tracker (TX_CLOSE_INCOME) and straight on to B's common address (TX_FINANCIAL)
        expect(await r.trackerBalance()).toBe('98000');
        expect(await r.common(B)).toEqual({
          ...ZERO_COMMON,
          own: { fact: '2000', plan: '0' },
          profit: '2000',
        });
        expect(await r.common(A)).toEqual(ZERO_COMMON);
        expect(codeOf(await call(e.client, 128, C.json({ address: income.address })))).toBe('ADDRESS_CLOSED');
        expect((await e.db.common(B.commonAddress))!.profit).toBe('2000');
        expect(await e.db.address(spend.address)).toMatchObject({ status: 2, amount: '0' });
        expect(await e.db.address(income.address)).toMatchObject({ status: 2, amount: '0' });
        expect(await e.db.txCount()).toBe(8);
        expect(await e.db.totalBalance()).toBe(INITIAL); // 98000 tracker + 2000 B's common
        expect(await auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
      },
    );
    await step('history: A sees its 4 transactions, B its 5, with amounts and parent links', async () => {
      const spendTl = spend.timeLock;
      const incomeTl = income.timeLock;
      const chTl = (await e.db.channel('econ-1'))!.time_lock;
      const ha = await fullHistory(e.client, A, e.pem);
      const hb = await fullHistory(e.client, B, e.pem);
      const common = { status: 1 };
      const openTransfer = {
        tx_type: 8,
        from: spend.address,
        to: income.address,
        amount: 0,
        volume: 0,
        quantum_count: 0,
        contract_id: 'econ-1',
        price_amount: 1000,
        price_quantum_power: 20,
        planned_quantum_count: 10,
        ...common,
      };
      const closeTransfer = { ...openTransfer, tx_type: 16, amount: 2000, volume: 1572864, quantum_count: 2 };
      expect(ha.map(brief)).toEqual([
        {
          tx_type: 4,
          from: e.trackerAddress,
          to: spend.address,
          amount: 11000,
          volume: 0,
          quantum_count: 0,
          contract_id: '',
          price_amount: 1100,
          price_quantum_power: 20,
          planned_quantum_count: 0,
          ...common,
        },
        openTransfer,
        closeTransfer,
        {
          tx_type: 32,
          from: spend.address,
          to: e.trackerAddress,
          amount: 9000,
          volume: 1572864,
          quantum_count: 0,
          contract_id: '',
          price_amount: 0,
          price_quantum_power: 0,
          planned_quantum_count: 0,
          ...common,
        },
      ]);
      expect(hb.map(brief)).toEqual([
        {
          tx_type: 2,
          from: e.trackerAddress,
          to: income.address,
          amount: 0,
          volume: 0,
          quantum_count: 0,
          contract_id: '',
          price_amount: 900,
          price_quantum_power: 20,
          planned_quantum_count: 0,
          ...common,
        },
        openTransfer,
        closeTransfer,
        {
          tx_type: 64,
          from: income.address,
          to: e.trackerAddress,
          amount: 2000,
          volume: 1572864,
          quantum_count: 0,
          contract_id: '',
          price_amount: 0,
          price_quantum_power: 0,
          planned_quantum_count: 0,
          ...common,
        },
        {
          tx_type: 128,
          from: e.trackerAddress,
          to: B.commonAddress,
          amount: 2000,
          volume: 0,
          quantum_count: 0,
          contract_id: '',
          price_amount: 0,
          price_quantum_power: 0,
          planned_quantum_count: 0,
          ...common,
        },
      ]);
      const [aOpenSpend, aOpenTr, aCloseTr, aCloseSpend] = ha as [Item, Item, Item, Item];
      const [bOpenIncome, bOpenTr, bCloseTr, bCloseIncome, bFin] = hb as [Item, Item, Item, Item, Item];
      // the channel's two transactions are the same rows for both parties
      expect(bOpenTr.tx_id).toBe(aOpenTr.tx_id);
      expect(bCloseTr.tx_id).toBe(aCloseTr.tx_id);
      // parents: close transfer → open transfer; close spend → open spend; close income → open income; financial → close income
      expect(aOpenSpend.parent_tx_id).toBe('');
      expect(aOpenTr.parent_tx_id).toBe('');
      expect(aCloseTr.parent_tx_id).toBe(aOpenTr.tx_id);
      expect(aCloseSpend.parent_tx_id).toBe(aOpenSpend.tx_id);
      expect(bOpenIncome.parent_tx_id).toBe('');
      expect(bCloseIncome.parent_tx_id).toBe(bOpenIncome.tx_id);
      expect(bFin.parent_tx_id).toBe(bCloseIncome.tx_id);
      // time locks carried by the items
      expect([aOpenSpend.timelock, bOpenIncome.timelock, aOpenTr.timelock, aCloseTr.timelock]).toEqual([
        spendTl,
        incomeTl,
        chTl,
        chTl,
      ]);
      // default order is newest first, and the history of C (a bystander) is empty
      const newest = ok<{ items: Item[]; _meta: { totalCount: number } }>(
        await call(e.client, 1024, B.json({ limits: { pageSize: 20, page: 1 } })),
        e.pem,
      );
      expect(newest.items.map((i) => i.tx_id)).toEqual(hb.map((i) => i.tx_id).reverse());
      const none = ok<{ items: Item[]; _meta: { totalCount: number } }>(
        await call(e.client, 1024, C.json({ limits: { pageSize: 20, page: 1 } })),
        e.pem,
      );
      expect(none._meta.totalCount).toBe(0);
      // the tracker's ledger: INIT + 4 of A's + (OPEN_INCOME, CLOSE_INCOME, FINANCIAL) of B's = 8 rows
      expect((await e.db.transactions()).map((t) => t.tx_type)).toEqual([1, 4, 2, 8, 16, 32, 64, 128]);
    });
  });
});

describe('ledger economics: paying B’s common address directly', () => {
  let e: Env;
  let r: ReturnType<typeof readers>;
  let spend: AddressState;
  const c1 = () => ({
    channelId: 'direct-1',
    fromAddress: spend.address,
    toAddress: B.commonAddress,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 10,
  });
  // below the income minimum (900): allowed, no lower bound when paying a common address
  const c2 = () => ({ ...c1(), channelId: 'direct-2', priceTokens: '500', plannedQuantumCount: 2 });

  beforeAll(async () => {
    e = await freshTracker();
    r = readers(e);
    spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
  });

  it('the whole story, step by step', async () => {
    await step(
      'refuses a price above the spend maximum and a common address that is not the payee’s',
      async () => {
        const before = await e.db.fingerprint();
        expect(codeOf(await call(e.client, 8, twoSigned(A, B, { ...c1(), priceTokens: '1101' })))).toBe(
          'PRICE_OUT_OF_BOUNDS',
        );
        expect(
          codeOf(await call(e.client, 8, twoSigned(A, B, { ...c1(), toAddress: C.commonAddress }))),
        ).toBe('NOT_OWNER');
        expect(
          codeOf(await call(e.client, 8, twoSigned(A, B, { ...c1(), toAddress: A.commonAddress }))),
        ).toBe('NOT_OWNER');
        // the payer's own spend address cannot be paid
        expect(codeOf(await call(e.client, 8, twoSigned(A, B, { ...c1(), toAddress: spend.address })))).toBe(
          'BAD_ADDRESS',
        );
        // 11 × 1000 = 11000 ≤ 11000 would fit, 12 × 1000 does not
        expect(codeOf(await call(e.client, 8, twoSigned(A, B, { ...c1(), plannedQuantumCount: 12 })))).toBe(
          'INSUFFICIENT_LIMIT',
        );
        expect(await e.db.fingerprint()).toEqual(before);
      },
    );
    await step('reserves 10000 + 1000 = 11000: the whole spend limit', async () => {
      ok(await call(e.client, 8, twoSigned(A, B, c1())), e.pem);
      ok(await call(e.client, 8, twoSigned(A, B, c2())), e.pem);
      expect(figures(await r.spend(spend.address))).toEqual({
        current: { amount: '11000', quantumVolume: 0, volume: 0 },
        limit: { amount: '0', quantumVolume: 12582912 }, // 11000 − 10 × 1000 − 2 × 500; (10 + 2) × 2^20
        price: { amount: '1100', quantumPower: 20 },
      });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '0', plan: '11000' } });
      // one atom more does not fit
      expect(
        codeOf(
          await call(
            e.client,
            8,
            twoSigned(A, B, { ...c1(), channelId: 'direct-3', priceTokens: '1', plannedQuantumCount: 1 }),
          ),
        ),
      ).toBe('INSUFFICIENT_LIMIT');
      expect(await e.db.channel('direct-3')).toBeUndefined();
    });
    await step('settles straight onto the common address: profit = fact = 2000 + 500', async () => {
      ok(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...c1(), quantumCount: 2, tokens: '2000', volume: 1572864 }),
        ),
        e.pem,
      );
      // 1 byte sent is one started quantum: 1 × 500
      ok(
        await call(e.client, 16, twoSigned(A, B, { ...c2(), quantumCount: 1, tokens: '500', volume: 1 })),
        e.pem,
      );
      expect(figures(await r.spend(spend.address))).toEqual({
        current: { amount: '8500', quantumVolume: 3145728, volume: 1572865 }, // 11000 − 2500; 3 × 2^20; 1572864 + 1
        limit: { amount: '8500', quantumVolume: 3145728 },
        price: { amount: '1100', quantumPower: 20 },
      });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '2500', plan: '0' }, profit: '2500' });
      expect(await r.trackerBalance()).toBe('89000'); // 100000 − 11000: a direct payment does not pass the tracker
      expect(await e.db.totalBalance()).toBe(INITIAL); // 89000 + 8500 + 2500
    });
    await step(
      'closing the spend address returns 8500; history shows no income address and no TX_FINANCIAL',
      async () => {
        const res = ok<{ state: unknown }>(
          await call(e.client, 64, A.json({ address: spend.address })),
          e.pem,
        );
        expect(res.state).toEqual({ amount: '8500', quantumVolume: 3145728, volume: 1572865 });
        expect(await r.trackerBalance()).toBe('97500'); // 89000 + 8500
        expect(await r.common(B)).toEqual({
          ...ZERO_COMMON,
          own: { fact: '2500', plan: '0' },
          profit: '2500',
        });
        const hb = await fullHistory(e.client, B, e.pem);
        expect(hb.map((i) => [i.tx_type, i.from, i.to, i.amount, i.contract_id])).toEqual([
          [8, spend.address, B.commonAddress, 0, 'direct-1'],
          [8, spend.address, B.commonAddress, 0, 'direct-2'],
          [16, spend.address, B.commonAddress, 2000, 'direct-1'],
          [16, spend.address, B.commonAddress, 500, 'direct-2'],
        ]);
        expect(hb[2]!.parent_tx_id).toBe(hb[0]!.tx_id);
        expect(hb[3]!.parent_tx_id).toBe(hb[1]!.tx_id);
        const ha = await fullHistory(e.client, A, e.pem);
        expect(ha.map((i) => [i.tx_type, i.amount])).toEqual([
          [4, 11000],
          [8, 0],
          [8, 0],
          [16, 2000],
          [16, 500],
          [32, 8500],
        ]);
        expect(ha[5]!.parent_tx_id).toBe(ha[0]!.tx_id);
        expect(await e.db.totalBalance()).toBe(INITIAL); // 97500 + 2500
        expect(await auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
      },
    );
  });
});

describe('ledger economics: prices at different quantum powers', () => {
  let e: Env;
  let r: ReturnType<typeof readers>;
  let spend: AddressState;
  let income: AddressState;
  const base = () => ({ fromAddress: spend.address, toAddress: income.address });
  const p19 = () => ({
    ...base(),
    channelId: 'pow-19',
    priceTokens: '500',
    priceQuantumPower: 19,
    plannedQuantumCount: 8,
  });
  const p22 = () => ({
    ...base(),
    channelId: 'pow-22',
    priceTokens: '4400',
    priceQuantumPower: 22,
    plannedQuantumCount: 1,
  });
  const p10 = () => ({
    ...base(),
    channelId: 'pow-10',
    priceTokens: '1',
    priceQuantumPower: 10,
    plannedQuantumCount: 2600,
  });

  beforeAll(async () => {
    e = await freshTracker();
    r = readers(e);
    spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
    income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
  });

  it('the whole story, step by step', async () => {
    await step(
      'compares prices after rescaling to the higher power (bounds 900..1100 per 2^20)',
      async () => {
        const before = await e.db.fingerprint();
        const refused: [string, number][] = [
          ['551', 19], // = 1102 per 2^20 > 1100
          ['449', 19], // = 898 per 2^20 < 900
          ['2201', 21], // > 2200 = 1100 at power 21
          ['1799', 21], // < 1800 = 900 at power 21
          ['1', 0], // 1 per byte = 1048576 per 2^20
          ['0', 0], // free is below the income minimum
          ['1', 9], // = 2048 per 2^20
        ];
        for (const [priceTokens, priceQuantumPower] of refused) {
          const f = await call(
            e.client,
            8,
            twoSigned(A, B, {
              ...p19(),
              channelId: `bad-${priceTokens}-${priceQuantumPower}`,
              priceTokens,
              priceQuantumPower,
              plannedQuantumCount: 1,
            }),
          );
          expect(codeOf(f), `${priceTokens} @ ${priceQuantumPower}`).toBe('PRICE_OUT_OF_BOUNDS');
        }
        expect(await e.db.fingerprint()).toEqual(before);
      },
    );
    await step('reserves 4000 + 4400 + 2600 = 11000 across three powers', async () => {
      ok(await call(e.client, 8, twoSigned(A, B, p19())), e.pem); // 500 @19 = 1000 @20; reserve 8 × 500 = 4000
      ok(await call(e.client, 8, twoSigned(A, B, p22())), e.pem); // 4400 @22 = 1100 @20 (the maximum); reserve 4400
      ok(await call(e.client, 8, twoSigned(A, B, p10())), e.pem); // 1 @10 = 1024 @20; reserve 2600 × 1 = 2600
      expect(figures(await r.spend(spend.address))).toEqual({
        current: { amount: '11000', quantumVolume: 0, volume: 0 },
        // 11000 − 11000; 8 × 2^19 + 1 × 2^22 + 2600 × 2^10 = 4194304 + 4194304 + 2662400
        limit: { amount: '0', quantumVolume: 11051008 },
        price: { amount: '1100', quantumPower: 20 },
      });
      expect(figures(await r.income(income.address)).limit).toEqual({
        amount: '11000',
        quantumVolume: 11051008,
      });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '0', plan: '11000' } });
      // 450 @19 = 900 @20 is exactly the income minimum: the price passes, the limit (0 left) does not
      expect(
        codeOf(
          await call(
            e.client,
            8,
            twoSigned(A, B, { ...p19(), channelId: 'pow-min', priceTokens: '450', plannedQuantumCount: 1 }),
          ),
        ),
      ).toBe('INSUFFICIENT_LIMIT');
    });
    await step('settles each channel in quanta of its own power', async () => {
      // 1000000 bytes at 2^19 = 524288: ⌈1.907⌉ = 2 quanta × 500 = 1000
      ok(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...p19(), quantumCount: 2, tokens: '1000', volume: 1000000 }),
        ),
        e.pem,
      );
      // 5000000 bytes at 2^22 need 2 quanta, only 1 planned
      expect(
        codeOf(
          await call(
            e.client,
            16,
            twoSigned(A, B, { ...p22(), quantumCount: 2, tokens: '8800', volume: 5000000 }),
          ),
        ),
      ).toBe('BAD_SETTLEMENT');
      // exactly one quantum of 2^22 = 4194304 bytes: 4400
      ok(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...p22(), quantumCount: 1, tokens: '4400', volume: 4194304 }),
        ),
        e.pem,
      );
      // 1024001 bytes at 2^10: ⌈1000.001⌉ = 1001 quanta × 1 = 1001 (1000 quanta would be short)
      expect(
        codeOf(
          await call(
            e.client,
            16,
            twoSigned(A, B, { ...p10(), quantumCount: 1000, tokens: '1000', volume: 1024001 }),
          ),
        ),
      ).toBe('BAD_SETTLEMENT');
      ok(
        await call(
          e.client,
          16,
          twoSigned(A, B, { ...p10(), quantumCount: 1001, tokens: '1001', volume: 1024001 }),
        ),
        e.pem,
      );
      expect(figures(await r.spend(spend.address))).toEqual({
        // 11000 − 1000 − 4400 − 1001; 2 × 2^19 + 1 × 2^22 + 1001 × 2^10; 1000000 + 4194304 + 1024001
        current: { amount: '4599', quantumVolume: 6267904, volume: 6218305 },
        limit: { amount: '4599', quantumVolume: 6267904 },
        price: { amount: '1100', quantumPower: 20 },
      });
      expect(figures(await r.income(income.address))).toEqual({
        current: { amount: '6401', quantumVolume: 6267904, volume: 6218305 }, // 1000 + 4400 + 1001
        limit: { amount: '6401', quantumVolume: 6267904 },
        price: { amount: '900', quantumPower: 20 },
      });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '6401', plan: '0' } });
    });
    await step('closing both addresses: tracker 100000 − 11000 + 4599 = 93599, B’s common 6401', async () => {
      ok(await call(e.client, 64, A.json({ address: spend.address })), e.pem);
      ok(await call(e.client, 32, B.json({ address: income.address })), e.pem);
      expect(await r.trackerBalance()).toBe('93599');
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '6401', plan: '0' }, profit: '6401' });
      const hb = await fullHistory(e.client, B, e.pem);
      expect(
        hb.map((i) => [i.tx_type, i.amount, i.quantum_count, i.price_amount, i.price_quantum_power]),
      ).toEqual([
        [2, 0, 0, 900, 20],
        [8, 0, 0, 500, 19],
        [8, 0, 0, 4400, 22],
        [8, 0, 0, 1, 10],
        [16, 1000, 2, 500, 19],
        [16, 4400, 1, 4400, 22],
        [16, 1001, 1001, 1, 10],
        [64, 6401, 0, 0, 0],
        [128, 6401, 0, 0, 0],
      ]);
      expect(await e.db.totalBalance()).toBe(INITIAL);
      expect(await auditLedger(e.db, INITIAL, { verifySignatures: true })).toEqual([]);
    });
  });
});

describe('ledger economics: uint64 edges (one spend address holds all 2^64 − 1 atoms)', () => {
  const MAX = '18446744073709551615'; // 2^64 − 1
  const HALF = '9223372036854775808'; // 2^63
  const REST = '9223372036854775807'; // 2^64 − 1 − 2^63
  let e: Env;
  let r: ReturnType<typeof readers>;
  let spend: AddressState;
  let income: AddressState;
  const big = () => ({
    channelId: 'u64-big',
    fromAddress: spend.address,
    toAddress: B.commonAddress,
    priceTokens: HALF,
    priceQuantumPower: 0,
    plannedQuantumCount: 1,
  });
  const rest = () => ({ ...big(), channelId: 'u64-rest', toAddress: income.address, priceTokens: REST });

  beforeAll(async () => {
    const ledger = await startLedger({
      args: ['--quiet'],
      env: {
        ...ENV,
        TLPRT_LEDGER_AMOUNT_INITIAL: MAX,
        TLPRT_LEDGER_AMOUNT_SPEND: MAX,
        TLPRT_LEDGER_PRICE_AMOUNT_SPEND: MAX,
        TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '1',
        TLPRT_LEDGER_QUANTUM_POWER: '0',
      },
    });
    launched.push(ledger);
    const client = await RawClient.connect(ledger.url);
    const hs = await call(client, 1, A.pemPayload());
    const pem = (hs.data as { message: string }).message;
    e = { ledger, client, pem, trackerAddress: commonAddressOf(pem), db: await LedgerDb.open(ledger.db) };
    started.push(e);
    r = readers(e);
    spend = ok<AddressState>(await call(e.client, 4, A.pemPayload()), e.pem);
    income = ok<AddressState>(await call(e.client, 2, B.pemPayload()), e.pem);
  });

  it('the whole story, step by step', async () => {
    await step('funds the whole range and refuses a second spend address', async () => {
      expect(figures(spend)).toEqual({
        current: { amount: MAX, quantumVolume: 0, volume: 0 },
        limit: { amount: MAX, quantumVolume: 0 },
        price: { amount: MAX, quantumPower: 0 },
      });
      expect(await r.trackerBalance()).toBe('0');
      expect(codeOf(await call(e.client, 4, C.pemPayload()))).toBe('NO_FUNDS');
    });
    await step('lets the spend address reserve its whole limit: 2^63 + (2^63 − 1)', async () => {
      ok(await call(e.client, 8, twoSigned(A, B, big())), e.pem);
      expect((await r.spend(spend.address)).limit).toEqual({ amount: REST, quantumVolume: 1 }); // MAX − 2^63; 1 byte
      ok(await call(e.client, 8, twoSigned(A, B, rest())), e.pem);
      expect((await r.spend(spend.address)).limit).toEqual({ amount: '0', quantumVolume: 2 });
      expect((await r.income(income.address)).limit).toEqual({ amount: REST, quantumVolume: 1 });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: '0', plan: MAX } }); // 2^63 + 2^63 − 1
      expect(
        codeOf(
          await call(
            e.client,
            8,
            twoSigned(A, B, { ...big(), channelId: 'u64-more', priceTokens: '1', toAddress: income.address }),
          ),
        ),
      ).toBe('INSUFFICIENT_LIMIT');
    });
    await step('settles both and pays everything out exactly', async () => {
      ok(
        await call(e.client, 16, twoSigned(A, B, { ...big(), quantumCount: 1, tokens: HALF, volume: 1 })),
        e.pem,
      );
      ok(
        await call(e.client, 16, twoSigned(A, B, { ...rest(), quantumCount: 1, tokens: REST, volume: 1 })),
        e.pem,
      );
      expect(figures(await r.spend(spend.address)).current).toEqual({
        amount: '0',
        quantumVolume: 2,
        volume: 2,
      });
      expect(figures(await r.income(income.address)).current).toEqual({
        amount: REST,
        quantumVolume: 1,
        volume: 1,
      });
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: MAX, plan: '0' }, profit: HALF });
      ok(await call(e.client, 64, A.json({ address: spend.address })), e.pem);
      ok(await call(e.client, 32, B.json({ address: income.address })), e.pem);
      expect(await r.common(B)).toEqual({ ...ZERO_COMMON, own: { fact: MAX, plan: '0' }, profit: MAX });
      expect(await r.trackerBalance()).toBe('0');
      expect(await e.db.totalBalance()).toBe(BigInt(MAX));
      expect(await auditLedger(e.db, BigInt(MAX), { verifySignatures: true })).toEqual([]);
      // amounts beyond 2^53 travel as exact decimal strings in history items (a JSON number would round)
      const hb = await fullHistory(e.client, B, e.pem);
      expect(hb.map((i) => [i.tx_type, i.amount])).toEqual([
        [2, 0],
        [8, 0],
        [8, 0],
        [16, HALF],
        [16, REST],
        [64, REST],
        [128, REST],
      ]);
    });
  });
});
