/**
 * History commands 1024 (first page + cursor), 2048 (next page), 4096 (renew cursor) against a real
 * tracker process: per-requester visibility, order, paging, filters, frozen cursors, the cursor cap, and
 * item signatures (SPEC §4 History).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { TestPeer, twoSigned } from '../helpers/raw-client';
import {
  ITEM_KEYS,
  Q20,
  Session,
  dbQuery,
  itemSignatureValid,
  single,
  type AddressState,
  type FirstPage,
  type TxItem,
} from '../helpers/command-kit';
import { commonAddressOf, hashBody } from '../../shared/crypto/address';

let ledger: LedgerProcess;
let s: Session;
let h1: TestPeer;
let h2: TestPeer;
let h3: TestPeer;
let h4: TestPeer;
let trackerAddress: string;

/** What h1's history must hold, oldest first: tx_type and a label, filled while building it. */
const h1Expected: { type: number; label: string }[] = [];
const h2Expected: { type: number; label: string }[] = [];
let S1: AddressState;
let I1: AddressState;
let I2: AddressState;
let S2: AddressState;

function contract(channelId: string, fromAddress: string, toAddress: string) {
  return {
    channelId,
    fromAddress,
    toAddress,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 3,
  };
}

const first = (peer: TestPeer, fields: Record<string, unknown>) => s.ok<FirstPage>(1024, peer.json(fields));
const next = (peer: TestPeer, cursorId: string, page: number) =>
  s.ok<{ items: TxItem[] }>(2048, peer.json({ cursorId, page }));

beforeAll(async () => {
  const started = startLedger({ expiryIntervalMs: 86_400_000 });
  h1 = new TestPeer();
  h2 = new TestPeer();
  h3 = new TestPeer();
  h4 = new TestPeer();
  ledger = await started;
  s = await Session.open(ledger.url, ledger.db, h3);
  trackerAddress = commonAddressOf(s.trackerPem);

  const both = (type: number, label: string) => {
    h1Expected.push({ type, label });
    h2Expected.push({ type, label });
  };
  S1 = await s.ok<AddressState>(4, h1.pemPayload());
  h1Expected.push({ type: 4, label: 'open S1' });
  I1 = await s.ok<AddressState>(2, h1.pemPayload());
  h1Expected.push({ type: 2, label: 'open I1' });
  I2 = await s.ok<AddressState>(2, h2.pemPayload());
  h2Expected.push({ type: 2, label: 'open I2' });
  const a = contract('ch-a', S1.address, I2.address);
  await s.ok(8, twoSigned(h1, h2, a));
  both(8, 'open ch-a');
  await s.ok(16, twoSigned(h1, h2, { ...a, quantumCount: 1, tokens: '1000', volume: 10 }));
  both(16, 'close ch-a');
  const b = contract('ch-b', S1.address, I2.address);
  await s.ok(8, twoSigned(h1, h2, b));
  both(8, 'open ch-b');
  S2 = await s.ok<AddressState>(4, h2.pemPayload());
  h2Expected.push({ type: 4, label: 'open S2' });
  const c = contract('ch-c', S2.address, I1.address);
  await s.ok(8, twoSigned(h2, h1, c));
  both(8, 'open ch-c');
  await s.ok(16, twoSigned(h2, h1, { ...c, quantumCount: 2, tokens: '2000', volume: 2 * Q20 }));
  both(16, 'close ch-c');
  await s.ok(4, h1.pemPayload());
  h1Expected.push({ type: 4, label: 'open S1b' });
  await s.ok(16, twoSigned(h1, h2, { ...b, quantumCount: 3, tokens: '3000', volume: 3 * Q20 }));
  both(16, 'close ch-b');
  await s.ok(32, h1.json({ address: I1.address }));
  h1Expected.push({ type: 64, label: 'close I1' });
  h1Expected.push({ type: 128, label: 'financial I1' });
});

afterAll(async () => {
  s?.close();
  expect(await ledger?.stop()).toBe(0);
});

describe('cmd 1024 get first transactions', () => {
  it('returns the requester’s transactions, newest first, with _meta; items are signed by the tracker', async () => {
    const r = await first(h1, { limits: { pageSize: 1000, page: 1 } });
    expect(Object.keys(r).sort()).toEqual(['_meta', 'items']);
    expect(r._meta).toEqual({
      cursorId: r._meta.cursorId,
      totalCount: 11,
      pageCount: 1,
      currentPage: 1,
      perPage: 1000,
    });
    expect(r._meta.cursorId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.items.map((i) => i.tx_type)).toEqual(h1Expected.map((e) => e.type).reverse());
    for (let i = 1; i < r.items.length; i++) {
      expect(r.items[i - 1]!.timestamp).toBeGreaterThanOrEqual(r.items[i]!.timestamp);
    }
    const seqOf = new Map(
      (await dbQuery<{ tx_id: string; seq: number }>(ledger.db, 'SELECT tx_id, seq FROM transactions')).map(
        (x) => [x.tx_id, x.seq],
      ),
    );
    for (const item of r.items) {
      expect(Object.keys(item).sort()).toEqual(ITEM_KEYS);
      expect(item.tx_id).toHaveLength(40);
      // tx_id = H(trackerPem ; hex(timestamp) ; sequence)
      expect(item.tx_id).toBe(
        hashBody(`${s.trackerPem};${item.timestamp.toString(16)};${seqOf.get(item.tx_id)}`),
      );
      expect(item.pk).toBe(s.trackerPem);
      expect(item.status).toBe(1);
      expect(typeof item.amount).toBe('number');
      expect(typeof item.version).toBe('string');
      expect(itemSignatureValid(item, s.trackerPem)).toBe(true);
      // Tampering with any field breaks the signature.
      expect(itemSignatureValid({ ...item, amount: item.amount + 1 }, s.trackerPem)).toBe(false);
    }
    // Parents: close → open of the same channel; financial → close income → open income.
    const byLabel = new Map(h1Expected.map((e, i) => [e.label, r.items[r.items.length - 1 - i]!]));
    expect(byLabel.get('close ch-a')!.parent_tx_id).toBe(byLabel.get('open ch-a')!.tx_id);
    expect(byLabel.get('close ch-c')!.parent_tx_id).toBe(byLabel.get('open ch-c')!.tx_id);
    expect(byLabel.get('financial I1')).toMatchObject({
      from: trackerAddress,
      to: h1.commonAddress,
      amount: 2000,
      parent_tx_id: byLabel.get('close I1')!.tx_id,
    });
    expect(byLabel.get('close I1')).toMatchObject({
      from: I1.address,
      to: trackerAddress,
      amount: 2000,
      volume: 2 * Q20,
      parent_tx_id: byLabel.get('open I1')!.tx_id,
    });
    expect(byLabel.get('close ch-b')).toMatchObject({
      from: S1.address,
      to: I2.address,
      amount: 3000,
      quantum_count: 3,
      volume: 3 * Q20,
      contract_id: 'ch-b',
      planned_quantum_count: 3,
      price_amount: 1000,
    });
  });

  it('order: 1 gives the same items oldest first', async () => {
    const newest = await first(h1, { limits: { pageSize: 1000, page: 1 } });
    const oldest = await first(h1, { limits: { pageSize: 1000, page: 1 }, order: 1 });
    expect(oldest._meta.totalCount).toBe(11);
    expect(oldest.items).toEqual([...newest.items].reverse());
    expect(oldest.items.map((i) => i.tx_type)).toEqual(h1Expected.map((e) => e.type));
  });

  it('only the requester’s transactions: other peers see theirs, shared channel transactions in both', async () => {
    const one = await first(h1, { limits: { pageSize: 1000, page: 1 } });
    const two = await first(h2, { limits: { pageSize: 1000, page: 1 } });
    expect(two.items.map((i) => i.tx_type)).toEqual(h2Expected.map((e) => e.type).reverse());
    const ids1 = new Set(one.items.map((i) => i.tx_id));
    const shared = two.items.filter((i) => ids1.has(i.tx_id));
    expect(shared.map((i) => i.contract_id).sort()).toEqual(['ch-a', 'ch-a', 'ch-b', 'ch-b', 'ch-c', 'ch-c']);
    // h2 never sees h1's own address transactions, nor the tracker's TX_INIT.
    const own2 = new Set([I2.address, S2.address, h2.commonAddress]);
    for (const item of two.items) expect(own2.has(item.from) || own2.has(item.to)).toBe(true);
    expect(two.items.some((i) => i.tx_type === 1)).toBe(false);
    // A peer with no transactions: an empty history.
    const none = await first(h4, { limits: { pageSize: 5, page: 1 } });
    expect(none._meta).toMatchObject({ totalCount: 0, pageCount: 0, currentPage: 1, perPage: 5 });
    expect(none.items).toEqual([]);
  });

  it('pages: pageCount = ceil(total / pageSize); pages partition the list; past the end is empty', async () => {
    const all = (await first(h1, { limits: { pageSize: 1000, page: 1 } })).items;
    for (const pageSize of [1, 3, 4, 11, 12]) {
      const r = await first(h1, { limits: { pageSize, page: 1 } });
      const pageCount = Math.ceil(11 / pageSize);
      expect(r._meta).toMatchObject({ totalCount: 11, pageCount, currentPage: 1, perPage: pageSize });
      expect(r.items).toEqual(all.slice(0, pageSize));
      const collected = [...r.items];
      for (let page = 2; page <= pageCount; page++) {
        const p = await next(h1, r._meta.cursorId, page);
        expect(Object.keys(p)).toEqual(['items']);
        expect(p.items).toEqual(all.slice((page - 1) * pageSize, page * pageSize));
        collected.push(...p.items);
      }
      expect(collected).toEqual(all);
      expect((await next(h1, r._meta.cursorId, pageCount + 1)).items).toEqual([]);
    }
    // A first page other than 1, and one past the end.
    const p2 = await first(h1, { limits: { pageSize: 3, page: 2 } });
    expect(p2._meta).toMatchObject({ totalCount: 11, pageCount: 4, currentPage: 2, perPage: 3 });
    expect(p2.items).toEqual(all.slice(3, 6));
    const p9 = await first(h1, { limits: { pageSize: 3, page: 9 } });
    expect(p9._meta).toMatchObject({ totalCount: 11, pageCount: 4, currentPage: 9 });
    expect(p9.items).toEqual([]);
    // Oldest first pages too.
    const asc = await first(h1, { limits: { pageSize: 4, page: 1 }, order: 1 });
    expect((await next(h1, asc._meta.cursorId, 3)).items).toEqual([...all].reverse().slice(8, 12));
  });

  it('limits default to pageSize 20, page 1; pageSize 1–1000 and page ≥ 1', async () => {
    const r = await first(h1, {});
    expect(r._meta).toMatchObject({ totalCount: 11, pageCount: 1, currentPage: 1, perPage: 20 });
    expect(r.items).toHaveLength(11);
    expect((await first(h1, { limits: { pageSize: 1000, page: 1 } }))._meta.perPage).toBe(1000);
    const reads = () =>
      first(h1, { limits: { pageSize: 2, page: 1 } }).then((x) => [x._meta.totalCount, x.items]);
    for (const limits of [
      { pageSize: 0, page: 1 },
      { pageSize: 1001, page: 1 },
      { pageSize: 10, page: 0 },
      { pageSize: 10, page: -1 },
      { pageSize: 2.5, page: 1 },
      { pageSize: '10', page: 1 },
    ]) {
      await s.refused(1024, h1.json({ limits }), 'BAD_PAYLOAD', reads);
    }
  });

  it('fields filter by tx_type, channel_id, from and to (combined with AND)', async () => {
    const all = (await first(h1, { limits: { pageSize: 1000, page: 1 } })).items;
    const cases: [Record<string, unknown>, (i: TxItem) => boolean][] = [
      [{ tx_type: { value: 8 } }, (i) => i.tx_type === 8],
      [{ channel_id: { value: 'ch-a' } }, (i) => i.contract_id === 'ch-a'],
      [{ from: { value: S1.address } }, (i) => i.from === S1.address],
      [{ to: { value: I1.address } }, (i) => i.to === I1.address],
      [{ from: { value: trackerAddress } }, (i) => i.from === trackerAddress],
      [
        { tx_type: { value: 16 }, channel_id: { value: 'ch-a' } },
        (i) => i.tx_type === 16 && i.contract_id === 'ch-a',
      ],
      [{ tx_type: { value: 2 }, to: { value: S1.address } }, () => false],
      [{ channel_id: { value: 'no-such-channel' } }, () => false],
    ];
    const expectedCounts = [3, 2, 4, 3, 4, 1, 0, 0];
    for (const [i, [fields, keep]] of cases.entries()) {
      const r = await first(h1, { limits: { pageSize: 2, page: 1 }, fields });
      const expected = all.filter(keep);
      expect(expected).toHaveLength(expectedCounts[i]!);
      expect(r._meta.totalCount).toBe(expected.length);
      expect(r._meta.pageCount).toBe(Math.ceil(expected.length / 2));
      expect(r.items).toEqual(expected.slice(0, 2));
      if (expected.length > 2)
        expect((await next(h1, r._meta.cursorId, 2)).items).toEqual(expected.slice(2, 4));
    }
    // A filter cannot reach another peer's transactions.
    const foreign = await first(h1, {
      limits: { pageSize: 10, page: 1 },
      fields: { to: { value: S2.address } },
    });
    expect(foreign._meta.totalCount).toBe(0);
    await s.refused(1024, h1.json({ fields: { tx_type: { value: '8' } } }), 'BAD_PAYLOAD');
    await s.refused(1024, h1.json({ fields: { tx_type: 8 } }), 'BAD_PAYLOAD');
  });

  it('BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH', async () => {
    await s.refused(1024, single(h1, 'not json'), 'BAD_PAYLOAD');
    await s.refused(1024, h1.json({ limits: 'all' }), 'BAD_PAYLOAD');
    const ok = h1.json({ limits: { pageSize: 5, page: 1 } });
    await s.refused(1024, { ...ok, pk: 'garbage' }, 'BAD_KEY');
    await s.refused(1024, { ...ok, sign: h2.sign(ok.message) }, 'BAD_SIGNATURE');
    // Asking for another peer's history with one's own signature.
    await s.refused(
      1024,
      single(h1, JSON.stringify({ limits: { pageSize: 5, page: 1 }, pk: h2.publicPem })),
      'KEY_MISMATCH',
    );
  });
});

describe('cursors: cmd 2048 get next transactions, cmd 4096 update cursor', () => {
  it('a cursor freezes its result set: later transactions never appear in its pages', async () => {
    const frozen = await first(h1, { limits: { pageSize: 5, page: 1 } });
    const pages = [
      frozen.items,
      ...(await Promise.all([2, 3].map(async (p) => (await next(h1, frozen._meta.cursorId, p)).items))),
    ];
    const added = await s.ok<AddressState>(2, h1.pemPayload()); // one more transaction for h1
    for (const [i, items] of pages.entries()) {
      expect((await next(h1, frozen._meta.cursorId, i + 1)).items).toEqual(items);
    }
    expect((await next(h1, frozen._meta.cursorId, 4)).items).toEqual([]);
    const fresh = await first(h1, { limits: { pageSize: 5, page: 1 } });
    expect(fresh._meta.totalCount).toBe(frozen._meta.totalCount + 1);
    expect(fresh.items[0]).toMatchObject({ tx_type: 2, to: added.address });
    expect(fresh.items.slice(1)).toEqual(frozen.items.slice(0, 4));
    await s.ok(32, h1.json({ address: added.address })); // closes with 0: no TX_FINANCIAL
    expect((await first(h1, {}))._meta.totalCount).toBe(frozen._meta.totalCount + 2);
  });

  it('cmd 4096 renews a cursor and answers {pk}', async () => {
    const r = await first(h2, { limits: { pageSize: 2, page: 1 } });
    const touched = await s.ok(4096, h2.json({ cursorId: r._meta.cursorId }));
    expect(touched).toEqual({ pk: s.trackerPem });
    expect((await next(h2, r._meta.cursorId, 2)).items).toHaveLength(2);
  });

  it('CURSOR_NOT_FOUND for an unknown cursor or another key’s cursor', async () => {
    const mine = await first(h1, { limits: { pageSize: 2, page: 1 } });
    const reads = () => next(h1, mine._meta.cursorId, 1);
    const unknown = '00000000-0000-4000-8000-000000000000';
    await s.refused(2048, h1.json({ cursorId: unknown, page: 1 }), 'CURSOR_NOT_FOUND', reads);
    await s.refused(4096, h1.json({ cursorId: unknown }), 'CURSOR_NOT_FOUND', reads);
    await s.refused(2048, h2.json({ cursorId: mine._meta.cursorId, page: 1 }), 'CURSOR_NOT_FOUND', reads);
    await s.refused(4096, h2.json({ cursorId: mine._meta.cursorId }), 'CURSOR_NOT_FOUND', reads);
    // The owner's key in another PEM spelling is the same key.
    const bare = h1.publicPem.trimEnd();
    const message = JSON.stringify({ cursorId: mine._meta.cursorId, page: 1, pk: bare });
    expect((await s.ok<{ items: TxItem[] }>(2048, single(h1, message, bare))).items).toHaveLength(2);
  });

  it('at most 16 live cursors per key: the 17th drops the oldest', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 17; i++)
      ids.push((await first(h4, { limits: { pageSize: 1, page: 1 } }))._meta.cursorId);
    expect(new Set(ids).size).toBe(17);
    await s.refused(2048, h4.json({ cursorId: ids[0], page: 1 }), 'CURSOR_NOT_FOUND');
    await s.refused(4096, h4.json({ cursorId: ids[0] }), 'CURSOR_NOT_FOUND');
    for (const id of ids.slice(1))
      expect(await s.ok(4096, h4.json({ cursorId: id }))).toEqual({ pk: s.trackerPem });
    // Another key's cursors are not affected by h4's.
    const other = await first(h3, {});
    expect(await s.ok(4096, h3.json({ cursorId: other._meta.cursorId }))).toEqual({ pk: s.trackerPem });
  });

  it('BAD_PAYLOAD, BAD_KEY, BAD_SIGNATURE, KEY_MISMATCH', async () => {
    const { _meta } = await first(h1, { limits: { pageSize: 2, page: 1 } });
    const reads = () => next(h1, _meta.cursorId, 1);
    await s.refused(2048, h1.json({ cursorId: _meta.cursorId }), 'BAD_PAYLOAD', reads);
    await s.refused(2048, h1.json({ cursorId: _meta.cursorId, page: 0 }), 'BAD_PAYLOAD', reads);
    await s.refused(2048, h1.json({ page: 1 }), 'BAD_PAYLOAD', reads);
    await s.refused(2048, h1.json({ cursorId: '', page: 1 }), 'BAD_PAYLOAD', reads);
    await s.refused(4096, h1.json({}), 'BAD_PAYLOAD', reads);
    await s.refused(4096, h1.json({ cursorId: 5 }), 'BAD_PAYLOAD', reads);
    for (const [cmd, fields] of [
      [2048, { cursorId: _meta.cursorId, page: 1 }],
      [4096, { cursorId: _meta.cursorId }],
    ] as const) {
      const ok = h1.json(fields);
      await s.refused(cmd, { ...ok, pk: 'x' }, 'BAD_KEY', reads);
      await s.refused(cmd, { ...ok, sign: h3.sign(ok.message) }, 'BAD_SIGNATURE', reads);
      await s.refused(
        cmd,
        single(h1, JSON.stringify({ ...fields, pk: h3.publicPem })),
        'KEY_MISMATCH',
        reads,
      );
    }
  });
});
