/**
 * Expiry (SPEC §4 "Expiry") driven in process: the tracker's engine on a real SQLite file with an
 * injected clock, so that lifetimes of minutes pass in an instant and the boundaries are exact.
 * After its timeLock an address or channel refuses every change (EXPIRED) but its state stays
 * readable until the job closes it; the job settles unclosed channels at zero, then closes the
 * expired addresses as cmd 32/64 would. (ledger-expiry.test.ts keeps the job of a running tracker.)
 * History cursors live their TTL from creation or last use, to the millisecond.
 *
 * Defaults of SPEC §5: transfer channels live 5 minutes, spend/income addresses 30; 11000 atoms per
 * spend address; prices 1100 / 900 per 2^20 bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { step } from '../helpers/step';
import { loadConfig } from '../../ledger/config';
import { Ledger } from '../../ledger/engine/ledger';
import { ProtocolError } from '../../shared/protocol/errors';
import { verifyMessage } from '../../shared/crypto/sign';
import { commonAddressOf } from '../../shared/crypto/address';
import { tempDir } from '../helpers/ledger-process';
import { databaseFor } from '../helpers/ledger-backend';
import { TestPeer, twoSigned } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { itemSignatureValid, type AddressState, type CommonState, type TxItem } from '../helpers/command-kit';

const MINUTE = 60_000;
const TRANSFER_MS = 5 * MINUTE;
const ADDRESS_MS = 30 * MINUTE;
const INITIAL = 100000n;
const Q = 1048576;

const A = new TestPeer();
const B = new TestPeer();

/** A tracker engine on its own file whose clock the test moves. */
class Clocked {
  now = Date.UTC(2031, 0, 1);
  ledger!: Ledger;
  db!: LedgerDb;

  constructor(readonly dir = tempDir('wt-expiry-clock-')) {}

  async open(): Promise<this> {
    const database = await databaseFor(this.dir);
    const cfg = loadConfig([...database.args, '--workers', '0', '--quiet'], {});
    this.ledger = await Ledger.open(cfg, { clock: () => this.now, workers: 0 });
    this.db = await LedgerDb.open(database.db);
    return this;
  }

  async close(): Promise<void> {
    this.db?.close();
    await this.ledger?.close();
  }

  /** The verified result of a command; throws the tracker's refusal otherwise. */
  async ok<T = Record<string, unknown>>(cmd: number, payload: unknown): Promise<T> {
    const { message, sign } = await this.ledger.execute(cmd, payload);
    expect(verifyMessage(message, sign, this.ledger.trackerPem), `cmd ${cmd} answer signature`).toBe(true);
    return JSON.parse(message) as T;
  }

  /** The error code of a refused command. */
  async code(cmd: number, payload: unknown): Promise<string> {
    try {
      await this.ledger.execute(cmd, payload);
    } catch (e) {
      if (e instanceof ProtocolError) return e.code;
      throw e;
    }
    return 'OK';
  }

  /** The code of a refusal that changed nothing in the database. */
  async refused(cmd: number, payload: unknown): Promise<string> {
    const before = await this.db.fingerprint();
    const code = await this.code(cmd, payload);
    expect(await this.db.fingerprint()).toEqual(before);
    return code;
  }

  spend = (address: string) => this.ok<AddressState>(256, B.json({ address }));
  income = (address: string) => this.ok<AddressState>(128, A.json({ address }));
  channel = async (channelId: string) => (await this.ok<{ state: number }>(512, A.json({ channelId }))).state;
  common = async (peer: TestPeer) =>
    (await this.ok<CommonState>(8192, A.json({ address: peer.commonAddress }))).state;

  async history(peer: TestPeer): Promise<TxItem[]> {
    const r = await this.ok<{ items: TxItem[] }>(1024, peer.json({ limits: { pageSize: 1000 }, order: 1 }));
    for (const item of r.items) expect(itemSignatureValid(item, this.ledger.trackerPem)).toBe(true);
    return r.items;
  }
}

describe('expiry with an injected clock: refusals, readable states, the job', () => {
  const t = new Clocked();
  let spend: AddressState;
  let income: AddressState;
  let t0 = 0;
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
  const close = (c: Record<string, unknown>, quantumCount: number, tokens: string, volume: number) =>
    twoSigned(A, B, { ...c, quantumCount, tokens, volume });

  beforeAll(async () => {
    await t.open();
    t0 = t.now;
  });
  afterAll(() => t.close());

  it('the whole story, step by step', async () => {
    await step('opens addresses and channels whose timeLocks follow the lifetimes exactly', async () => {
      spend = await t.ok<AddressState>(4, A.pemPayload());
      income = await t.ok<AddressState>(2, B.pemPayload());
      expect([spend.timeLock, spend.lifetime]).toEqual([t0 + ADDRESS_MS, ADDRESS_MS]);
      expect([income.timeLock, income.lifetime]).toEqual([t0 + ADDRESS_MS, ADDRESS_MS]);
      t.now = t0 + MINUTE;
      const p = await t.ok<{ timeLock: number; lifetime: number }>(8, twoSigned(A, B, paid()));
      expect(p).toMatchObject({ timeLock: t0 + MINUTE + TRANSFER_MS, lifetime: TRANSFER_MS });
      await t.ok(16, close(paid(), 3, '3000', 3 * Q));
      for (const c of [late(), lateCommon()]) {
        expect((await t.ok<{ timeLock: number }>(8, twoSigned(A, B, c))).timeLock).toBe(
          t0 + MINUTE + TRANSFER_MS,
        );
      }
      expect((await t.spend(spend.address)).limit).toEqual({ amount: '3000', quantumVolume: 9 * Q });
    });
    await step(
      'a channel is closable up to its timeLock inclusive; one millisecond later EXPIRED, nothing changed',
      async () => {
        const timeLock = t0 + MINUTE + TRANSFER_MS;
        t.now = timeLock;
        // the job settles only what is past its timeLock (`timeLock < now`)
        expect(await t.ledger.runExpiry()).toEqual({ channels: 0, addresses: 0 });
        await t.ok(16, close(lateCommon(), 1, '500', Q));
        expect(await t.channel('late-common')).toBe(4);
        t.now = timeLock + 1;
        expect(await t.refused(16, close(late(), 1, '1000', Q))).toBe('EXPIRED');
      },
    );
    await step(
      'an expired channel stays open and reserved until the job; then it is settled at zero',
      async () => {
        t.now = t0 + MINUTE + TRANSFER_MS + 1;
        expect(await t.channel('late')).toBe(2);
        expect((await t.spend(spend.address)).limit.amount).toBe('3500'); // 11000 − 3000 − 500 − 4000 reserved
        expect(await t.ledger.runExpiry()).toEqual({ channels: 1, addresses: 0 });
        const ch = (await t.db.channel('late'))!;
        expect([ch.status, ch.expired, JSON.parse(ch.settlement!)]).toEqual([
          4,
          1,
          { quantumCount: '0', tokens: '0', volume: '0' },
        ]);
        const zero = (await t.db.txById(ch.close_tx_id!))!;
        expect([zero.tx_type, zero.amount, zero.parent_tx_id, zero.timestamp]).toEqual([
          16,
          '0',
          ch.open_tx_id,
          t.now,
        ]);
        expect(await t.spend(spend.address)).toMatchObject({
          current: { amount: '7500', quantumVolume: 4 * Q, volume: 4 * Q },
          limit: { amount: '7500', quantumVolume: 4 * Q },
        });
        expect(await t.common(B)).toEqual({
          own: { fact: '3500', plan: '0' },
          foreign: { fact: '0', plan: '0' },
          profit: '500',
        });
      },
    );
    await step(
      'a settled channel answers EXPIRED to every close, and an identical re-open is a no-op',
      async () => {
        expect(await t.refused(16, close(late(), 1, '1000', Q))).toBe('EXPIRED');
        expect(await t.refused(16, close(late(), 0, '0', 0))).toBe('EXPIRED');
        const before = await t.db.fingerprint();
        await t.ok(8, twoSigned(A, B, late()));
        expect(await t.db.fingerprint()).toEqual(before);
      },
    );
    await step('a channel opened late lives only as long as its addresses', async () => {
      t.now = t0 + ADDRESS_MS - MINUTE;
      const capped = await t.ok<{ timeLock: number; lifetime: number }>(
        8,
        twoSigned(A, B, { ...paid(), channelId: 'capped', plannedQuantumCount: 1 }),
      );
      expect(capped).toEqual({ pk: t.ledger.trackerPem, timeLock: t0 + ADDRESS_MS, lifetime: MINUTE });
    });
    await step('after their timeLock the addresses refuse every change but stay readable', async () => {
      t.now = t0 + ADDRESS_MS + 1;
      const before = await t.db.fingerprint();
      expect(await t.code(64, A.json({ address: spend.address }))).toBe('EXPIRED');
      expect(await t.code(32, B.json({ address: income.address }))).toBe('EXPIRED');
      expect(
        await t.code(8, twoSigned(A, B, { ...paid(), channelId: 'too-late', plannedQuantumCount: 1 })),
      ).toBe('EXPIRED');
      expect(await t.db.fingerprint()).toEqual(before);
      expect((await t.spend(spend.address)).current.amount).toBe('7500');
      expect((await t.income(income.address)).limit.amount).toBe('4000'); // 3000 + 1000 still reserved
    });
    await step(
      'the job settles the last channel, closes both addresses and pays the income to the common address',
      async () => {
        expect(await t.ledger.runExpiry()).toEqual({ channels: 1, addresses: 2 });
        expect(await t.code(256, B.json({ address: spend.address }))).toBe('ADDRESS_CLOSED');
        expect(await t.code(128, A.json({ address: income.address }))).toBe('ADDRESS_CLOSED');
        expect(await t.db.address(spend.address)).toMatchObject({
          status: 2,
          amount: '0',
          reserved: '0',
          open_channels: 0,
        });
        // 100000 − 11000 + 7500 back from the spend address; the income's 3000 went on to B's common address
        expect((await t.db.tracker()).amount).toBe('96500');
        expect(await t.common(B)).toEqual({
          own: { fact: '3500', plan: '0' },
          foreign: { fact: '0', plan: '0' },
          profit: '3500',
        });
        expect(await t.db.totalBalance()).toBe(INITIAL);
        expect(await t.ledger.runExpiry()).toEqual({ channels: 0, addresses: 0 });
        expect(await auditLedger(t.db, INITIAL, { verifySignatures: true })).toEqual([]);
      },
    );
    await step('writes the history of the expiry with the injected times', async () => {
      const trackerAddress = commonAddressOf(t.ledger.trackerPem);
      const ha = await t.history(A);
      expect(ha.map((i) => [i.tx_type, i.contract_id, i.amount, i.timestamp - t0])).toEqual([
        [4, '', 11000, 0],
        [8, 'paid', 0, MINUTE],
        [16, 'paid', 3000, MINUTE],
        [8, 'late', 0, MINUTE],
        [8, 'late-common', 0, MINUTE],
        [16, 'late-common', 500, MINUTE + TRANSFER_MS],
        [16, 'late', 0, MINUTE + TRANSFER_MS + 1],
        [8, 'capped', 0, ADDRESS_MS - MINUTE],
        [16, 'capped', 0, ADDRESS_MS + 1],
        [32, '', 7500, ADDRESS_MS + 1],
      ]);
      const hb = await t.history(B);
      const closeIncome = hb.find((i) => i.tx_type === 64)!;
      const fin = hb.find((i) => i.tx_type === 128)!;
      expect([closeIncome.from, closeIncome.to, closeIncome.amount]).toEqual([
        income.address,
        trackerAddress,
        3000,
      ]);
      expect([fin.to, fin.amount, fin.parent_tx_id]).toEqual([B.commonAddress, 3000, closeIncome.tx_id]);
    });
  });
});

describe('expiry with an injected clock: a restart in between', () => {
  it('an engine opened again on the same file settles what expired while it was down', async () => {
    const first = await new Clocked().open();
    const t0 = first.now;
    const spend = await first.ok<AddressState>(4, A.pemPayload());
    const income = await first.ok<AddressState>(2, B.pemPayload());
    await first.ok(
      8,
      twoSigned(A, B, {
        channelId: 'stale',
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '1000',
        priceQuantumPower: 20,
        plannedQuantumCount: 2,
      }),
    );
    await first.close();

    const second = new Clocked(first.dir);
    second.now = t0 + ADDRESS_MS + 1;
    await second.open();
    try {
      expect(await second.ledger.runExpiry()).toEqual({ channels: 1, addresses: 2 });
      expect((await second.db.tracker()).amount).toBe(String(INITIAL)); // nothing was paid: all 11000 came back
      expect((await second.db.transactions()).map((x) => [x.tx_type, x.amount])).toEqual([
        [1, '100000'],
        [4, '11000'],
        [2, '0'],
        [8, '0'],
        [16, '0'],
        [32, '11000'],
        [64, '0'],
      ]);
      expect(await auditLedger(second.db, INITIAL, { verifySignatures: true })).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

describe('history cursors with an injected clock', () => {
  it('live 5 minutes from their creation or last use (cmd 2048 and 4096 renew them), then CURSOR_NOT_FOUND', async () => {
    const CURSOR_MS = 5 * MINUTE;
    const t = await new Clocked().open();
    try {
      const t0 = t.now;
      await t.ok<AddressState>(4, A.pemPayload());
      const first = async () =>
        (await t.ok<{ _meta: { cursorId: string } }>(1024, A.json({ limits: { pageSize: 1 } })))._meta
          .cursorId;
      const renewed = await first();
      const idle = await first();

      // Never used: gone exactly at its TTL, not a millisecond before.
      t.now = t0 + CURSOR_MS - 1;
      await t.ok(4096, A.json({ cursorId: renewed })); // renewed until t0 + 2·TTL − 1
      t.now = t0 + CURSOR_MS;
      expect(await t.refused(4096, A.json({ cursorId: idle }))).toBe('CURSOR_NOT_FOUND');

      t.now = t0 + 2 * CURSOR_MS - 2;
      const page = await t.ok<{ items: TxItem[] }>(2048, A.json({ cursorId: renewed, page: 1 }));
      expect(page.items).toHaveLength(1); // renewed until t0 + 3·TTL − 2
      t.now = t0 + 3 * CURSOR_MS - 3;
      await t.ok(4096, A.json({ cursorId: renewed })); // renewed until t0 + 4·TTL − 3
      t.now = t0 + 4 * CURSOR_MS - 3;
      expect(await t.refused(2048, A.json({ cursorId: renewed, page: 1 }))).toBe('CURSOR_NOT_FOUND');
      expect(await t.refused(4096, A.json({ cursorId: renewed }))).toBe('CURSOR_NOT_FOUND');
    } finally {
      await t.close();
    }
  });
});
