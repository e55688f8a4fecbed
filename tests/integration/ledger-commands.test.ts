/**
 * Every tracker command against a real tracker process (tsx ledger/cli.ts), real sockets, a real SQLite
 * file and real RSA keys: the success path checked field by field, and every error code the command can
 * produce (SPEC §4, §8), each refusal leaving the database and the relevant states unchanged.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { step } from '../helpers/step';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { TestPeer, twoSigned } from '../helpers/raw-client';
import {
  MINUTE,
  Q20,
  Session,
  dbFingerprint,
  double,
  single,
  trackerBalance,
  txCount,
  type AddressState,
  type TxItem,
} from '../helpers/command-kit';
import { channelAddressOf, checkAddress, commonAddressOf, hashBody } from '../../shared/crypto/address';

const LONG_INTERVAL = 86_400_000;
const STATE_KEYS = ['address', 'current', 'limit', 'pk', 'price', 'timeLock'];

let alice: TestPeer;
let bob: TestPeer;
let carol: TestPeer;
/** Keys of the wrong kind or size: refused as BAD_KEY. */
let ecPem: string;
let rsa1024Pem: string;

beforeAll(() => {
  alice = new TestPeer();
  bob = new TestPeer();
  carol = new TestPeer();
  ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  rsa1024Pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
});

/** The address with one checksum digit changed: right shape, wrong checksum. */
function breakChecksum(address: string): string {
  const cs = address.slice(4, -40);
  return address.slice(0, 4) + (cs[0] === '1' ? '2' : '1') + cs.slice(1) + address.slice(-40);
}

/** The opening time an address was derived from (the tracker steps it on a same-millisecond clash). */
function expectDerived(kind: 'spend' | 'income', s: AddressState, trackerPem: string, peer: TestPeer): void {
  const opened = s.timeLock - s.lifetime!;
  const candidates = Array.from({ length: 8 }, (_, i) =>
    channelAddressOf(kind, trackerPem, peer.publicPem, opened + i),
  );
  expect(candidates).toContain(s.address);
}

function contract(fields: {
  channelId: string;
  fromAddress: string;
  toAddress: string;
  priceTokens?: string;
  priceQuantumPower?: number;
  plannedQuantumCount?: number;
}) {
  return { priceTokens: '1000', priceQuantumPower: 20, plannedQuantumCount: 10, ...fields };
}

// ------------------------------------------------------------------------------------------------
describe('tracker with the default configuration', () => {
  let ledger: LedgerProcess;
  let s: Session;
  let trackerAddress: string;

  beforeAll(async () => {
    ledger = await startLedger({ expiryIntervalMs: LONG_INTERVAL });
    s = await Session.open(ledger.url, ledger.db, alice);
    trackerAddress = commonAddressOf(s.trackerPem);
  });
  afterAll(async () => {
    s?.close();
    expect(await ledger?.stop()).toBe(0);
  });

  // shared by the steps of the story below
  let SA: AddressState; // alice spend: main channel c1 (payer)
  let IB: AddressState; // bob income: main channel c1 (payee)

  describe('cmd 1 handshake', () => {
    it('answers the tracker PEM, signed by that key, whatever PEM spelling the peer uses', async () => {
      const pem = await s.ok<string>(1, alice.pemPayload());
      expect(pem).toBe(s.trackerPem);
      expect(pem).toMatch(
        /^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{64}\n)+[A-Za-z0-9+/=]{1,64}\n-----END PUBLIC KEY-----\n$/,
      );
      expect(pem).not.toBe(alice.publicPem);
      // Without the trailing newline, in message and pk or only in one of them: keys compare as DER.
      const bare = alice.publicPem.trimEnd();
      expect(await s.ok<string>(1, single(alice, bare, bare))).toBe(pem);
      expect(await s.ok<string>(1, single(alice, bare, alice.publicPem))).toBe(pem);
      expect(await s.ok<string>(1, single(alice, alice.publicPem, bare))).toBe(pem);
    });

    it('BAD_PAYLOAD for a payload without message, pk or sign, or with wrong types', async () => {
      const pem = alice.publicPem;
      await s.refused(1, {}, 'BAD_PAYLOAD');
      await s.refused(1, { message: pem, pk: pem }, 'BAD_PAYLOAD');
      await s.refused(1, { message: pem, sign: alice.sign(pem) }, 'BAD_PAYLOAD');
      await s.refused(1, { pk: pem, sign: alice.sign(pem) }, 'BAD_PAYLOAD');
      await s.refused(1, { message: '', pk: pem, sign: alice.sign('') }, 'BAD_PAYLOAD');
      await s.refused(1, { message: 42, pk: pem, sign: alice.sign('42') }, 'BAD_PAYLOAD');
    });

    it('BAD_KEY for a pk that is not an RSA SPKI PEM of at least 2048 bits', async () => {
      await s.refused(1, { message: 'hello', pk: 'hello', sign: alice.sign('hello') }, 'BAD_KEY');
      const truncated = alice.publicPem.slice(0, 120) + '\n-----END PUBLIC KEY-----\n';
      await s.refused(1, { message: truncated, pk: truncated, sign: alice.sign(truncated) }, 'BAD_KEY');
      await s.refused(1, { message: ecPem, pk: ecPem, sign: alice.sign(ecPem) }, 'BAD_KEY');
      await s.refused(1, { message: rsa1024Pem, pk: rsa1024Pem, sign: alice.sign(rsa1024Pem) }, 'BAD_KEY');
    });

    it('BAD_SIGNATURE for a signature by another key, over other bytes, or not base64', async () => {
      const pem = alice.publicPem;
      await s.refused(1, { message: pem, pk: pem, sign: bob.sign(pem) }, 'BAD_SIGNATURE');
      await s.refused(1, { message: pem, pk: pem, sign: alice.sign(pem.trimEnd()) }, 'BAD_SIGNATURE');
      await s.refused(1, { message: pem, pk: pem, sign: 'not base64!' }, 'BAD_SIGNATURE');
    });

    it('KEY_MISMATCH when the message is not the signer’s own PEM', async () => {
      await s.refused(1, single(alice, bob.publicPem), 'KEY_MISMATCH');
      await s.refused(1, single(alice, 'hello'), 'KEY_MISMATCH');
    });
  });

  // cmd 2 → 8192 on one tracker, in the order a channel lives: each step builds on the ones before
  // (the addresses SA and IB, channel c1), so they are one test, not tests that depend on file order.
  it('opens addresses, opens, closes and reads a channel, closes the addresses: step by step', async () => {
    {
      // cmd 2 open income channel
      await step(
        'cmd 2 open income channel: opens an income address: every field, derivation, TX_OPEN_INCOME',
        async () => {
          const count = await txCount(ledger.db);
          const t0 = Date.now();
          IB = await s.ok<AddressState>(2, bob.pemPayload());
          const t1 = Date.now();
          expect(Object.keys(IB).sort()).toEqual([...STATE_KEYS, 'lifetime'].sort());
          expect(checkAddress(IB.address, 'income')).toEqual({ valid: true, kind: 'income', legacy: false });
          expect(IB.current).toEqual({ amount: '0', quantumVolume: 0, volume: 0 });
          expect(IB.limit).toEqual({ amount: '0', quantumVolume: 0 });
          expect(IB.price).toEqual({ amount: '900', quantumPower: 20 });
          expect(IB.lifetime).toBe(30 * MINUTE);
          expect(IB.timeLock).toBeGreaterThanOrEqual(t0 + 30 * MINUTE);
          expect(IB.timeLock).toBeLessThanOrEqual(t1 + 30 * MINUTE);
          expectDerived('income', IB, s.trackerPem, bob);

          // Any peer reads the same state (without lifetime).
          const { lifetime: _l, ...state } = IB;
          expect(await s.incomeState(carol, IB.address)).toEqual(state);

          expect(await txCount(ledger.db)).toBe(count + 1);
          const [item] = (await s.history(bob, 1)).items;
          expect(item).toMatchObject({
            tx_type: 2,
            from: trackerAddress,
            to: IB.address,
            amount: 0,
            volume: 0,
            quantum_count: 0,
            contract_id: '',
            parent_tx_id: '',
            price_amount: 900,
            price_quantum_power: 20,
            planned_quantum_count: 0,
            timelock: IB.timeLock,
            status: 1,
            pk: s.trackerPem,
          });
        },
      );

      await step('cmd 2 open income channel: each call creates a new address', async () => {
        const other = await s.ok<AddressState>(2, bob.pemPayload());
        expect(other.address).not.toBe(IB.address);
        expect(checkAddress(other.address, 'income').valid).toBe(true);
      });

      await step('cmd 2 open income channel: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH', async () => {
        const pem = bob.publicPem;
        await s.refused(2, { message: pem, pk: pem }, 'BAD_PAYLOAD');
        await s.refused(2, { message: pem, pk: pem, sign: '' }, 'BAD_PAYLOAD');
        await s.refused(2, { message: 'x', pk: 'x', sign: bob.sign('x') }, 'BAD_KEY');
        await s.refused(2, { message: ecPem, pk: ecPem, sign: bob.sign(ecPem) }, 'BAD_KEY');
        await s.refused(2, { message: pem, pk: pem, sign: alice.sign(pem) }, 'BAD_SIGNATURE');
        await s.refused(2, single(bob, alice.publicPem), 'KEY_MISMATCH');
      });
    }

    {
      // cmd 4 open spend channel
      await step(
        'cmd 4 open spend channel: opens a spend address funded from the tracker: every field, derivation, TX_OPEN_SPEND',
        async () => {
          const balance = await trackerBalance(ledger.db);
          const count = await txCount(ledger.db);
          const t0 = Date.now();
          SA = await s.ok<AddressState>(4, alice.pemPayload());
          const t1 = Date.now();
          expect(Object.keys(SA).sort()).toEqual([...STATE_KEYS, 'lifetime'].sort());
          expect(checkAddress(SA.address, 'spend')).toEqual({ valid: true, kind: 'spend', legacy: false });
          expect(SA.current).toEqual({ amount: '11000', quantumVolume: 0, volume: 0 });
          expect(SA.limit).toEqual({ amount: '11000', quantumVolume: 0 });
          expect(SA.price).toEqual({ amount: '1100', quantumPower: 20 });
          expect(SA.lifetime).toBe(30 * MINUTE);
          expect(SA.timeLock).toBeGreaterThanOrEqual(t0 + 30 * MINUTE);
          expect(SA.timeLock).toBeLessThanOrEqual(t1 + 30 * MINUTE);
          expectDerived('spend', SA, s.trackerPem, alice);
          const { lifetime: _l, ...state } = SA;
          expect(await s.spendState(bob, SA.address)).toEqual(state);

          expect(await trackerBalance(ledger.db)).toBe(balance - 11000n);
          expect(await txCount(ledger.db)).toBe(count + 1);
          const [item] = (await s.history(alice, 1)).items;
          expect(item).toMatchObject({
            tx_type: 4,
            from: trackerAddress,
            to: SA.address,
            amount: 11000,
            parent_tx_id: '',
            contract_id: '',
            price_amount: 1100,
            price_quantum_power: 20,
            timelock: SA.timeLock,
            status: 1,
          });
        },
      );

      await step('cmd 4 open spend channel: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH', async () => {
        const pem = alice.publicPem;
        await s.refused(4, { message: pem, sign: alice.sign(pem) }, 'BAD_PAYLOAD');
        await s.refused(4, { message: rsa1024Pem, pk: rsa1024Pem, sign: alice.sign(rsa1024Pem) }, 'BAD_KEY');
        await s.refused(4, { message: pem, pk: pem, sign: carol.sign(pem) }, 'BAD_SIGNATURE');
        await s.refused(4, single(alice, carol.publicPem), 'KEY_MISMATCH');
      });
    }

    {
      // cmd 8 open transfer channel
      let c1: ReturnType<typeof contract>;
      const reads = () =>
        Promise.all([
          s.spendState(carol, SA.address),
          s.incomeState(carol, IB.address),
          s.common(carol, bob.commonAddress),
          s.probe(512, carol.json({ channelId: 'c1' })),
        ]);

      await step(
        'cmd 8 open transfer channel: opens a channel: result, both limits, history of payer and payee, payee plan',
        async () => {
          c1 = contract({ channelId: 'c1', fromAddress: SA.address, toAddress: IB.address });
          const count = await txCount(ledger.db);
          expect(await s.channelState(carol, 'c1')).toBe(1);
          const t0 = Date.now();
          const r = await s.ok<{ pk: string; timeLock: number; lifetime: number }>(
            8,
            twoSigned(alice, bob, c1),
          );
          const t1 = Date.now();
          expect(Object.keys(r).sort()).toEqual(['lifetime', 'pk', 'timeLock']);
          // min(now + 5 min, spend timeLock, income timeLock): the transfer lifetime is the smallest here.
          expect(r.timeLock).toBeGreaterThanOrEqual(t0 + 5 * MINUTE);
          expect(r.timeLock).toBeLessThanOrEqual(t1 + 5 * MINUTE);
          expect(r.lifetime).toBeLessThanOrEqual(5 * MINUTE);
          expect(r.lifetime).toBeGreaterThanOrEqual(r.timeLock - t1);
          expect(await txCount(ledger.db)).toBe(count + 1);

          const spend = await s.spendState(carol, SA.address);
          expect(spend.current).toEqual({ amount: '11000', quantumVolume: 0, volume: 0 });
          expect(spend.limit).toEqual({ amount: '1000', quantumVolume: 10 * Q20 });
          const income = await s.incomeState(carol, IB.address);
          expect(income.current).toEqual({ amount: '0', quantumVolume: 0, volume: 0 });
          expect(income.limit).toEqual({ amount: '10000', quantumVolume: 10 * Q20 });
          expect(await s.channelState(carol, 'c1')).toBe(2);
          expect((await s.common(carol, bob.commonAddress)).state).toEqual({
            own: { fact: '0', plan: '10000' },
            foreign: { fact: '0', plan: '0' },
            profit: '0',
          });

          const [payerItem] = (await s.history(alice, 1)).items;
          const [payeeItem] = (await s.history(bob, 1)).items;
          expect(payeeItem).toEqual(payerItem);
          expect(payerItem).toMatchObject({
            tx_type: 8,
            from: SA.address,
            to: IB.address,
            amount: 0,
            contract_id: 'c1',
            price_amount: 1000,
            price_quantum_power: 20,
            planned_quantum_count: 10,
            timelock: r.timeLock,
            status: 1,
          });
          // Neither address was opened by carol: the transfer is not in her history.
          expect((await s.history(carol)).items.map((i) => i.contract_id)).not.toContain('c1');
        },
      );

      await step(
        'cmd 8 open transfer channel: a repeated identical open answers success without a new transaction (any spelling)',
        async () => {
          const count = await txCount(ledger.db);
          const db = await dbFingerprint(ledger.db);
          const before = await reads();
          const first = await s.ok<{ timeLock: number }>(8, twoSigned(alice, bob, c1));
          // Same contract, other key order and PEMs without trailing newline: still the same contract.
          const respelled = JSON.stringify({
            plannedQuantumCount: 10,
            priceQuantumPower: 20,
            priceTokens: '1000',
            toAddress: IB.address,
            fromAddress: SA.address,
            channelId: 'c1',
            toPK: bob.publicPem.trimEnd(),
            fromPK: alice.publicPem.trimEnd(),
          });
          const second = await s.ok<{ timeLock: number }>(8, double(respelled, alice, bob));
          expect(second.timeLock).toBe(first.timeLock);
          expect(await txCount(ledger.db)).toBe(count);
          expect(await dbFingerprint(ledger.db)).toBe(db);
          expect(await reads()).toEqual(before);
        },
      );

      await step(
        'cmd 8 open transfer channel: BAD_PAYLOAD for malformed payloads and contract fields',
        async () => {
          const base = contract({ channelId: 'bp', fromAddress: SA.address, toAddress: IB.address });
          const ok = twoSigned(alice, bob, base);
          const { toSign: _t, ...noToSign } = ok;
          await s.refused(8, noToSign, 'BAD_PAYLOAD', reads);
          await s.refused(8, { ...ok, fromSign: 7 }, 'BAD_PAYLOAD', reads);
          await s.refused(8, double('not json', alice, bob), 'BAD_PAYLOAD', reads);
          await s.refused(8, double('[1,2]', alice, bob), 'BAD_PAYLOAD', reads);
          const bad: Record<string, unknown>[] = [
            { plannedQuantumCount: 0 },
            { plannedQuantumCount: -1 },
            { plannedQuantumCount: 1.5 },
            { plannedQuantumCount: '10' },
            { priceTokens: 1000 },
            { priceTokens: '-1' },
            { priceTokens: '01000' },
            { priceTokens: '1e3' },
            { priceTokens: '18446744073709551616' },
            { priceQuantumPower: 64 },
            { priceQuantumPower: -1 },
            { priceQuantumPower: 2.5 },
            { channelId: '' },
            { channelId: 'x'.repeat(129) },
            { channelId: 'tab\there' },
            { channelId: 'é' },
            { fromAddress: undefined },
            { toAddress: 12 },
          ];
          for (const b of bad)
            await s.refused(8, twoSigned(alice, bob, { ...base, ...b }), 'BAD_PAYLOAD', reads);
        },
      );

      await step('cmd 8 open transfer channel: BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH', async () => {
        const ok = twoSigned(
          alice,
          bob,
          contract({ channelId: 'keys', fromAddress: SA.address, toAddress: IB.address }),
        );
        await s.refused(8, { ...ok, fromPK: 'nope' }, 'BAD_KEY', reads);
        await s.refused(8, { ...ok, toPK: ecPem }, 'BAD_KEY', reads);
        await s.refused(8, { ...ok, fromSign: carol.sign(ok.message) }, 'BAD_SIGNATURE', reads);
        await s.refused(8, { ...ok, toSign: alice.sign(ok.message) }, 'BAD_SIGNATURE', reads);
        await s.refused(8, { ...ok, toSign: ok.fromSign }, 'BAD_SIGNATURE', reads);
        // Signed correctly by the outer keys, but the message names other keys.
        const innerFrom = JSON.stringify({ ...JSON.parse(ok.message), fromPK: carol.publicPem });
        await s.refused(8, double(innerFrom, alice, bob), 'KEY_MISMATCH', reads);
        const innerTo = JSON.stringify({ ...JSON.parse(ok.message), toPK: carol.publicPem });
        await s.refused(8, double(innerTo, alice, bob), 'KEY_MISMATCH', reads);
        const noInner = JSON.stringify({ ...JSON.parse(ok.message), toPK: undefined });
        await s.refused(8, double(noInner, alice, bob), 'KEY_MISMATCH', reads);
      });

      await step(
        'cmd 8 open transfer channel: BAD_ADDRESS for malformed, wrong-checksum or wrong-kind addresses',
        async () => {
          const base = contract({ channelId: 'ba', fromAddress: SA.address, toAddress: IB.address });
          const cases = [
            { fromAddress: 'garbage' },
            { fromAddress: breakChecksum(SA.address) },
            { fromAddress: IB.address },
            { fromAddress: alice.commonAddress },
            { fromAddress: SA.address.replace(/^0x0c/, '0x0e') },
            { toAddress: 'garbage' },
            { toAddress: breakChecksum(IB.address) },
            { toAddress: SA.address },
          ];
          for (const c of cases)
            await s.refused(8, twoSigned(alice, bob, { ...base, ...c }), 'BAD_ADDRESS', reads);
        },
      );

      await step(
        'cmd 8 open transfer channel: ADDRESS_NOT_FOUND for well-formed addresses the tracker never opened',
        async () => {
          const base = contract({ channelId: 'nf', fromAddress: SA.address, toAddress: IB.address });
          const ghostSpend = channelAddressOf('spend', s.trackerPem, alice.publicPem, 1);
          const ghostIncome = channelAddressOf('income', s.trackerPem, bob.publicPem, 1);
          const legacySpend = '0x0c' + hashBody('nothing');
          for (const c of [
            { fromAddress: ghostSpend },
            { fromAddress: legacySpend },
            { toAddress: ghostIncome },
          ]) {
            await s.refused(8, twoSigned(alice, bob, { ...base, ...c }), 'ADDRESS_NOT_FOUND', reads);
          }
        },
      );

      await step(
        'cmd 8 open transfer channel: ADDRESS_CLOSED for a closed spend or income address',
        async () => {
          const sx = await s.ok<AddressState>(4, alice.pemPayload());
          const ix = await s.ok<AddressState>(2, bob.pemPayload());
          await s.ok(64, alice.json({ address: sx.address }));
          await s.ok(32, bob.json({ address: ix.address }));
          const base = contract({ channelId: 'cl', fromAddress: SA.address, toAddress: IB.address });
          await s.refused(
            8,
            twoSigned(alice, bob, { ...base, fromAddress: sx.address }),
            'ADDRESS_CLOSED',
            reads,
          );
          await s.refused(
            8,
            twoSigned(alice, bob, { ...base, toAddress: ix.address }),
            'ADDRESS_CLOSED',
            reads,
          );
        },
      );

      await step(
        'cmd 8 open transfer channel: NOT_OWNER when the spend is not fromPK’s or the income/common address is not toPK’s',
        async () => {
          const sc = await s.ok<AddressState>(4, carol.pemPayload());
          const ic = await s.ok<AddressState>(2, carol.pemPayload());
          const base = contract({ channelId: 'no', fromAddress: SA.address, toAddress: IB.address });
          await s.refused(8, twoSigned(alice, bob, { ...base, fromAddress: sc.address }), 'NOT_OWNER', reads);
          await s.refused(8, twoSigned(alice, bob, { ...base, toAddress: ic.address }), 'NOT_OWNER', reads);
          await s.refused(
            8,
            twoSigned(alice, bob, { ...base, toAddress: carol.commonAddress }),
            'NOT_OWNER',
            reads,
          );
          await s.refused(
            8,
            twoSigned(alice, bob, { ...base, toAddress: trackerAddress }),
            'NOT_OWNER',
            reads,
          );
          // Payer and payee swapped: SA is not bob's.
          await s.refused(
            8,
            twoSigned(bob, alice, { ...base, toAddress: alice.commonAddress }),
            'NOT_OWNER',
            reads,
          );
        },
      );

      await step(
        'cmd 8 open transfer channel: PRICE_OUT_OF_BOUNDS above the spend maximum and below the income minimum, at any quantum power',
        async () => {
          // A fresh pair so that the accepted boundary channels do not touch c1's addresses.
          const sp = await s.ok<AddressState>(4, alice.pemPayload());
          const ip = await s.ok<AddressState>(2, bob.pemPayload());
          const pr = () =>
            Promise.all([
              s.spendState(carol, sp.address),
              s.incomeState(carol, ip.address),
              s.common(carol, bob.commonAddress),
            ]);
          const at = (id: string, priceTokens: string, priceQuantumPower: number, toAddress = ip.address) =>
            twoSigned(
              alice,
              bob,
              contract({
                channelId: id,
                fromAddress: sp.address,
                toAddress,
                priceTokens,
                priceQuantumPower,
                plannedQuantumCount: 1,
              }),
            );
          // Spend maximum 1100 per 2^20 = 2200 per 2^21 = 550 per 2^19.
          await s.refused(8, at('p1', '1101', 20), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p2', '2201', 21), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p3', '551', 19), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p4', '1', 0), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p5', '1101', 20, bob.commonAddress), 'PRICE_OUT_OF_BOUNDS', pr);
          // Income minimum 900 per 2^20 = 1800 per 2^21 = 450 per 2^19.
          await s.refused(8, at('p6', '899', 20), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p7', '1799', 21), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p8', '449', 19), 'PRICE_OUT_OF_BOUNDS', pr);
          await s.refused(8, at('p9', '1', 63), 'PRICE_OUT_OF_BOUNDS', pr);
          // The bounds themselves are inside; a common address has no lower bound.
          const accepted: [string, string, number, string?][] = [
            ['q1', '1100', 20],
            ['q2', '2200', 21],
            ['q3', '550', 19],
            ['q4', '900', 20],
            ['q5', '1800', 21],
            ['q6', '450', 19],
            ['q7', '1', 20, bob.commonAddress],
          ];
          for (const [id, price, power, to] of accepted) await s.ok(8, at(id, price, power, to));
          const spend = await s.spendState(carol, sp.address);
          expect(spend.limit).toEqual({ amount: String(11000 - 7001), quantumVolume: 8 * Q20 });
          const income = await s.incomeState(carol, ip.address);
          expect(income.limit).toEqual({ amount: '7000', quantumVolume: 7 * Q20 });
          // Still open channels: neither address can be closed.
          await s.refused(64, alice.json({ address: sp.address }), 'OPEN_CHANNELS', pr);
          await s.refused(32, bob.json({ address: ip.address }), 'OPEN_CHANNELS', pr);
        },
      );

      await step(
        'cmd 8 open transfer channel: INSUFFICIENT_LIMIT when the reservation exceeds the spend limit',
        async () => {
          const si = await s.ok<AddressState>(4, alice.pemPayload());
          const ii = await s.ok<AddressState>(2, bob.pemPayload());
          const lr = () => Promise.all([s.spendState(carol, si.address), s.incomeState(carol, ii.address)]);
          const ch = (id: string, priceTokens: string, plannedQuantumCount: number) =>
            twoSigned(
              alice,
              bob,
              contract({
                channelId: id,
                fromAddress: si.address,
                toAddress: ii.address,
                priceTokens,
                plannedQuantumCount,
              }),
            );
          await s.refused(8, ch('i1', '1000', 12), 'INSUFFICIENT_LIMIT', lr);
          await s.refused(8, ch('i2', '1000', 11_000_000), 'INSUFFICIENT_LIMIT', lr);
          await s.ok(8, ch('i3', '1000', 11)); // exactly the limit
          expect((await s.spendState(carol, si.address)).limit.amount).toBe('0');
          await s.refused(8, ch('i4', '900', 1), 'INSUFFICIENT_LIMIT', lr);
          // c1 left 1000 on SA: 2 quanta at 1000 do not fit.
          await s.refused(
            8,
            twoSigned(
              alice,
              bob,
              contract({
                channelId: 'i5',
                fromAddress: SA.address,
                toAddress: IB.address,
                plannedQuantumCount: 2,
              }),
            ),
            'INSUFFICIENT_LIMIT',
            reads,
          );
        },
      );

      await step(
        'cmd 8 open transfer channel: CHANNEL_CONFLICT when the id exists with a different contract',
        async () => {
          const variants: Record<string, unknown>[] = [
            { plannedQuantumCount: 9 },
            { priceTokens: '999' },
            { priceQuantumPower: 21, priceTokens: '2000' },
          ];
          for (const v of variants)
            await s.refused(8, twoSigned(alice, bob, { ...c1, ...v }), 'CHANNEL_CONFLICT', reads);
          const ic = await s.ok<AddressState>(2, bob.pemPayload());
          await s.refused(
            8,
            twoSigned(alice, bob, { ...c1, toAddress: ic.address }),
            'CHANNEL_CONFLICT',
            reads,
          );
          await s.refused(
            8,
            twoSigned(alice, bob, { ...c1, toAddress: bob.commonAddress }),
            'CHANNEL_CONFLICT',
            reads,
          );
        },
      );
    }

    {
      // cmd 16 close transfer channel
      const close = (over: Record<string, unknown> = {}) =>
        twoSigned(alice, bob, {
          ...contract({ channelId: 'c1', fromAddress: SA.address, toAddress: IB.address }),
          quantumCount: 2,
          tokens: '2000',
          volume: 1572864,
          ...over,
        });
      const reads = () =>
        Promise.all([
          s.spendState(carol, SA.address),
          s.incomeState(carol, IB.address),
          s.common(carol, bob.commonAddress),
          s.probe(512, carol.json({ channelId: 'c1' })),
        ]);

      await step(
        'cmd 16 close transfer channel: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH',
        async () => {
          await s.refused(16, close({ tokens: 2000 }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ tokens: '-2000' }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ quantumCount: -1 }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ quantumCount: '2' }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ volume: undefined }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ volume: 1.5 }), 'BAD_PAYLOAD', reads);
          await s.refused(16, close({ channelId: '' }), 'BAD_PAYLOAD', reads);
          const ok = close();
          await s.refused(16, { ...ok, message: undefined }, 'BAD_PAYLOAD', reads);
          await s.refused(16, { ...ok, toPK: 'x' }, 'BAD_KEY', reads);
          await s.refused(16, { ...ok, fromSign: bob.sign(ok.message) }, 'BAD_SIGNATURE', reads);
          await s.refused(16, { ...ok, toSign: carol.sign(ok.message) }, 'BAD_SIGNATURE', reads);
          const swapped = JSON.stringify({ ...JSON.parse(ok.message), fromPK: bob.publicPem });
          await s.refused(16, double(swapped, alice, bob), 'KEY_MISMATCH', reads);
        },
      );

      await step('cmd 16 close transfer channel: CHANNEL_NOT_FOUND for an unknown channel id', async () => {
        await s.refused(16, close({ channelId: 'never-opened' }), 'CHANNEL_NOT_FOUND', reads);
      });

      await step(
        'cmd 16 close transfer channel: CHANNEL_CONFLICT when a contract field differs from the open one',
        async () => {
          const ib2 = await s.ok<AddressState>(2, bob.pemPayload());
          for (const v of [
            { priceTokens: '999', tokens: '1998' },
            { plannedQuantumCount: 11 },
            { priceQuantumPower: 19, volume: 2 ** 19 * 2 },
            { toAddress: ib2.address },
          ]) {
            await s.refused(16, close(v), 'CHANNEL_CONFLICT', reads);
          }
          // The contract signed by other keys (carol as payee) is not c1's contract either.
          const byCarol = twoSigned(alice, carol, {
            ...contract({ channelId: 'c1', fromAddress: SA.address, toAddress: IB.address }),
            quantumCount: 2,
            tokens: '2000',
            volume: 1572864,
          });
          await s.refused(16, byCarol, 'CHANNEL_CONFLICT', reads);
        },
      );

      await step(
        'cmd 16 close transfer channel: BAD_SETTLEMENT when tokens, quanta and volume disagree',
        async () => {
          await s.refused(16, close({ tokens: '1999' }), 'BAD_SETTLEMENT', reads);
          await s.refused(16, close({ tokens: '2001' }), 'BAD_SETTLEMENT', reads);
          await s.refused(
            16,
            close({ quantumCount: 11, tokens: '11000', volume: 11 * Q20 }),
            'BAD_SETTLEMENT',
            reads,
          );
          await s.refused(16, close({ volume: 2 * Q20 + 1 }), 'BAD_SETTLEMENT', reads);
          await s.refused(16, close({ quantumCount: 0, tokens: '0', volume: 1 }), 'BAD_SETTLEMENT', reads);
        },
      );

      await step(
        'cmd 16 close transfer channel: closes: both addresses settled, reservation released, TX_CLOSE_TRANSFER, payee fact',
        async () => {
          const count = await txCount(ledger.db);
          const openTx = (await s.history(alice, 1000, { fields: { channel_id: { value: 'c1' } } })).items;
          expect(openTx.map((i) => i.tx_type)).toEqual([8]);
          const r = await s.ok(16, close());
          expect(Object.keys(r)).toEqual(['pk']);
          expect(await txCount(ledger.db)).toBe(count + 1);
          const spend = await s.spendState(carol, SA.address);
          expect(spend.current).toEqual({ amount: '9000', quantumVolume: 2 * Q20, volume: 1572864 });
          expect(spend.limit).toEqual({ amount: '9000', quantumVolume: 2 * Q20 });
          const income = await s.incomeState(carol, IB.address);
          expect(income.current).toEqual({ amount: '2000', quantumVolume: 2 * Q20, volume: 1572864 });
          expect(income.limit).toEqual({ amount: '2000', quantumVolume: 2 * Q20 });
          expect(await s.channelState(carol, 'c1')).toBe(4);
          const common = await s.common(carol, bob.commonAddress);
          // Still open and paying bob: the accepted price channels q1–q7 (7001) and i3 (11000).
          expect(common.state.own).toEqual({ fact: '2000', plan: '18001' });
          const [item] = (await s.history(bob, 1)).items;
          expect(item).toMatchObject({
            tx_type: 16,
            from: SA.address,
            to: IB.address,
            amount: 2000,
            volume: 1572864,
            quantum_count: 2,
            contract_id: 'c1',
            price_amount: 1000,
            price_quantum_power: 20,
            planned_quantum_count: 10,
            parent_tx_id: openTx[0]!.tx_id,
            status: 1,
          });
        },
      );

      await step(
        'cmd 16 close transfer channel: a repeated identical close answers success without a new transaction; other figures conflict',
        async () => {
          const count = await txCount(ledger.db);
          const db = await dbFingerprint(ledger.db);
          const before = await reads();
          expect(await s.ok(16, close())).toEqual({ pk: s.trackerPem });
          const respelled = JSON.stringify({ ...JSON.parse(close().message), toPK: bob.publicPem.trimEnd() });
          expect(await s.ok(16, double(respelled, alice, bob))).toEqual({ pk: s.trackerPem });
          // A repeated open of the (closed) channel is answered too, and changes nothing.
          await s.ok(
            8,
            twoSigned(
              alice,
              bob,
              contract({ channelId: 'c1', fromAddress: SA.address, toAddress: IB.address }),
            ),
          );
          expect(await txCount(ledger.db)).toBe(count);
          expect(await dbFingerprint(ledger.db)).toBe(db);
          expect(await reads()).toEqual(before);
          await s.refused(
            16,
            close({ quantumCount: 1, tokens: '1000', volume: 1000 }),
            'CHANNEL_CONFLICT',
            reads,
          );
          await s.refused(16, close({ quantumCount: 0, tokens: '0', volume: 0 }), 'CHANNEL_CONFLICT', reads);
          await s.refused(16, close({ volume: 2 * Q20 }), 'CHANNEL_CONFLICT', reads);
        },
      );

      await step(
        'cmd 16 close transfer channel: a channel paying a common address credits profit and fact',
        async () => {
          const sc = await s.ok<AddressState>(4, alice.pemPayload());
          const before = (await s.common(carol, bob.commonAddress)).state;
          const k = contract({
            channelId: 'to-common',
            fromAddress: sc.address,
            toAddress: bob.commonAddress,
            priceTokens: '500',
            plannedQuantumCount: 4,
          });
          await s.ok(8, twoSigned(alice, bob, k));
          const mid = (await s.common(carol, bob.commonAddress)).state;
          expect(mid.own.plan).toBe(String(BigInt(before.own.plan) + 2000n));
          expect(mid.profit).toBe(before.profit);
          await s.ok(16, twoSigned(alice, bob, { ...k, quantumCount: 3, tokens: '1500', volume: 3 * Q20 }));
          const after = (await s.common(carol, bob.commonAddress)).state;
          expect(after).toEqual({
            own: { fact: String(BigInt(before.own.fact) + 1500n), plan: before.own.plan },
            foreign: { fact: '0', plan: '0' },
            profit: String(BigInt(before.profit) + 1500n),
          });
          expect((await s.spendState(carol, sc.address)).current).toEqual({
            amount: '9500',
            quantumVolume: 3 * Q20,
            volume: 3 * Q20,
          });
          const [item] = (await s.history(bob, 1)).items;
          expect(item).toMatchObject({ tx_type: 16, from: sc.address, to: bob.commonAddress, amount: 1500 });
        },
      );
    }

    {
      // cmd 32 close income / cmd 64 close spend
      const reads = () =>
        Promise.all([
          s.probe(256, carol.json({ address: SA.address })),
          s.probe(128, carol.json({ address: IB.address })),
          s.common(carol, bob.commonAddress),
        ]);

      await step(
        'cmd 32 close income / cmd 64 close spend: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH',
        async () => {
          for (const cmd of [32, 64]) {
            const address = cmd === 32 ? IB.address : SA.address;
            const owner = cmd === 32 ? bob : alice;
            await s.refused(cmd, owner.json({}), 'BAD_PAYLOAD', reads);
            await s.refused(cmd, owner.json({ address: 5 }), 'BAD_PAYLOAD', reads);
            await s.refused(cmd, single(owner, 'not json'), 'BAD_PAYLOAD', reads);
            await s.refused(cmd, single(owner, owner.publicPem), 'BAD_PAYLOAD', reads);
            const ok = owner.json({ address });
            await s.refused(cmd, { ...ok, pk: rsa1024Pem }, 'BAD_KEY', reads);
            await s.refused(cmd, { ...ok, sign: carol.sign(ok.message) }, 'BAD_SIGNATURE', reads);
            await s.refused(
              cmd,
              single(owner, JSON.stringify({ address, pk: carol.publicPem })),
              'KEY_MISMATCH',
              reads,
            );
            await s.refused(cmd, single(owner, JSON.stringify({ address })), 'KEY_MISMATCH', reads);
          }
        },
      );

      await step(
        'cmd 32 close income / cmd 64 close spend: BAD_ADDRESS, ADDRESS_NOT_FOUND, NOT_OWNER, OPEN_CHANNELS',
        async () => {
          await s.refused(64, alice.json({ address: 'garbage' }), 'BAD_ADDRESS', reads);
          await s.refused(64, alice.json({ address: breakChecksum(SA.address) }), 'BAD_ADDRESS', reads);
          await s.refused(64, bob.json({ address: IB.address }), 'BAD_ADDRESS', reads);
          await s.refused(32, bob.json({ address: SA.address }), 'BAD_ADDRESS', reads);
          await s.refused(32, bob.json({ address: bob.commonAddress }), 'BAD_ADDRESS', reads);
          const ghost = (kind: 'spend' | 'income') =>
            channelAddressOf(kind, s.trackerPem, alice.publicPem, 2);
          await s.refused(64, alice.json({ address: ghost('spend') }), 'ADDRESS_NOT_FOUND', reads);
          await s.refused(32, alice.json({ address: ghost('income') }), 'ADDRESS_NOT_FOUND', reads);
          await s.refused(64, bob.json({ address: SA.address }), 'NOT_OWNER', reads);
          await s.refused(32, alice.json({ address: IB.address }), 'NOT_OWNER', reads);
          // A pair with an open channel between them.
          const so = await s.ok<AddressState>(4, carol.pemPayload());
          const io = await s.ok<AddressState>(2, carol.pemPayload());
          await s.ok(
            8,
            twoSigned(
              carol,
              carol,
              contract({
                channelId: 'oc',
                fromAddress: so.address,
                toAddress: io.address,
                plannedQuantumCount: 1,
              }),
            ),
          );
          await s.refused(64, carol.json({ address: so.address }), 'OPEN_CHANNELS', reads);
          await s.refused(32, carol.json({ address: io.address }), 'OPEN_CHANNELS', reads);
        },
      );

      await step(
        'cmd 32 close income / cmd 64 close spend: cmd 64 closes a spend address: state before close, atoms back to the tracker, TX_CLOSE_SPEND',
        async () => {
          const balance = await trackerBalance(ledger.db);
          const [openSpend] = (
            await s.history(alice, 1000, { fields: { to: { value: SA.address }, tx_type: { value: 4 } } })
          ).items;
          const r = await s.ok<{ pk: string; state: unknown }>(64, alice.json({ address: SA.address }));
          expect(r).toEqual({
            pk: s.trackerPem,
            state: { amount: '9000', quantumVolume: 2 * Q20, volume: 1572864 },
          });
          expect(await trackerBalance(ledger.db)).toBe(balance + 9000n);
          const [item] = (await s.history(alice, 1)).items;
          expect(item).toMatchObject({
            tx_type: 32,
            from: SA.address,
            to: trackerAddress,
            amount: 9000,
            volume: 1572864,
            parent_tx_id: openSpend!.tx_id,
          });
          await s.refused(256, carol.json({ address: SA.address }), 'ADDRESS_CLOSED', reads);
          await s.refused(64, alice.json({ address: SA.address }), 'ADDRESS_CLOSED', reads);
        },
      );

      await step(
        'cmd 32 close income / cmd 64 close spend: cmd 32 closes an income address: TX_CLOSE_INCOME, then TX_FINANCIAL to the owner’s common address',
        async () => {
          const balance = await trackerBalance(ledger.db);
          const profit = BigInt((await s.common(carol, bob.commonAddress)).state.profit);
          const [openIncome] = (
            await s.history(bob, 1000, { fields: { to: { value: IB.address }, tx_type: { value: 2 } } })
          ).items;
          const r = await s.ok(32, bob.json({ address: IB.address }));
          expect(r).toEqual({
            pk: s.trackerPem,
            state: { amount: '2000', quantumVolume: 2 * Q20, volume: 1572864 },
          });
          const [financial, closeIncome] = (await s.history(bob, 2)).items as [TxItem, TxItem];
          expect(closeIncome).toMatchObject({
            tx_type: 64,
            from: IB.address,
            to: trackerAddress,
            amount: 2000,
            volume: 1572864,
            parent_tx_id: openIncome!.tx_id,
          });
          expect(financial).toMatchObject({
            tx_type: 128,
            from: trackerAddress,
            to: bob.commonAddress,
            amount: 2000,
            parent_tx_id: closeIncome.tx_id,
          });
          expect(await trackerBalance(ledger.db)).toBe(balance);
          expect((await s.common(carol, bob.commonAddress)).state.profit).toBe(String(profit + 2000n));
          await s.refused(128, carol.json({ address: IB.address }), 'ADDRESS_CLOSED', reads);
          await s.refused(32, bob.json({ address: IB.address }), 'ADDRESS_CLOSED', reads);
        },
      );

      await step(
        'cmd 32 close income / cmd 64 close spend: an empty address closes with a zero state',
        async () => {
          const sz = await s.ok<AddressState>(4, carol.pemPayload());
          const iz = await s.ok<AddressState>(2, carol.pemPayload());
          expect(await s.ok(64, carol.json({ address: sz.address }))).toEqual({
            pk: s.trackerPem,
            state: { amount: '11000', quantumVolume: 0, volume: 0 },
          });
          expect(await s.ok(32, carol.json({ address: iz.address }))).toEqual({
            pk: s.trackerPem,
            state: { amount: '0', quantumVolume: 0, volume: 0 },
          });
        },
      );
    }

    {
      // cmd 128 / 256 address state
      let sr: AddressState;
      let ir: AddressState;
      const reads = () => Promise.all([s.spendState(bob, sr.address), s.incomeState(alice, ir.address)]);

      await step('cmd 128 / 256 address state: any signed peer reads any address of the kind', async () => {
        sr = await s.ok<AddressState>(4, alice.pemPayload());
        ir = await s.ok<AddressState>(2, bob.pemPayload());
        for (const reader of [alice, bob, carol]) {
          const sp = await s.spendState(reader, sr.address);
          expect(Object.keys(sp).sort()).toEqual(STATE_KEYS);
          const { lifetime: _a, ...spend } = sr;
          expect(sp).toEqual(spend);
          const { lifetime: _b, ...income } = ir;
          expect(await s.incomeState(reader, ir.address)).toEqual(income);
        }
      });

      await step(
        'cmd 128 / 256 address state: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH, BAD_ADDRESS, ADDRESS_NOT_FOUND',
        async () => {
          for (const [cmd, address, other] of [
            [256, sr.address, ir.address],
            [128, ir.address, sr.address],
          ] as const) {
            await s.refused(cmd, carol.json({}), 'BAD_PAYLOAD', reads);
            await s.refused(cmd, carol.json({ address: '' }), 'BAD_PAYLOAD', reads);
            await s.refused(cmd, carol.json({ address: ['x'] }), 'BAD_PAYLOAD', reads);
            const ok = carol.json({ address });
            await s.refused(cmd, { ...ok, pk: ecPem }, 'BAD_KEY', reads);
            await s.refused(cmd, { ...ok, sign: alice.sign(ok.message) }, 'BAD_SIGNATURE', reads);
            await s.refused(
              cmd,
              single(carol, JSON.stringify({ address, pk: alice.publicPem })),
              'KEY_MISMATCH',
              reads,
            );
            await s.refused(cmd, carol.json({ address: 'garbage' }), 'BAD_ADDRESS', reads);
            await s.refused(cmd, carol.json({ address: breakChecksum(address) }), 'BAD_ADDRESS', reads);
            await s.refused(cmd, carol.json({ address: other }), 'BAD_ADDRESS', reads);
            await s.refused(cmd, carol.json({ address: carol.commonAddress }), 'BAD_ADDRESS', reads);
            const kind = cmd === 256 ? 'spend' : 'income';
            await s.refused(
              cmd,
              carol.json({ address: channelAddressOf(kind, s.trackerPem, carol.publicPem, 3) }),
              'ADDRESS_NOT_FOUND',
              reads,
            );
          }
          // ADDRESS_CLOSED is covered with cmd 32/64 above.
        },
      );
    }

    {
      // cmd 512 transfer channel state
      await step(
        'cmd 512 transfer channel state: 1 = does not exist, 2 = open, 4 = closed; any peer; channelId echoed',
        async () => {
          const r = await s.ok<{ channelId: string; state: number; pk: string }>(
            512,
            carol.json({ channelId: 'nothing' }),
          );
          expect(r).toEqual({ channelId: 'nothing', state: 1, pk: s.trackerPem });
          expect(await s.ok(512, carol.json({ channelId: 'q1' }))).toEqual({
            channelId: 'q1',
            state: 2,
            pk: s.trackerPem,
          });
          expect(await s.ok(512, alice.json({ channelId: 'c1' }))).toEqual({
            channelId: 'c1',
            state: 4,
            pk: s.trackerPem,
          });
          const longId = 'x'.repeat(128);
          expect(await s.ok(512, bob.json({ channelId: longId }))).toEqual({
            channelId: longId,
            state: 1,
            pk: s.trackerPem,
          });
        },
      );

      await step(
        'cmd 512 transfer channel state: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH',
        async () => {
          await s.refused(512, carol.json({}), 'BAD_PAYLOAD');
          await s.refused(512, carol.json({ channelId: '' }), 'BAD_PAYLOAD');
          await s.refused(512, carol.json({ channelId: 'x'.repeat(129) }), 'BAD_PAYLOAD');
          await s.refused(512, carol.json({ channelId: 7 }), 'BAD_PAYLOAD');
          const ok = carol.json({ channelId: 'c1' });
          await s.refused(512, { ...ok, pk: 'junk' }, 'BAD_KEY');
          await s.refused(512, { ...ok, sign: bob.sign(ok.message) }, 'BAD_SIGNATURE');
          await s.refused(
            512,
            single(carol, JSON.stringify({ channelId: 'c1', pk: bob.publicPem })),
            'KEY_MISMATCH',
          );
        },
      );
    }

    {
      // cmd 8192 common address state
      await step(
        'cmd 8192 common address state: an unknown key’s common address holds zeros; the address is echoed',
        async () => {
          const stranger = commonAddressOf(rsa1024Pem); // valid address of a key the tracker never saw
          expect(await s.common(alice, stranger)).toEqual({
            address: stranger,
            state: { own: { fact: '0', plan: '0' }, foreign: { fact: '0', plan: '0' }, profit: '0' },
            pk: s.trackerPem,
          });
        },
      );

      await step(
        'cmd 8192 common address state: reports fact, plan and profit, for any reader and any spelling of the payee’s PEM',
        async () => {
          // From the flows above: earned c1 (2000) + to-common (1500); open q1–q7 (7001) + i3 (11000);
          // credited to-common (1500) + TX_FINANCIAL of the income close (2000).
          const expected = {
            own: { fact: '3500', plan: '18001' },
            foreign: { fact: '0', plan: '0' },
            profit: '3500',
          };
          const r = await s.common(carol, bob.commonAddress);
          expect(Object.keys(r).sort()).toEqual(['address', 'pk', 'state']);
          expect(r).toEqual({ address: bob.commonAddress, state: expected, pk: s.trackerPem });
          expect((await s.common(bob, bob.commonAddress)).state).toEqual(expected);
          // The common address derived from the PEM without its trailing newline is the same wallet.
          const bare = commonAddressOf(bob.publicPem.trimEnd());
          expect(bare).not.toBe(bob.commonAddress);
          expect(await s.common(bob, bare)).toEqual({ address: bare, state: expected, pk: s.trackerPem });
        },
      );

      await step(
        'cmd 8192 common address state: BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH, BAD_ADDRESS',
        async () => {
          const reads = () => s.common(carol, bob.commonAddress);
          await s.refused(8192, carol.json({}), 'BAD_PAYLOAD', reads);
          await s.refused(8192, carol.json({ address: null }), 'BAD_PAYLOAD', reads);
          const ok = carol.json({ address: bob.commonAddress });
          await s.refused(8192, { ...ok, pk: rsa1024Pem }, 'BAD_KEY', reads);
          await s.refused(8192, { ...ok, sign: carol.sign('other') }, 'BAD_SIGNATURE', reads);
          await s.refused(
            8192,
            single(carol, JSON.stringify({ address: bob.commonAddress, pk: bob.publicPem })),
            'KEY_MISMATCH',
            reads,
          );
          await s.refused(8192, carol.json({ address: 'garbage' }), 'BAD_ADDRESS', reads);
          await s.refused(
            8192,
            carol.json({ address: breakChecksum(bob.commonAddress) }),
            'BAD_ADDRESS',
            reads,
          );
          await s.refused(8192, carol.json({ address: IB.address }), 'BAD_ADDRESS', reads);
        },
      );
    }
  });
});

// ------------------------------------------------------------------------------------------------
describe('tracker with 2 addresses per peer and 25000 atoms', () => {
  let ledger: LedgerProcess;
  let s: Session;
  // Each test drains the tracker its own way: a fresh one per test.
  beforeEach(async () => {
    ledger = await startLedger({
      expiryIntervalMs: LONG_INTERVAL,
      env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '2', TLPRT_LEDGER_AMOUNT_INITIAL: '25000' },
    });
    s = await Session.open(ledger.url, ledger.db, carol);
  });
  afterEach(async () => {
    s?.close();
    expect(await ledger?.stop()).toBe(0);
  });

  it('TOO_MANY_ADDRESSES past the limit, per kind; closed addresses do not count', async () => {
    const a1 = await s.ok<AddressState>(4, alice.pemPayload());
    await s.ok<AddressState>(4, alice.pemPayload());
    expect(await trackerBalance(ledger.db)).toBe(3000n);
    const reads = () => s.history(alice).then((h) => h._meta.totalCount);
    // The count is checked before the funds: the tracker still holds 3000.
    await s.refused(4, alice.pemPayload(), 'TOO_MANY_ADDRESSES', reads);
    expect(await trackerBalance(ledger.db)).toBe(3000n);
    await s.ok(2, alice.pemPayload());
    await s.ok(2, alice.pemPayload());
    await s.refused(2, alice.pemPayload(), 'TOO_MANY_ADDRESSES', reads);
    // Closing one spend frees a place (and returns its atoms).
    await s.ok(64, alice.json({ address: a1.address }));
    expect(await trackerBalance(ledger.db)).toBe(14000n);
    const a3 = await s.ok<AddressState>(4, alice.pemPayload());
    expect(a3.current.amount).toBe('11000');
    await s.refused(4, alice.pemPayload(), 'TOO_MANY_ADDRESSES', reads);
  });

  it('a spend address gets what is left when the tracker holds less; NO_FUNDS at zero', async () => {
    await s.ok<AddressState>(4, alice.pemPayload());
    await s.ok<AddressState>(4, alice.pemPayload());
    expect(await trackerBalance(ledger.db)).toBe(3000n);
    const partial = await s.ok<AddressState>(4, bob.pemPayload());
    expect(partial.current).toEqual({ amount: '3000', quantumVolume: 0, volume: 0 });
    expect(partial.limit).toEqual({ amount: '3000', quantumVolume: 0 });
    expect((await s.history(bob, 1)).items[0]).toMatchObject({
      tx_type: 4,
      to: partial.address,
      amount: 3000,
    });
    expect(await trackerBalance(ledger.db)).toBe(0n);
    const reads = () =>
      Promise.all([s.history(carol).then((h) => h._meta.totalCount), s.spendState(carol, partial.address)]);
    await s.refused(4, carol.pemPayload(), 'NO_FUNDS', reads);
    await s.refused(4, bob.pemPayload(), 'NO_FUNDS', reads);
    // Income addresses need no funds.
    expect((await s.ok<AddressState>(2, carol.pemPayload())).current.amount).toBe('0');
  });
});

// ------------------------------------------------------------------------------------------------
describe('tracker with lifetimes of 1.8 s (0.03 min) and no expiry job in between', () => {
  let ledger: LedgerProcess;
  let s: Session;
  let se: AddressState;
  let ie: AddressState;
  let ce: Record<string, unknown>;
  beforeAll(async () => {
    ledger = await startLedger({
      expiryIntervalMs: LONG_INTERVAL,
      env: {
        TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '0.03',
        TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '0.03',
        TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '0.03',
      },
    });
    s = await Session.open(ledger.url, ledger.db, carol);
    se = await s.ok<AddressState>(4, alice.pemPayload());
    ie = await s.ok<AddressState>(2, bob.pemPayload());
    expect(se.lifetime).toBe(1800);
    expect(ie.lifetime).toBe(1800);
    ce = contract({
      channelId: 'ce',
      fromAddress: se.address,
      toAddress: ie.address,
      plannedQuantumCount: 2,
    });
    const opened = await s.ok<{ timeLock: number; lifetime: number }>(8, twoSigned(alice, bob, ce));
    expect(opened.timeLock).toBeLessThanOrEqual(Math.min(se.timeLock, ie.timeLock, Date.now() + 1800));
    const until = Math.max(se.timeLock, ie.timeLock, opened.timeLock) + 50;
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
  });
  afterAll(async () => {
    s?.close();
    expect(await ledger?.stop()).toBe(0);
  });

  const reads = () =>
    Promise.all([
      s.spendState(carol, se.address),
      s.incomeState(carol, ie.address),
      s.channelState(carol, 'ce'),
      s.common(carol, bob.commonAddress),
    ]);

  it('expired addresses and channels stay readable until the job closes them', async () => {
    const [spend, income, channel] = await reads();
    expect(spend.current.amount).toBe('11000');
    expect(spend.limit.amount).toBe('9000');
    expect(income.limit.amount).toBe('2000');
    expect(channel).toBe(2);
  });

  it('cmd 16 on an expired channel: EXPIRED', async () => {
    await s.refused(
      16,
      twoSigned(alice, bob, { ...ce, quantumCount: 1, tokens: '1000', volume: 10 }),
      'EXPIRED',
      reads,
    );
  });

  it('cmd 64 / 32 on an expired address: EXPIRED (before OPEN_CHANNELS)', async () => {
    await s.refused(64, alice.json({ address: se.address }), 'EXPIRED', reads);
    await s.refused(32, bob.json({ address: ie.address }), 'EXPIRED', reads);
  });

  it('cmd 8 from an expired spend or to an expired income address: EXPIRED', async () => {
    const freshIncome = await s.ok<AddressState>(2, bob.pemPayload());
    const freshSpend = await s.ok<AddressState>(4, alice.pemPayload());
    const more = () =>
      Promise.all([
        reads(),
        s.spendState(carol, freshSpend.address),
        s.incomeState(carol, freshIncome.address),
      ]);
    const k = (id: string, fromAddress: string, toAddress: string) =>
      twoSigned(alice, bob, contract({ channelId: id, fromAddress, toAddress, plannedQuantumCount: 1 }));
    await s.refused(8, k('e1', se.address, freshIncome.address), 'EXPIRED', more);
    await s.refused(8, k('e2', freshSpend.address, ie.address), 'EXPIRED', more);
    // The fresh pair itself works (while it lives).
    await s.ok(8, k('e3', freshSpend.address, freshIncome.address));
  });

  it('check order: cmd 8 tests expiry before ownership, cmd 32/64 ownership before expiry', async () => {
    // cmd 8: "spend address exists, is open, unexpired, owned by fromPK" (same for the income).
    const freshSpend = await s.ok<AddressState>(4, carol.pemPayload());
    const foreignExpiredSpend = contract({
      channelId: 'o1',
      fromAddress: se.address, // alice's, expired
      toAddress: bob.commonAddress,
      plannedQuantumCount: 1,
    });
    await s.refused(8, twoSigned(carol, bob, foreignExpiredSpend), 'EXPIRED', reads);
    const foreignExpiredIncome = contract({
      channelId: 'o2',
      fromAddress: freshSpend.address,
      toAddress: ie.address, // bob's, expired
      plannedQuantumCount: 1,
    });
    await s.refused(8, twoSigned(carol, carol, foreignExpiredIncome), 'EXPIRED', reads);
    // cmd 32/64: "address valid, exists, open, owned by the signer, unexpired".
    await s.refused(64, bob.json({ address: se.address }), 'NOT_OWNER', reads);
    await s.refused(32, alice.json({ address: ie.address }), 'NOT_OWNER', reads);
  });
});
