import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryCache } from '../../electron/services/history/cache';
import { HistoryCacheError } from '../../electron/services/history/errors';
import { csvField, neutralizeFormula } from '../../electron/services/history/csv-export';
import { parseCsv } from '../helpers/csv';
import {
  itemSignatureVerdict,
  itemVerifier,
  parseItem,
  type CachedItem,
} from '../../electron/services/history/sync';
import type { AddressView, ChannelView, HistoryFilter, HistoryItem } from '../../shared/api/models';
import { canonicalJson } from '../../shared/protocol/schemas';
import { generateRsaKeyPair, parsePrivateKey } from '../../shared/crypto/keys';
import { signMessage } from '../../shared/crypto/sign';

const dir = mkdtempSync(join(tmpdir(), 'wt-history-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `cache-${++n}.sqlite`);

const BASE = Date.UTC(2025, 0, 1);
const PEM = '-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n';

/** Deterministic pseudo-random generator (mulberry32). */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
function randomId(r: () => number, len = 40): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

function makeItem(fields: Partial<CachedItem> & { txId: string; timestamp: number }): CachedItem {
  const base: Omit<CachedItem, 'raw'> = {
    parentTxId: '',
    txType: 2,
    from: '0x0btracker',
    to: '0x0dincome',
    amount: '0',
    volume: '0',
    quantumCount: '0',
    contractId: '',
    priceAmount: '900',
    pricePower: 20,
    plannedQuantumCount: '0',
    timelock: fields.timestamp + 1_800_000,
    status: 1,
    signature: 'valid',
    version: '1',
    pk: PEM,
    ...fields,
  };
  return { ...base, raw: fields.raw ?? rawOf(base) };
}

/** A count in JSON as the tracker writes it: a number while exact, else a decimal string. */
function jsonCount(d: string): number | string {
  return /^[0-9]+$/.test(d) && BigInt(d) <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d;
}

/** The tracker's item (SPEC §4) carrying a CachedItem's fields. */
function rawOf(b: Omit<CachedItem, 'raw'>): Record<string, unknown> {
  return {
    tx_id: b.txId,
    parent_tx_id: b.parentTxId,
    tx_type: b.txType,
    from: b.from,
    to: b.to,
    amount: jsonCount(b.amount),
    volume: jsonCount(b.volume),
    quantum_count: jsonCount(b.quantumCount),
    contract_id: b.contractId,
    price_amount: jsonCount(b.priceAmount),
    price_quantum_power: b.pricePower,
    planned_quantum_count: jsonCount(b.plannedQuantumCount),
    timelock: b.timelock,
    timestamp: b.timestamp,
    status: b.status,
    version: b.version,
    pk: b.pk,
    sign: 'x',
  };
}

/** The HistoryItem the cache should give back for a CachedItem. */
function view(i: CachedItem): HistoryItem {
  const { raw: _raw, version: _v, pk: _pk, ...rest } = i;
  return rest;
}

/** Newest first; ties stay in the order given (sort is stable): the order they were cached in. */
function newestFirst(a: CachedItem, b: CachedItem): number {
  return b.timestamp - a.timestamp;
}

const TYPES = [1, 2, 4, 8, 16, 32, 64, 128];
const ADDRS = ['0x0cspendA', '0x0cspendB', '0x0dincomeA', '0x0dincomeB', '0x0bcommon', '0x0btracker'];
const CHANNELS = ['ch-1', 'ch-2', 'promo%2025', 'a_b', 'axb', 'back\\slash'];

/** A dataset with many timestamp ties (groups of up to 7 items per millisecond). */
function dataset(count: number, seed = 1): CachedItem[] {
  const r = rng(seed);
  const out: CachedItem[] = [];
  let t = BASE;
  for (let i = 0; i < count; i++) {
    if (r() < 0.3) t += 1 + Math.floor(r() * 5000);
    const txType = TYPES[Math.floor(r() * TYPES.length)]!;
    const parent = i > 0 && r() < 0.3 ? out[Math.floor(r() * i)]!.txId : '';
    out.push(
      makeItem({
        txId: randomId(r),
        timestamp: t,
        txType,
        parentTxId: parent,
        from: ADDRS[Math.floor(r() * ADDRS.length)]!,
        to: ADDRS[Math.floor(r() * ADDRS.length)]!,
        contractId: txType === 8 || txType === 16 ? CHANNELS[Math.floor(r() * CHANNELS.length)]! : '',
        amount: String(BigInt(Math.floor(r() * 1e8)) * 100_000_000_000n + BigInt(i)),
        volume: String(Math.floor(r() * 1e12)),
      }),
    );
  }
  return out;
}

function matches(i: CachedItem, f: HistoryFilter): boolean {
  if (f.types?.length && !f.types.includes(i.txType)) return false;
  if (f.address && i.from !== f.address && i.to !== f.address) return false;
  if (f.channelId && !i.contractId.startsWith(f.channelId)) return false;
  if (f.fromTime !== undefined && i.timestamp < f.fromTime) return false;
  if (f.toTime !== undefined && i.timestamp > f.toTime) return false;
  if (f.search) {
    const s = f.search; // the beginning of an id or address, exact case
    if (![i.txId, i.parentTxId, i.contractId, i.from, i.to].some((x) => x.startsWith(s))) return false;
  }
  return true;
}

function walk(cache: HistoryCache, scope: string, filter: HistoryFilter, limit: number) {
  const seen: HistoryItem[] = [];
  let after: string | null = null;
  let pages = 0;
  let total = -1;
  do {
    const page = cache.transactions.query(scope, { filter, after, limit });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.next !== null) expect(page.items.length).toBe(limit);
    total = page.total;
    seen.push(...page.items);
    after = page.next;
    pages++;
  } while (after !== null && pages < 10_000);
  return { seen, pages, total };
}

describe('HistoryCache', () => {
  let path: string;
  let cache: HistoryCache;
  beforeEach(() => {
    path = freshPath();
    cache = new HistoryCache(path);
    return () => cache.close();
  });

  it('inserts items once: duplicates in a batch, across batches and per scope are ignored', () => {
    const items = dataset(50);
    expect(cache.transactions.insertItems('s1', items.slice(0, 30))).toBe(30);
    expect(cache.transactions.insertItems('s1', items.slice(20, 50))).toBe(20);
    expect(cache.transactions.insertItems('s1', [...items, ...items])).toBe(0);
    expect(cache.transactions.count('s1')).toBe(50);
    expect(cache.transactions.hasTx('s1', items[7]!.txId)).toBe(true);
    expect(cache.transactions.hasTx('s2', items[7]!.txId)).toBe(false);
    expect(cache.transactions.hasTx('s1', 'nope')).toBe(false);
    // Another scope holds its own copy.
    expect(cache.transactions.insertItems('s2', items.slice(0, 5))).toBe(5);
    expect(cache.transactions.count('s2')).toBe(5);
    expect(cache.transactions.count('unknown')).toBe(0);
    expect(cache.transactions.query('unknown')).toEqual({ items: [], next: null, total: 0 });
    expect(cache.transactions.insertItems('s1', [])).toBe(0);
  });

  it('keyset pages walk the full newest-first order with no gaps or repeats (ties in the order cached)', () => {
    const items = dataset(2000, 7);
    for (let i = 0; i < items.length; i += 300) cache.transactions.insertItems('s', items.slice(i, i + 300));
    const expected = [...items].sort(newestFirst).map(view);
    const ties = expected.filter((x, i) => i > 0 && expected[i - 1]!.timestamp === x.timestamp).length;
    expect(ties).toBeGreaterThan(500);
    for (const limit of [1, 37, 100, 1000]) {
      if (limit === 1) {
        // Only the first 200 single-item pages (the rest is covered by the bigger limits).
        let after: string | null = null;
        for (let i = 0; i < 200; i++) {
          const p = cache.transactions.query('s', { after, limit: 1 });
          expect(p.items[0]).toEqual(expected[i]);
          after = p.next;
        }
        continue;
      }
      const { seen, pages, total } = walk(cache, 's', {}, limit);
      expect(total).toBe(2000);
      expect(pages).toBe(Math.ceil(2000 / limit));
      expect(seen).toEqual(expected);
    }
  });

  it('items added while paging never shift a walk (no repeats; newer ones simply are not in it)', () => {
    const items = dataset(600, 3).sort(newestFirst);
    const older = items.slice(200);
    cache.transactions.insertItems('s', older);
    const first = cache.transactions.query('s', { limit: 100 });
    // Newer items arrive (a sync in the background) between two pages.
    cache.transactions.insertItems('s', items.slice(0, 200));
    const seen: string[] = first.items.map((i) => i.txId);
    let after = first.next;
    while (after) {
      const p = cache.transactions.query('s', { after, limit: 100 });
      seen.push(...p.items.map((i) => i.txId));
      after = p.next;
    }
    expect(seen).toEqual(older.map((i) => i.txId));
    expect(cache.transactions.query('s', { limit: 1 }).total).toBe(600);
  });

  it('filters by types, address, channel, time range and search, alone and combined', () => {
    const items = dataset(3000, 11);
    cache.transactions.insertItems('s', items);
    const sorted = [...items].sort(newestFirst);
    const mid = sorted[1500]!.timestamp;
    const late = sorted[500]!.timestamp;
    const someId = sorted[42]!.txId;
    const filters: HistoryFilter[] = [
      { types: [16] },
      { types: [2, 4, 128] },
      { types: [] },
      { address: '0x0dincomeA' },
      { address: 'nobody' },
      { channelId: 'ch-2' },
      { channelId: 'promo%2025' },
      { fromTime: mid },
      { toTime: mid },
      { fromTime: mid, toTime: late },
      { search: someId.slice(0, 12) },
      { search: someId.slice(0, 1) },
      { search: 'ch-' },
      { search: '0x0dincome' },
      { search: '0x0cspendA' },
      { channelId: 'ch-' },
      { types: [8, 16], address: '0x0cspendA' },
      { types: [16], channelId: 'ch-1', fromTime: mid },
      { address: '0x0bcommon', toTime: late, search: 'a' },
      { types: [16], search: '0x0c', fromTime: mid },
      {
        types: [1, 2, 4, 8, 16, 32, 64, 128],
        address: '0x0cspendB',
        channelId: 'a_b',
        fromTime: BASE,
        toTime: late,
      },
    ];
    for (const f of filters) {
      const expected = sorted.filter((i) => matches(i, f)).map(view);
      const { seen, total } = walk(cache, 's', f, 97);
      expect(seen, JSON.stringify(f)).toEqual(expected);
      expect(total, JSON.stringify(f)).toBe(expected.length);
      expect(cache.transactions.count('s', f)).toBe(expected.length);
    }
    // The id search finds that item (and its children via parent_tx_id).
    const found = cache.transactions.query('s', { filter: { search: someId }, limit: 1000 }).items;
    expect(found.map((i) => i.txId)).toContain(someId);
    expect(found.every((i) => i.txId === someId || i.parentTxId === someId)).toBe(true);
  });

  it('defect 11: the channel filter takes the beginning of an id, exactly (case, % and _ literal)', () => {
    const ids = ['chan-AbC-123456', 'chan-AbC-999', 'chan-abc-777', 'promo%2025', 'a_b'];
    cache.transactions.insertItems(
      's',
      ids.map((c, i) => makeItem({ txId: `tx${i}`, timestamp: BASE + i, txType: 16, contractId: c })),
    );
    const byChannel = (channelId: string) =>
      cache.transactions
        .query('s', { filter: { channelId } })
        .items.map((i) => i.contractId)
        .sort();
    expect(byChannel('chan-AbC')).toEqual(['chan-AbC-123456', 'chan-AbC-999']);
    expect(byChannel('chan-AbC-123456')).toEqual(['chan-AbC-123456']);
    expect(byChannel('chan-a')).toEqual(['chan-abc-777']);
    expect(byChannel('promo%')).toEqual(['promo%2025']);
    expect(byChannel('a_')).toEqual(['a_b']);
    expect(byChannel('b')).toEqual([]);
    expect(cache.transactions.query('s', { filter: { channelId: 'chan-AbC' } }).total).toBe(2);
  });

  it('search takes the beginning of an id exactly: %, _ and \\ are plain characters', () => {
    const t = BASE;
    const ch = ['promo%2025', 'promo 2025', 'a_b', 'axb', 'back\\slash', 'backXslash', '100%_off'];
    cache.transactions.insertItems(
      's',
      ch.map((c, i) => makeItem({ txId: `tx${i}`, timestamp: t + i, txType: 8, contractId: c })),
    );
    const search = (s: string) =>
      cache.transactions
        .query('s', { filter: { search: s } })
        .items.map((i) => i.contractId)
        .sort();
    expect(search('promo%')).toEqual(['promo%2025']);
    expect(search('promo')).toEqual(['promo 2025', 'promo%2025']);
    expect(search('a_')).toEqual(['a_b']);
    expect(search('back\\')).toEqual(['back\\slash']);
    expect(search('100%_')).toEqual(['100%_off']);
    expect(search('%')).toEqual([]);
    expect(search('_')).toEqual([]);
    expect(search('Promo')).toEqual([]);
    expect(search('tx')).toHaveLength(7);
    expect(search('zzz')).toEqual([]);
    expect(cache.transactions.count('s', { search: 'promo' })).toBe(2);
  });

  it('counts are cached per filter and refreshed by inserts', () => {
    const items = dataset(500, 5);
    cache.transactions.insertItems('s', items.slice(0, 400));
    expect(cache.transactions.query('s', { filter: { types: [16] } }).total).toBe(
      items.slice(0, 400).filter((i) => i.txType === 16).length,
    );
    cache.transactions.insertItems('s', items.slice(400));
    expect(cache.transactions.query('s', { filter: { types: [16] } }).total).toBe(
      items.filter((i) => i.txType === 16).length,
    );
    expect(cache.transactions.query('s').total).toBe(500);
  });

  it('rejects bad cursors, limits and filters', () => {
    cache.transactions.insertItems('s', dataset(10));
    expect(() => cache.transactions.query('s', { after: 'not-a-cursor' })).toThrow(HistoryCacheError);
    expect(() =>
      cache.transactions.query('s', { after: Buffer.from('{"a":1}').toString('base64url') }),
    ).toThrow(/cursor/);
    expect(() => cache.transactions.query('s', { limit: 0 })).toThrow(/limit/);
    expect(() => cache.transactions.query('s', { limit: 1001 })).toThrow(/limit/);
    expect(() => cache.transactions.query('s', { filter: { search: 'x'.repeat(129) } })).toThrow(/filter/);
    // Money is decimal text: anything else is refused and the whole batch left out.
    const good = makeItem({ txId: 'ok', timestamp: BASE });
    const bad = makeItem({ txId: 'float', timestamp: BASE, amount: '1.5' });
    expect(() => cache.transactions.insertItems('s', [good, bad])).toThrow(/not a transaction item/);
    expect(cache.transactions.hasTx('s', 'ok')).toBe(false);
    expect(() => cache.transactions.insertItems('s', [{ ...good, signature: 'maybe' as 'valid' }])).toThrow(
      /verdict/,
    );
    expect(cache.transactions.insertItems('s', [good])).toBe(1);
  });

  it('item() gives the item with its parent and children', () => {
    const open = makeItem({ txId: 'open', timestamp: BASE, txType: 8, contractId: 'c' });
    const close = makeItem({
      txId: 'close',
      timestamp: BASE + 10,
      txType: 16,
      parentTxId: 'open',
      contractId: 'c',
    });
    const other = makeItem({ txId: 'other', timestamp: BASE + 5, txType: 64, parentTxId: 'open' });
    const orphan = makeItem({ txId: 'orphan', timestamp: BASE + 20, txType: 128, parentTxId: 'missing' });
    cache.transactions.insertItems('s', [close, open, other, orphan]);
    const r = cache.transactions.item('s', 'open');
    expect(r.item).toEqual(view(open));
    expect(r.parent).toBeNull();
    expect(r.children).toEqual([view(other), view(close)]);
    const c = cache.transactions.item('s', 'close');
    expect(c.parent).toEqual(view(open));
    expect(c.children).toEqual([]);
    expect(cache.transactions.item('s', 'orphan').parent).toBeNull();
    expect(cache.transactions.item('s', 'nothing')).toEqual({ item: null, parent: null, children: [] });
    expect(cache.transactions.item('other-scope', 'open').item).toBeNull();
  });

  it('exports CSV (RFC 4180) with exact amounts, ISO and ms times, and neutralised formulas', async () => {
    const big = '18446744073709551615'; // 2^64 − 1: not representable as a double
    const items = [
      makeItem({
        txId: 'a',
        timestamp: BASE,
        txType: 16,
        amount: big,
        volume: '9007199254740993',
        contractId: 'plain',
      }),
      makeItem({ txId: 'b', timestamp: BASE + 1, txType: 8, contractId: 'with,comma "and" quotes' }),
      makeItem({ txId: 'c', timestamp: BASE + 2, txType: 8, contractId: 'line\r\nbreak' }),
      makeItem({ txId: 'd', timestamp: BASE + 3, txType: 8, contractId: '=HYPERLINK("x")' }),
      makeItem({ txId: 'e', timestamp: BASE + 4, txType: 128, amount: '9007199254740993' }),
    ];
    cache.transactions.insertItems('s', items);
    const out = join(dir, 'export.csv');
    const rows = await cache.exportCsv('s', {}, out);
    expect(rows).toBe(5);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const text = readFileSync(out, 'utf8');
    const table = parseCsv(text);
    expect(table[0]![0]).toBe('tx_id');
    const header = table[0]!;
    const col = (name: string) => header.indexOf(name);
    const body = table.slice(1);
    expect(body.map((r) => r[col('tx_id')])).toEqual(['e', 'd', 'c', 'b', 'a']);
    const a = body[4]!;
    expect(a[col('amount')]).toBe(big);
    expect(BigInt(a[col('amount')]!)).toBe(2n ** 64n - 1n);
    expect(a[col('volume')]).toBe('9007199254740993');
    expect(a[col('timestamp_ms')]).toBe(String(BASE));
    expect(a[col('timestamp_iso')]).toBe('2025-01-01T00:00:00.000Z');
    expect(a[col('tx_type_name')]).toBe('CLOSE_TRANSFER');
    expect(a[col('signature')]).toBe('valid');
    expect(body[3]![col('contract_id')]).toBe('with,comma "and" quotes');
    expect(body[2]![col('contract_id')]).toBe('line\r\nbreak');
    expect(body[1]![col('contract_id')]).toBe(`'=HYPERLINK("x")`);
    expect(body[0]![col('amount')]).toBe('9007199254740993');
    // Filtered export, formulas kept verbatim on request.
    const out2 = join(dir, 'export2.csv');
    expect(await cache.exportCsv('s', { types: [8] }, out2, { neutralizeFormulas: false })).toBe(3);
    const t2 = parseCsv(readFileSync(out2, 'utf8'));
    expect(t2.length).toBe(4);
    expect(t2[1]![col('contract_id')]).toBe('=HYPERLINK("x")');
    expect(csvField('a"b')).toBe('"a""b"');
  });

  it('exports a large history in chunks', async () => {
    const items = dataset(5000, 9);
    cache.transactions.insertItems('s', items);
    const out = join(dir, 'big.csv');
    expect(await cache.exportCsv('s', {}, out)).toBe(5000);
    const table = parseCsv(readFileSync(out, 'utf8'));
    expect(table.length).toBe(5001);
    const sorted = [...items].sort(newestFirst);
    // Ids are base64url: one starting with '-' is neutralised like any other text value.
    expect(table.slice(1).map((r) => r[0])).toEqual(sorted.map((i) => neutralizeFormula(i.txId)));
    expect(table.slice(1).map((r) => r[6])).toEqual(sorted.map((i) => i.amount));
  });

  it('charts earnings, payments, paid bytes and the balance with bigint sums', () => {
    const own = ['0x0dmineIncome', '0x0cmineSpend'];
    const common = '0x0bmine';
    const huge = 2n ** 62n;
    const items = [
      makeItem({ txId: 'oi', timestamp: BASE, txType: 2, to: own[0]! }),
      makeItem({ txId: 'os', timestamp: BASE, txType: 4, to: own[1]!, amount: '11000' }),
      // earned on the income address, twice with huge amounts (sum > 2^63)
      makeItem({
        txId: 'e1',
        timestamp: BASE + 100,
        txType: 16,
        from: '0x0cother',
        to: own[0]!,
        amount: String(huge),
      }),
      makeItem({
        txId: 'e2',
        timestamp: BASE + 150,
        txType: 16,
        from: '0x0cother',
        to: own[0]!,
        amount: String(huge + 1n),
      }),
      // earned directly on the common address
      makeItem({ txId: 'e3', timestamp: BASE + 900, txType: 16, from: '0x0cother', to: common, amount: '5' }),
      // paid by our spend address
      makeItem({
        txId: 'p1',
        timestamp: BASE + 500,
        txType: 16,
        from: own[1]!,
        to: '0x0dother',
        amount: '7',
        volume: '9007199254740993',
      }),
      makeItem({
        txId: 'p2',
        timestamp: BASE + 999,
        txType: 16,
        from: own[1]!,
        to: '0x0dother',
        amount: '7',
        volume: '1',
      }),
      // not counted: FINANCIAL pays out earnings already counted; someone else's transfer
      makeItem({ txId: 'f', timestamp: BASE + 600, txType: 128, to: common, amount: '999' }),
      makeItem({ txId: 'x', timestamp: BASE + 700, txType: 16, from: '0x0cA', to: '0x0dB', amount: '1000' }),
    ];
    cache.transactions.insertItems('s', items);
    const pts = cache.chart('s', { buckets: 10, commonAddress: common });
    expect(pts).toHaveLength(10);
    expect(pts.map((p) => p.t)).toEqual(Array.from({ length: 10 }, (_, i) => BASE + i * 100));
    // Balance: the spend address's 11,000 funded, the huge earnings, 7 paid twice, the FINANCIAL's
    // 999 to the common address (no close of an income address before it in this made-up history).
    const after1 = 11000n + 2n * huge + 1n;
    expect(pts[0]!.balance).toBe('11000');
    expect(pts[1]).toEqual({
      t: BASE + 100,
      earned: String(2n * huge + 1n),
      paid: '0',
      paidBytes: '0',
      balance: String(after1),
    });
    expect(pts[5]).toMatchObject({ paid: '7', paidBytes: '9007199254740993', balance: String(after1 - 7n) });
    expect(pts[9]).toEqual({
      t: BASE + 900,
      earned: '5',
      paid: '7',
      paidBytes: '1',
      balance: String(after1 - 7n + 999n + 5n - 7n),
    });
    const sum = pts.reduce((s, p) => s + BigInt(p.earned), 0n);
    expect(sum).toBe(2n * huge + 1n + 5n);
    expect(pts[6]!.earned).toBe('0');
    // Explicit own addresses give the same; without the common address its earnings drop out.
    expect(cache.chart('s', { buckets: 10, ownAddresses: [...own, common] })).toEqual(pts);
    const noCommon = cache.chart('s', { buckets: 10 });
    expect(noCommon.reduce((s, p) => s + BigInt(p.earned), 0n)).toBe(2n * huge + 1n);
    expect(cache.chart('empty', { buckets: 5 })).toEqual([]);
    expect(() => cache.chart('s', { buckets: 0 })).toThrow(/buckets/);
    // A single instant: everything lands in the first bucket.
    cache.transactions.insertItems('one', [
      makeItem({ txId: 'z', timestamp: BASE, txType: 16, to: common, amount: '3' }),
    ]);
    const one = cache.chart('one', { buckets: 3, commonAddress: common });
    expect(one.map((p) => p.earned)).toEqual(['3', '0', '0']);
  });

  it('running balances read the typed columns exactly, amounts above 2^63 (stored as text) too', () => {
    const income = '0x0dmineIncome';
    const max = 2n ** 64n - 1n;
    cache.transactions.insertItems('b', [
      makeItem({
        txId: 'b1',
        timestamp: BASE,
        txType: 16,
        from: '0x0cother',
        to: income,
        amount: String(max),
      }),
      makeItem({ txId: 'b2', timestamp: BASE + 10, txType: 16, from: '0x0cother', to: income, amount: '1' }),
      // Another pair's transfer and an item of another scope never count towards this address.
      makeItem({ txId: 'bx', timestamp: BASE + 5, txType: 16, from: '0x0cA', to: '0x0dB', amount: '1000' }),
    ]);
    cache.transactions.insertItems('other', [
      makeItem({ txId: 'o1', timestamp: BASE + 1, txType: 16, from: '0x0cother', to: income, amount: '5' }),
    ]);
    const owner = cache.owner('b', { ownAddresses: [income] });
    expect(cache.balancesAt('b', 'b2', owner)).toEqual([
      { address: income, role: 'income', before: String(max), after: String(max + 1n) },
    ]);
    expect([...cache.transactions.moneyRows('b', income)].map((r) => [r.txId, r.amount]).sort()).toEqual([
      ['b1', String(max)],
      ['b2', '1'],
    ]);
    expect([...cache.transactions.moneyRows('b', '0x0dnever')]).toEqual([]);
    expect(cache.balancesAt('b', 'missing', owner)).toEqual([]);
  });

  it('stores last known address, channel and common states; older reads never replace newer ones', () => {
    const addr: AddressView = {
      address: '0x0dA',
      kind: 'income',
      identityId: 'id1',
      status: 'open',
      amount: '18446744073709551615',
      limitAmount: '0',
      quantumVolume: '0',
      limitQuantumVolume: '0',
      volume: '0',
      openChannels: 0,
      priceAmount: '900',
      pricePower: 20,
      timeLock: BASE + 1000,
      openedAt: BASE,
      closedAt: null,
      readAt: BASE + 10,
    };
    cache.states.upsertAddresses('s', [addr, { ...addr, address: '0x0cB', kind: 'spend' }]);
    cache.states.upsertAddresses('s', [{ ...addr, amount: '5', readAt: BASE + 5 }]); // stale read: ignored
    expect(cache.states.getAddress('s', '0x0dA')).toEqual(addr);
    cache.states.upsertAddresses('s', [
      { ...addr, status: 'closed', closedAt: BASE + 20, readAt: BASE + 20 },
    ]);
    expect(cache.states.getAddress('s', '0x0dA')?.status).toBe('closed');
    expect(cache.states.getAddress('s', '0x0dA')?.readAt).toBe(BASE + 20);
    expect(cache.states.listAddresses('s').map((a) => a.address)).toEqual(['0x0cB', '0x0dA']);
    expect(cache.states.listAddresses('other')).toEqual([]);
    expect(() => cache.states.upsertAddresses('s', [{ ...addr, amount: '1.5' }])).toThrow();

    const ch: ChannelView = {
      channelId: 'c1',
      identityId: 'id1',
      role: 'payer',
      fromAddress: '0x0cB',
      toAddress: '0x0dA',
      fromPK: 'a',
      toPK: 'b',
      fromFingerprint: 'fa',
      toFingerprint: 'fb',
      counterpartyIdentityId: null,
      priceTokens: '1000',
      pricePower: 20,
      plannedQuantumCount: '10',
      reservation: '10000',
      state: 'open',
      timeLock: BASE + 100,
      openedAt: BASE,
      closedAt: null,
      settlement: null,
      readAt: BASE + 1,
    };
    cache.states.upsertChannels('s', [ch]);
    const closed: ChannelView = {
      ...ch,
      state: 'closed',
      closedAt: BASE + 50,
      settlement: { quantumCount: '2', tokens: '2000', volume: '1572864' },
      readAt: BASE + 50,
    };
    cache.states.upsertChannels('s', [closed]);
    cache.states.upsertChannels('s', [{ ...ch, readAt: BASE + 2 }]);
    expect(cache.states.getChannel('s', 'c1')).toEqual(closed);
    expect(cache.states.listChannels('s')).toEqual([closed]);
    expect(cache.states.getChannel('s', 'c2')).toBeNull();

    expect(cache.states.getCommonState('s')).toBeNull();
    const common = {
      address: '0x0bX',
      fact: '2000',
      plan: '0',
      profit: '2000',
      foreignFact: '0',
      foreignPlan: '0',
      readAt: BASE + 7,
    };
    cache.states.setCommonState('s', common);
    cache.states.setCommonState('s', { ...common, fact: '1', readAt: BASE + 6 });
    expect(cache.states.getCommonState('s')).toEqual(common);
  });

  it('survives a restart: items, states and sync bookkeeping are read back from the file', () => {
    const items = dataset(1200, 21);
    cache.transactions.insertItems('s', items);
    cache.states.setCommonState('s', {
      address: '0x0bX',
      fact: '1',
      plan: '2',
      profit: '3',
      foreignFact: '0',
      foreignPlan: '0',
      readAt: BASE,
    });
    cache.syncMeta.update('s', { complete: true, lastSyncedAt: BASE + 99 });
    const before = walk(cache, 's', {}, 250).seen;
    const newest = [...items].sort(newestFirst)[0]!.txId;
    expect(cache.syncMeta.get('s')).toEqual({
      lastSyncedAt: BASE + 99,
      newestTxId: newest,
      complete: true,
      pending: null,
    });
    cache.close();
    cache = new HistoryCache(path);
    expect(walk(cache, 's', {}, 250).seen).toEqual(before);
    expect(cache.states.getCommonState('s')?.profit).toBe('3');
    expect(cache.syncMeta.get('s')).toEqual({
      lastSyncedAt: BASE + 99,
      newestTxId: newest,
      complete: true,
      pending: null,
    });
    cache.syncMeta.update('s', { complete: false, pending: { total: 10, covered: 4, baseComplete: true } });
    cache.close();
    cache = new HistoryCache(path);
    expect(cache.syncMeta.get('s').pending).toEqual({ total: 10, covered: 4, baseComplete: true });
    expect(cache.transactions.insertItems('s', items)).toBe(0);
    cache.clearScope('s');
    expect(cache.transactions.count('s')).toBe(0);
    expect(cache.syncMeta.get('s').complete).toBe(false);
  });

  it('defect: a file of another layout, states and all, is dropped and rebuilt empty (foreign keys)', () => {
    cache.transactions.insertItems('s', dataset(20));
    cache.states.setCommonState('s', {
      address: '0x0bX',
      fact: '1',
      plan: '2',
      profit: '3',
      foreignFact: '0',
      foreignPlan: '0',
      readAt: BASE,
    });
    cache.syncMeta.update('s', { complete: true, lastSyncedAt: BASE });
    cache.close();
    const db = new Database(path);
    db.pragma('user_version = 2');
    db.close();
    cache = new HistoryCache(path);
    expect(cache.transactions.count('s')).toBe(0);
    expect(cache.states.getCommonState('s')).toBeNull();
    expect(cache.syncMeta.get('s').complete).toBe(false);
    expect(cache.transactions.insertItems('s', dataset(5))).toBe(5);
  });

  it('needs a file path', () => {
    expect(() => new HistoryCache(':memory:')).toThrow(HistoryCacheError);
  });
});

describe('item parsing and signature verdicts', () => {
  const pair = generateRsaKeyPair();
  const key = parsePrivateKey(pair.privatePem);
  const verifier = itemVerifier(pair.publicPem);
  const unsigned = {
    tx_id: 'abc',
    parent_tx_id: '',
    tx_type: 16,
    from: '0x0cA',
    to: '0x0dB',
    amount: 2000,
    volume: 1572864,
    quantum_count: 2,
    contract_id: 'c1',
    price_amount: 1000,
    price_quantum_power: 20,
    planned_quantum_count: 10,
    timelock: BASE + 1,
    timestamp: BASE,
    status: 1,
    version: '1',
    pk: pair.publicPem,
  };
  const signed = { ...unsigned, sign: signMessage(canonicalJson(unsigned), key) };

  it('valid, invalid (tampered) and unverifiable (not a signature of the key size)', () => {
    const ok = parseItem(signed, verifier)!;
    expect(ok.signature).toBe('valid');
    expect(ok.amount).toBe('2000');
    expect(ok.raw).toBe(signed);
    expect(parseItem({ ...signed, amount: 2001 }, verifier)!.signature).toBe('invalid');
    expect(parseItem({ ...signed, amount: '2000' }, verifier)!.signature).toBe('invalid'); // a string is another JSON
    expect(parseItem({ ...signed, sign: 'AAAA' }, verifier)!.signature).toBe('unverifiable');
    expect(parseItem({ ...signed, sign: 'garbage!' }, verifier)!.signature).toBe('unverifiable');
    expect(parseItem({ ...signed, sign: `${signed.sign.slice(0, -4)}!!!!` }, verifier)!.signature).toBe(
      'unverifiable',
    );
    expect(parseItem(signed, itemVerifier('not a key'))!.signature).toBe('unverifiable');
    // Amounts beyond 2^53 travel as strings.
    const bigUnsigned = { ...unsigned, amount: '18446744073709551615' };
    const big = parseItem({ ...bigUnsigned, sign: signMessage(canonicalJson(bigUnsigned), key) }, verifier)!;
    expect(big.signature).toBe('valid');
    expect(big.amount).toBe('18446744073709551615');
  });

  it('stores an item exactly: its JSON as received comes back and its signature verifies again', () => {
    const cache = new HistoryCache(freshPath());
    const ids = ['exact', 'strings', 'huge', 'extra', 'order', 'opaque', 'unpadded', 'proto'];
    const resign = (u: Record<string, unknown>) => ({ ...u, sign: signMessage(canonicalJson(u), key) });
    const variants: Record<string, unknown>[] = [
      signed,
      // counts as strings (the original server's way), one beyond 2^63 − 1 (stored as text)
      resign({ ...unsigned, tx_id: ids[1], amount: '2000', volume: '1572864', planned_quantum_count: '10' }),
      resign({ ...unsigned, tx_id: ids[2], amount: '18446744073709551615', volume: '9223372036854775808' }),
      // unknown fields of any JSON type, kept with their values and places
      resign({ extra: { nested: [1, 'two', null, true] }, ...unsigned, tx_id: ids[3], note: 'é ✓', n: 1.5 }),
      // another key order
      Object.fromEntries(Object.entries(resign({ ...unsigned, tx_id: ids[4] })).reverse()),
      // the original server's opaque signature text, and base64 without its padding
      { ...unsigned, tx_id: ids[5], sign: '\u0015/\u0017\ufffdc 5_ not base64' },
      { ...unsigned, tx_id: ids[6], sign: 'QUJD' + 'QQ' },
      JSON.parse(
        `{"__proto__": {"polluted": true}, ${JSON.stringify({ ...unsigned, tx_id: ids[7], sign: 'x' }).slice(1)}`,
      ),
    ];
    const parsed = variants.map((v) => parseItem(v, verifier)!);
    expect(parsed.map((p) => p.signature)).toEqual([
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'unverifiable',
      'unverifiable',
      'unverifiable',
    ]);
    expect(cache.transactions.insertItems('s', parsed)).toBe(variants.length);
    variants.forEach((v, i) => {
      const kept = cache.transactions.rawItem('s', (v as { tx_id: string }).tx_id)!;
      expect(JSON.stringify(kept), ids[i]).toBe(JSON.stringify(v));
      expect(itemSignatureVerdict(kept, verifier), ids[i]).toBe(parsed[i]!.signature);
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(cache.transactions.item('s', 'huge').item).toMatchObject({
      amount: '18446744073709551615',
      volume: '9223372036854775808',
    });
    expect(cache.transactions.rawItem('s', 'none')).toBeNull();
    cache.close();
  });

  it('keeps each PEM, address and item layout once, and signatures as bytes', () => {
    const path = freshPath();
    const cache = new HistoryCache(path);
    const items = Array.from({ length: 50 }, (_, i) => {
      const u = { ...unsigned, tx_id: `t${i}`, timestamp: BASE + i };
      return parseItem({ ...u, sign: signMessage(canonicalJson(u), key) }, verifier)!;
    });
    cache.transactions.insertItems('s1', items);
    cache.transactions.insertItems('s2', items);
    cache.close();
    const db = new Database(path, { readonly: true });
    const one = (sql: string) => db.prepare(sql).get() as Record<string, number | string>;
    expect(one('SELECT COUNT(*) AS n FROM pems').n).toBe(1);
    expect(one('SELECT COUNT(*) AS n FROM addresses').n).toBe(2);
    expect(one('SELECT COUNT(*) AS n FROM shapes').n).toBe(1);
    expect(one('SELECT COUNT(*) AS n FROM tx').n).toBe(100);
    expect(one(`SELECT COUNT(*) AS n FROM tx WHERE typeof(sign) = 'blob' AND length(sign) = 256`).n).toBe(
      100,
    );
    expect(one(`SELECT COUNT(*) AS n FROM tx WHERE typeof(amount) = 'integer'`).n).toBe(100);
    db.close();
  });

  it('rejects malformed items', () => {
    for (const bad of [
      null,
      [],
      'x',
      { ...signed, tx_id: '' },
      { ...signed, amount: -1 },
      { ...signed, amount: 2 ** 60 },
      { ...signed, timestamp: 'now' },
      { ...signed, tx_id: 'x'.repeat(300) },
    ]) {
      expect(parseItem(bad, verifier)).toBeNull();
    }
  });
});
