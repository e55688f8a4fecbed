/**
 * Several tracker nodes on one PostgreSQL database (and one key file): one tracker. Clients spread
 * across the nodes race on the same addresses and channels; nothing may come out of a race but the
 * answers a single tracker could have given in some order (never INTERNAL), and the ledger audits
 * clean afterwards. Runs in the integration-pg project only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parsePrivateKey, publicPemOf } from '../../shared/crypto/keys';
import { startNodes, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned, type Frame } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import {
  call,
  codeOf,
  fullHistory,
  handshake,
  ok,
  until,
  type AddressState,
} from '../helpers/tracker-session';

const INITIAL = 100000n;
const ENV = { TLPRT_LEDGER_AMOUNT_INITIAL: String(INITIAL) };
const A = new TestPeer();
const B = new TestPeer();
const C = new TestPeer();

const tag = () => randomBytes(4).toString('hex');

/** A contract from A's spend address to B's income address. */
function contract(id: string, spend: string, income: string, priceTokens = '1000', planned = 1) {
  return {
    channelId: id,
    fromAddress: spend,
    toAddress: income,
    priceTokens,
    priceQuantumPower: 20,
    plannedQuantumCount: planned,
  };
}

const codes = (frames: Frame[]) => frames.map((f) => codeOf(f) ?? 'OK');
const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

describe('three nodes on one database', () => {
  let nodes: LedgerProcess[];
  /** Two connections per node. */
  let clients: RawClient[];
  let db: LedgerDb;
  let pem: string;

  beforeAll(async () => {
    // Started together on an empty database with no key file yet: one schema, one key, one TX_INIT.
    nodes = await startNodes(3, { env: ENV, args: ['--quiet', '--workers', '1'] });
    clients = await Promise.all(nodes.flatMap((n) => [RawClient.connect(n.url), RawClient.connect(n.url)]));
    pem = await handshake(clients[0]!, A);
    db = await LedgerDb.open(nodes[0]!.db);
  });
  afterAll(async () => {
    clients?.forEach((c) => c.close());
    await db?.close();
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  it('nodes started together share one key (one file, mode 0600), one schema and one TX_INIT', async () => {
    for (const c of clients) expect(await handshake(c, B)).toBe(pem);
    const key = join(nodes[0]!.dir, 'tracker-key.pem');
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(publicPemOf(parsePrivateKey(readFileSync(key, 'utf8')))).toBe(pem);
    // Each node wrote its candidate beside the key and linked it in: none is left behind.
    expect(readdirSync(nodes[0]!.dir).filter((f) => f.startsWith('tracker-key'))).toEqual([
      'tracker-key.pem',
    ]);
    expect(await db.query('SELECT version FROM schema_migrations')).toEqual([{ version: 1 }]);
    const inits = (await db.transactions()).filter((t) => t.tx_type === 1);
    expect(inits.map((t) => t.amount)).toEqual([String(INITIAL)]);
    expect(await db.meta('tracker_pk')).toBe(pem);
  });

  it('racing transfer opens on one spend address: exactly as many succeed as its limit allows', async () => {
    const spend = ok<AddressState>(await call(clients[0]!, 4, A.pemPayload()), pem); // 11000 atoms
    const income = ok<AddressState>(await call(clients[3]!, 2, B.pemPayload()), pem);
    const t = tag();
    // 30 reservations of 1000 atoms through all six connections at once: 11 fit.
    const frames = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(
          clients[i % clients.length]!,
          8,
          twoSigned(A, B, contract(`race-${t}-${i}`, spend.address, income.address)),
        ),
      ),
    );
    const got = codes(frames);
    expect(count(got, 'OK')).toBe(11);
    expect(count(got, 'INSUFFICIENT_LIMIT')).toBe(19);
    const state = ok<AddressState>(await call(clients[5]!, 256, A.json({ address: spend.address })), pem);
    expect(state.limit.amount).toBe('0');
    expect((await db.channels()).filter((c) => c.channel_id.startsWith(`race-${t}`)).length).toBe(11);
    expect(await auditLedger(db, INITIAL)).toEqual([]);
  });

  it('racing idempotent repeats open and close once; conflicting contracts for one id: one wins', async () => {
    const spend = ok<AddressState>(await call(clients[1]!, 4, A.pemPayload()), pem);
    const income = ok<AddressState>(await call(clients[2]!, 2, B.pemPayload()), pem);
    const id = `same-${tag()}`;
    const c = contract(id, spend.address, income.address);
    const opens = await Promise.all(
      clients.flatMap((cl) => [1, 2].map(() => call(cl, 8, twoSigned(A, B, c)))),
    );
    expect(codes(opens)).toEqual(opens.map(() => 'OK'));
    const close = { ...c, quantumCount: 1, tokens: '1000', volume: 1000 };
    const closes = await Promise.all(
      clients.flatMap((cl) => [1, 2].map(() => call(cl, 16, twoSigned(A, B, close)))),
    );
    expect(codes(closes)).toEqual(closes.map(() => 'OK'));
    const txs = (await db.transactions()).filter((t) => t.contract_id === id);
    expect(txs.map((t) => t.tx_type)).toEqual([8, 16]);

    // One channel id, six different contracts (prices 1000…1005) at once on all nodes.
    const conflict = `conflict-${tag()}`;
    const variants = clients.map((_, i) =>
      contract(conflict, spend.address, income.address, String(1000 + i)),
    );
    const raced = await Promise.all(variants.map((v, i) => call(clients[i]!, 8, twoSigned(A, B, v))));
    const rc = codes(raced);
    expect(count(rc, 'OK')).toBe(1);
    expect(count(rc, 'CHANNEL_CONFLICT')).toBe(5);
    const stored = (await db.channel(conflict))!;
    expect(stored.price_tokens).toBe(variants[rc.indexOf('OK')]!.priceTokens);
    expect(await auditLedger(db, INITIAL)).toEqual([]);
  });

  it('racing address opens of one key on all nodes respect the per-key cap', async () => {
    const frames = await Promise.all(clients.flatMap((cl) => [1, 2].map(() => call(cl, 2, C.pemPayload()))));
    const got = codes(frames);
    // The default cap is 8 open income addresses per key.
    expect(count(got, 'OK')).toBe(8);
    expect(count(got, 'TOO_MANY_ADDRESSES')).toBe(4);
  });

  it('a cursor made on node 1 pages on node 2 and is renewed on node 3; another key cannot use it', async () => {
    const first = ok<{ _meta: { cursorId: string; totalCount: number; pageCount: number } }>(
      await call(clients[0]!, 1024, B.json({ limits: { pageSize: 2, page: 1 }, order: 1 })),
      pem,
    );
    expect(first._meta.pageCount).toBeGreaterThan(2);
    const page2 = ok<{ items: unknown[] }>(
      await call(clients[2]!, 2048, B.json({ cursorId: first._meta.cursorId, page: 2 })),
      pem,
    );
    expect(page2.items.length).toBe(2);
    ok(await call(clients[4]!, 4096, B.json({ cursorId: first._meta.cursorId })), pem);
    expect(codeOf(await call(clients[3]!, 2048, A.json({ cursorId: first._meta.cursorId, page: 2 })))).toBe(
      'CURSOR_NOT_FOUND',
    );
    // The same items through any node, every one signed.
    const viaNode1 = await fullHistory(clients[0]!, B, pem, 3);
    const viaNode3 = await fullHistory(clients[5]!, B, pem, 7);
    expect(viaNode3).toEqual(viaNode1);
  });
});

describe('a node killed mid-burst while the others go on', () => {
  it('loses no answered command; the others keep answering; the ledger audits clean', async () => {
    // Prices down to 1 atom: 180 channels of 10 atoms fit in one spend address.
    const env = { ...ENV, TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '1' };
    // The survivors sweep for unsigned items on every expiry tick: what the killed node committed
    // but had not signed yet is signed by them (the audit below waits for it).
    const nodes = await startNodes(3, { env, expiryIntervalMs: 500, args: ['--quiet', '--workers', '1'] });
    const db = await LedgerDb.open(nodes[0]!.db);
    try {
      const setup = await RawClient.connect(nodes[0]!.url);
      const pem = await handshake(setup, A);
      const spend = ok<AddressState>(await call(setup, 4, A.pemPayload()), pem);
      const income = ok<AddressState>(await call(setup, 2, B.pemPayload()), pem);
      setup.close();
      const t = tag();
      const answered: string[] = [];
      let killed = false;
      // One stream per node, each opening channels of 10 atoms one after the other.
      const stream = async (node: number) => {
        const client = await RawClient.connect(nodes[node]!.url);
        for (let i = 0; i < 60; i++) {
          const id = `kill-${t}-${node}-${i}`;
          let f: Frame;
          try {
            f = await call(client, 8, twoSigned(A, B, contract(id, spend.address, income.address, '10')));
          } catch {
            return; // this node was killed: the command in flight may or may not have happened
          }
          expect(codeOf(f)).toBeUndefined();
          answered.push(id);
          if (node === 0 && i === 20 && !killed) {
            killed = true;
            void nodes[0]!.stop('SIGKILL');
          }
        }
        client.close();
      };
      await Promise.all([0, 1, 2].map(stream));
      expect(killed).toBe(true);
      expect(answered.filter((id) => id.includes(`-${t}-1-`)).length).toBe(60);
      expect(answered.filter((id) => id.includes(`-${t}-2-`)).length).toBe(60);
      const stored = new Set((await db.channels()).map((c) => c.channel_id));
      for (const id of answered) expect(stored.has(id), `answered ${id}`).toBe(true);
      expect(await auditLedger(db, INITIAL, { verifySignatures: true })).toEqual([]);
    } finally {
      await db.close();
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});

describe('expiry with three nodes running the job', () => {
  it('every expired channel and address is settled once', { timeout: 120_000 }, async () => {
    const nodes = await startNodes(3, {
      dir: tempDir(),
      expiryIntervalMs: 100,
      env: {
        ...ENV,
        TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '0.02', // 1.2 s
        // Long enough for the six opens on a busy machine (2.4 s was not: ADDRESS_CLOSED).
        TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '0.2', // 12 s
        TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '0.2',
      },
      args: ['--quiet', '--workers', '1'],
    });
    const db = await LedgerDb.open(nodes[0]!.db);
    try {
      const clients = await Promise.all(nodes.map((n) => RawClient.connect(n.url)));
      const pem = await handshake(clients[0]!, A);
      const spend = ok<AddressState>(await call(clients[0]!, 4, A.pemPayload()), pem);
      const income = ok<AddressState>(await call(clients[1]!, 2, B.pemPayload()), pem);
      const t = tag();
      for (let i = 0; i < 6; i++) {
        ok(
          await call(
            clients[i % 3]!,
            8,
            twoSigned(A, B, contract(`exp-${t}-${i}`, spend.address, income.address)),
          ),
          pem,
        );
      }
      await until(
        async () => (await db.addresses()).filter((a) => a.kind !== 'tracker' && a.status === 1).length === 0,
        60_000,
      );
      const txs = await db.transactions();
      for (let i = 0; i < 6; i++) {
        expect(txs.filter((x) => x.contract_id === `exp-${t}-${i}` && x.tx_type === 16).length).toBe(1);
      }
      expect(txs.filter((x) => x.tx_type === 32 && x.from_address === spend.address).length).toBe(1);
      expect(txs.filter((x) => x.tx_type === 64 && x.from_address === income.address).length).toBe(1);
      expect(await auditLedger(db, INITIAL, { verifySignatures: true })).toEqual([]);
      clients.forEach((c) => c.close());
    } finally {
      await db.close();
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});
