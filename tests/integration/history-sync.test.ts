/**
 * HistorySync + HistoryCache against our real tracker (cmd 1024/2048/4096 over a real socket): full,
 * incremental, interrupted-and-resumed syncs, tampered items, a lost cursor, and offline reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, resultOf, twoSigned, type Frame } from '../helpers/raw-client';
import { HistoryCache } from '../../electron/services/history/cache';
import {
  HistorySync,
  itemSignatureVerdict,
  itemVerifier,
  type HistorySource,
  type SyncReport,
} from '../../electron/services/history/sync';
import { verifyMessage } from '../../shared/crypto/sign';
import { parseWireError } from '../../shared/protocol/errors';
import type { HistoryItem } from '../../shared/api/models';

const INITIAL_OPENS = 3000;

/** The tracker's history commands over RawClient, with knobs to misbehave. */
class RawSource implements HistorySource {
  calls = { first: 0, next: 0, touch: 0 };
  /** Throw (as a dropped connection would) once this many pages were answered. */
  failAfterPages: number | null = null;
  /** Ask for the next page with an unknown cursor id this many times. */
  wrongCursor = 0;
  /** Rewrites items before they reach the sync (tampering, garbage). */
  alter: ((items: unknown[], page: number) => unknown[]) | null = null;

  constructor(
    private readonly client: RawClient,
    private readonly peer: TestPeer,
    readonly trackerPem: string,
  ) {}

  private result<T>(f: Frame): T {
    if (f.error) {
      const { code, text } = parseWireError(f.error);
      throw Object.assign(new Error(text), { code: code ?? 'TRACKER_ERROR' });
    }
    const data = f.data as { message: string; sign: string };
    if (!verifyMessage(data.message, data.sign, this.trackerPem)) throw new Error('bad response signature');
    return resultOf<T>(f);
  }

  private pageServed(): void {
    if (this.failAfterPages !== null && this.calls.first + this.calls.next > this.failAfterPages) {
      throw Object.assign(new Error('connection lost'), { code: 'CONNECTION_LOST' });
    }
  }

  async first(opts: { pageSize: number; page: number }) {
    this.calls.first++;
    this.pageServed();
    const r = this.result<{
      _meta: { cursorId: string; totalCount: number; pageCount: number };
      items: unknown[];
    }>(await this.client.request(1024, this.peer.json({ limits: opts })));
    return { meta: r._meta, items: this.alter ? this.alter(r.items, opts.page) : r.items };
  }

  async next(cursorId: string, page: number) {
    this.calls.next++;
    this.pageServed();
    let id = cursorId;
    if (this.wrongCursor > 0) {
      this.wrongCursor--;
      id = randomUUID();
    }
    const r = this.result<{ items: unknown[] }>(
      await this.client.request(2048, this.peer.json({ cursorId: id, page })),
    );
    return this.alter ? this.alter(r.items, page) : r.items;
  }

  async touch(cursorId: string) {
    this.calls.touch++;
    this.result(await this.client.request(4096, this.peer.json({ cursorId })));
  }
}

describe('history sync against the real tracker', () => {
  let ledger: LedgerProcess;
  let client: RawClient;
  let trackerPem: string;
  let dir: string;
  let ledgerDir: string;
  const peer = new TestPeer();
  const payer = new TestPeer();
  const scope = 'tracker:peer';

  /** Opens n income addresses for the peer, requests pipelined in waves: one transaction each. */
  async function openIncomes(n: number, via: RawClient = client): Promise<string[]> {
    const payload = peer.pemPayload(); // deterministic signature: one payload serves every open
    const out: string[] = [];
    for (let done = 0; done < n;) {
      const wave = Math.min(250, n - done);
      const frames = await Promise.all(Array.from({ length: wave }, () => via.request(2, payload)));
      for (const f of frames) out.push(resultOf<{ address: string }>(f).address);
      done += wave;
    }
    return out;
  }

  async function trackerTotal(): Promise<number> {
    const r = resultOf<{ _meta: { totalCount: number } }>(
      await client.request(1024, peer.json({ limits: { pageSize: 1, page: 1 } })),
    );
    return r._meta.totalCount;
  }

  function allCached(cache: HistoryCache, s = scope): HistoryItem[] {
    const out: HistoryItem[] = [];
    let after: string | null = null;
    do {
      const p = cache.transactions.query(s, { after, limit: 1000 });
      out.push(...p.items);
      after = p.next;
    } while (after);
    return out;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wt-history-sync-'));
    // The tracker fsyncs every transaction (synchronous=FULL): on tmpfs, generating thousands is quick.
    ledgerDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wt-ledger-'));
    ledger = await startLedger({
      dir: ledgerDir,
      env: {
        TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000',
        TLPRT_LEDGER_AMOUNT_INITIAL: '1000000000000',
      },
      args: ['--quiet'],
    });
    client = await RawClient.connect(ledger.url);
    trackerPem = resultOf<string>(await client.request(1, peer.pemPayload()));
    const started = performance.now();
    const incomes = await openIncomes(INITIAL_OPENS);
    // One paid channel into the first income address: OPEN_TRANSFER + CLOSE_TRANSFER in the history.
    const spend = resultOf<{ address: string }>(await client.request(4, payer.pemPayload()));
    const contract = {
      channelId: 'hist-1',
      fromAddress: spend.address,
      toAddress: incomes[0]!,
      priceTokens: '1000',
      priceQuantumPower: 20,
      plannedQuantumCount: 10,
    };
    expect((await client.request(8, twoSigned(payer, peer, contract))).error).toBeUndefined();
    const closed = await client.request(
      16,
      twoSigned(payer, peer, { ...contract, quantumCount: 3, tokens: '3000', volume: 3 * 1048576 }),
    );
    expect(closed.error).toBeUndefined();
    console.log(
      `generated ${INITIAL_OPENS + 2} transactions in ${Math.round(performance.now() - started)} ms`,
    );
  });

  afterAll(async () => {
    client?.close();
    await ledger?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(ledgerDir, { recursive: true, force: true });
  });

  it('full sync: every item of the tracker, once, all signatures valid; then incremental', async () => {
    const cache = new HistoryCache(join(dir, 'full.sqlite'));
    const sync = new HistorySync(cache, { pageSize: 1000 });
    const source = new RawSource(client, peer, trackerPem);
    const progress: SyncReport[] = [];
    sync.on('progress', (r) => progress.push(r));
    // Other tests add transactions to the same tracker: whatever it holds now is the full history.
    const total = await trackerTotal();
    expect(total).toBeGreaterThanOrEqual(INITIAL_OPENS + 2);

    const started = performance.now();
    const p1 = sync.sync(scope, 'id1', source);
    expect(sync.sync(scope, 'id1', source)).toBe(p1); // a second call joins the running sync
    const r = await p1;
    const ms = Math.round(performance.now() - started);
    console.log(`full sync of ${total} items: ${r.pages} pages, ${ms} ms`);
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ running: false, complete: true, total, fetched: total, added: total });
    expect(r).toMatchObject({ errors: 0, invalid: 0, unverifiable: 0, restarts: 0 });
    expect(r.pages).toBe(Math.ceil(total / 1000));
    expect(source.calls.first).toBe(1);
    expect(cache.transactions.count(scope)).toBe(total);
    const items = allCached(cache);
    expect(items).toHaveLength(total);
    expect(new Set(items.map((i) => i.txId)).size).toBe(total);
    expect(items.every((i) => i.signature === 'valid')).toBe(true);
    expect(r.lastSyncedAt).not.toBeNull();
    expect(cache.syncMeta.get(scope)).toMatchObject({
      complete: true,
      pending: null,
      newestTxId: items[0]!.txId,
    });

    // Progress: running first, fetched never decreasing, the last one final.
    expect(progress[0]!.running).toBe(true);
    expect(progress.at(-1)).toMatchObject({ running: false, fetched: total, added: total, error: null });
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.fetched).toBeGreaterThanOrEqual(progress[i - 1]!.fetched);
    }
    expect(sync.status(scope, 'id1')).toMatchObject({ running: false, fetched: total, error: null });

    // Parent/children across the channel: the close's parent is the open.
    const close = cache.transactions.query(scope, { filter: { types: [16] } }).items[0]!;
    expect(close).toMatchObject({ contractId: 'hist-1', amount: '3000', volume: String(3 * 1048576) });
    const rel = cache.transactions.item(scope, close.txId);
    expect(rel.parent?.txType).toBe(8);
    expect(cache.transactions.item(scope, rel.parent!.txId).children.map((c) => c.txId)).toEqual([
      close.txId,
    ]);

    // The chart's earnings (inferred own addresses + common) equal the tracker's own.fact.
    const common = resultOf<{ state: { own: { fact: string } } }>(
      await client.request(8192, peer.json({ address: peer.commonAddress })),
    );
    const chart = cache.chart(scope, { buckets: 20, commonAddress: peer.commonAddress });
    expect(chart).toHaveLength(20);
    expect(chart.reduce((s, p) => s + BigInt(p.earned), 0n).toString()).toBe(common.state.own.fact);

    // Incremental: 250 new transactions, pages of 100 → 3 pages (the third holds known items).
    await openIncomes(250);
    const small = new HistorySync(cache, { pageSize: 100 });
    const src2 = new RawSource(client, peer, trackerPem);
    const r2 = await small.sync(scope, 'id1', src2);
    console.log(`incremental sync of 250 new items: ${r2.pages} pages, ${r2.fetched} items fetched`);
    expect(r2.error).toBeNull();
    expect(r2).toMatchObject({ complete: true, added: 250, total: total + 250, pages: 3, fetched: 300 });
    expect(cache.transactions.count(scope)).toBe(total + 250);
    // Nothing new: one page.
    const r3 = await small.sync(scope, 'id1', src2);
    expect(r3).toMatchObject({ complete: true, added: 0, pages: 1 });
    expect(r3.lastSyncedAt!).toBeGreaterThanOrEqual(r2.lastSyncedAt!);
    cache.close();
  });

  it('a cached item is the exact item the tracker sent, and its signature verifies again', async () => {
    const cache = new HistoryCache(join(dir, 'exact.sqlite'));
    const r = await new HistorySync(cache).sync(scope, 'id1', new RawSource(client, peer, trackerPem));
    expect(r).toMatchObject({ complete: true, error: null });
    // The newest 1000 items as the tracker sends them (its JSON text, key order, numbers).
    const page = JSON.parse(
      (
        (await client.request(1024, peer.json({ limits: { pageSize: 1000, page: 1 } }))).data as {
          message: string;
        }
      ).message,
    ) as { items: Record<string, unknown>[] };
    expect(page.items.length).toBe(1000);
    const verifier = itemVerifier(trackerPem);
    for (const sent of page.items) {
      const kept = cache.transactions.rawItem(scope, sent.tx_id as string);
      expect(JSON.stringify(kept)).toBe(JSON.stringify(sent));
      expect(itemSignatureVerdict(kept!, verifier)).toBe('valid');
    }
    cache.close();
  });

  it('a routine refresh of a complete cache reads one small page and verifies only new items', async () => {
    const cache = new HistoryCache(join(dir, 'routine.sqlite'));
    const sync = new HistorySync(cache, { pageSize: 1000, incrementalPageSize: 100 });
    const first = await sync.sync(scope, 'id1', new RawSource(client, peer, trackerPem));
    expect(first).toMatchObject({ complete: true, error: null });
    await openIncomes(30);
    const source = new RawSource(client, peer, trackerPem);
    const r = await sync.sync(scope, 'id1', source);
    // One page of 100: 30 new items, then known ones (the tracker sent 100, not 1000).
    expect(r).toMatchObject({ complete: true, added: 30, pages: 1, fetched: 100, invalid: 0 });
    expect(cache.transactions.count(scope)).toBe(r.total);
    const fresh = cache.transactions.query(scope, { limit: 30 }).items;
    expect(fresh.every((i) => i.signature === 'valid')).toBe(true);
    cache.close();
  });

  it('an interrupted first sync resumes below what it already has (after a restart) with no duplicates', async () => {
    const path = join(dir, 'resume.sqlite');
    let cache = new HistoryCache(path);
    const source = new RawSource(client, peer, trackerPem);
    source.failAfterPages = 2;
    const r1 = await new HistorySync(cache, { pageSize: 500 }).sync(scope, 'id1', source);
    expect(r1.error).toMatch(/connection lost/);
    expect(r1).toMatchObject({ running: false, complete: false, added: 1000 });
    const total1 = r1.total!;
    expect(cache.syncMeta.get(scope)).toMatchObject({
      complete: false,
      lastSyncedAt: null,
      pending: { total: total1, covered: 1000, baseComplete: false },
    });
    // The app restarts, the tracker gains 120 transactions meanwhile.
    cache.close();
    await openIncomes(120);
    cache = new HistoryCache(path);
    const src2 = new RawSource(client, peer, trackerPem);
    const r2 = await new HistorySync(cache, { pageSize: 500 }).sync(scope, 'id1', src2);
    const total = total1 + 120;
    console.log(`resumed sync: ${r2.pages} pages (a full walk is ${Math.ceil(total / 500)})`);
    expect(r2.error).toBeNull();
    expect(r2).toMatchObject({ complete: true, total, added: total - 1000 });
    // Page 2 (positions 500–999) lay wholly inside the saved run: it was jumped over.
    expect(r2.pages).toBe(Math.ceil(total / 500) - 1);
    expect(cache.transactions.count(scope)).toBe(total);
    const items = allCached(cache);
    expect(new Set(items.map((i) => i.txId)).size).toBe(total);
    expect(items.every((i) => i.signature === 'valid')).toBe(true);
    expect(cache.syncMeta.get(scope)).toMatchObject({ complete: true, pending: null });

    // An interrupted incremental sync resumes too and stops at the complete part below.
    await openIncomes(300);
    const src3 = new RawSource(client, peer, trackerPem);
    src3.failAfterPages = 1;
    const r3 = await new HistorySync(cache, { pageSize: 100 }).sync(scope, 'id1', src3);
    expect(r3).toMatchObject({ complete: false, added: 100 });
    expect(cache.syncMeta.get(scope).pending).toMatchObject({ covered: 100, baseComplete: true });
    const r4 = await new HistorySync(cache, { pageSize: 100 }).sync(
      scope,
      'id1',
      new RawSource(client, peer, trackerPem),
    );
    expect(r4).toMatchObject({ complete: true, added: 200, error: null });
    expect(r4.pages).toBe(4); // page 1 is the saved run, pages 2–3 the 200 missing ones, page 4 known items
    expect(cache.transactions.count(scope)).toBe(total + 300);
    cache.close();
  });

  it('saved progress that does not match the tracker falls back to reading every page', async () => {
    const cache = new HistoryCache(join(dir, 'fallback.sqlite'));
    const src = new RawSource(client, peer, trackerPem);
    src.failAfterPages = 1;
    const r1 = await new HistorySync(cache, { pageSize: 500 }).sync(scope, 'id1', src);
    expect(r1).toMatchObject({ complete: false, added: 500 });
    const total = r1.total!;
    const fullWalk = Math.ceil(total / 500);
    // Progress claiming positions 1000–2199 are cached (only 0–499 are): the jump lands on page 5,
    // finds none of its items cached and reads everything from the top.
    cache.syncMeta.update(scope, { pending: { total: total - 1000, covered: 1200, baseComplete: false } });
    const r2 = await new HistorySync(cache, { pageSize: 500 }).sync(
      scope,
      'id1',
      new RawSource(client, peer, trackerPem),
    );
    expect(r2).toMatchObject({ complete: true, error: null, added: total - 500 });
    expect(r2.pages).toBe(3 + fullWalk); // pages 1, 2, 5, then 1…last
    expect(cache.transactions.count(scope)).toBe(total);
    // Progress from a longer history than the tracker now has: trust nothing, read it all.
    cache.syncMeta.update(scope, {
      complete: false,
      pending: { total: total + 100, covered: 500, baseComplete: true },
    });
    const r3 = await new HistorySync(cache, { pageSize: 500 }).sync(
      scope,
      'id1',
      new RawSource(client, peer, trackerPem),
    );
    expect(r3).toMatchObject({ complete: true, error: null, added: 0, pages: fullWalk });
    cache.close();
  });

  it('marks a tampered item invalid, skips malformed ones, and survives a lost cursor', async () => {
    const cache = new HistoryCache(join(dir, 'tamper.sqlite'));
    const source = new RawSource(client, peer, trackerPem);
    let tamperedId = '';
    source.alter = (items, page) => {
      if (page === 1 && items.length > 5) {
        const it = { ...(items[5] as Record<string, unknown>) };
        it.amount = Number(it.amount) + 1;
        tamperedId = it.tx_id as string;
        return [...items.slice(0, 5), it, ...items.slice(6)];
      }
      if (page === 3) return [...items, { tx_id: 42, garbage: true }];
      return items;
    };
    source.wrongCursor = 1; // page 2 is asked with an unknown cursor: CURSOR_NOT_FOUND
    const sync = new HistorySync(cache, { pageSize: 1000, touchAfterMs: 0 });
    const r = await sync.sync(scope, 'id1', source);
    const total = await trackerTotal();
    expect(r.error).toBeNull();
    expect(r).toMatchObject({ complete: true, total, restarts: 1, invalid: 1, errors: 1, unverifiable: 0 });
    expect(source.calls.first).toBe(2);
    expect(r.touches).toBeGreaterThan(0); // touchAfterMs 0: cmd 4096 before every next page, accepted
    expect(source.calls.touch).toBe(r.touches);
    expect(cache.transactions.count(scope)).toBe(total);
    const bad = cache.transactions.item(scope, tamperedId).item!;
    expect(bad.signature).toBe('invalid');
    const items = allCached(cache);
    expect(items.filter((i) => i.signature !== 'valid').map((i) => i.txId)).toEqual([tamperedId]);

    // A cursor that keeps failing ends the sync with an error, progress kept.
    const cache2 = new HistoryCache(join(dir, 'lost.sqlite'));
    const src2 = new RawSource(client, peer, trackerPem);
    src2.wrongCursor = 100;
    const r2 = await new HistorySync(cache2, { pageSize: 1000, maxRestarts: 2 }).sync(scope, 'id1', src2);
    expect(r2).toMatchObject({ complete: false, restarts: 2, added: 1000 });
    expect(r2.error).toMatch(/cursor/i);
    cache2.close();
    cache.close();
  });

  it('reads work offline: the tracker stopped, the cache reopened', async () => {
    // A tracker of its own: the one the other tests share keeps running.
    const own = await startLedger({
      env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '100' },
      args: ['--quiet'],
    });
    const ownClient = await RawClient.connect(own.url);
    const ownPem = resultOf<string>(await ownClient.request(1, peer.pemPayload()));
    await openIncomes(60, ownClient);
    const path = join(dir, 'offline.sqlite');
    let cache = new HistoryCache(path);
    const r = await new HistorySync(cache).sync(scope, 'id1', new RawSource(ownClient, peer, ownPem));
    expect(r.complete).toBe(true);
    const before = allCached(cache);
    expect(before).toHaveLength(r.total!);

    ownClient.close();
    await own.stop();
    rmSync(own.dir, { recursive: true, force: true });
    expect(allCached(cache)).toEqual(before);
    const page = cache.transactions.query(scope, { limit: 50, filter: { types: [2] } });
    expect(page.items).toHaveLength(50);
    expect(page.total).toBe(before.filter((i) => i.txType === 2).length);
    cache.close();

    cache = new HistoryCache(path);
    expect(allCached(cache)).toEqual(before);
    expect(cache.syncMeta.get(scope)).toMatchObject({ complete: true, lastSyncedAt: r.lastSyncedAt });
    // A sync attempt while offline reports the failure and leaves the cache as it was.
    const failing: HistorySource = {
      trackerPem: ownPem,
      first: () => Promise.reject(Object.assign(new Error('the tracker is offline'), { code: 'OFFLINE' })),
      next: () => Promise.reject(new Error('unreachable')),
      touch: () => Promise.reject(new Error('unreachable')),
    };
    const sync = new HistorySync(cache);
    const r2 = await sync.sync(scope, 'id1', failing);
    expect(r2).toMatchObject({ running: false, complete: false, error: 'the tracker is offline', added: 0 });
    expect(sync.status(scope, 'id1')).toMatchObject({
      error: 'the tracker is offline',
      lastSyncedAt: r.lastSyncedAt,
    });
    expect(cache.transactions.count(scope)).toBe(before.length);
    expect(cache.syncMeta.get(scope).complete).toBe(true);
    cache.close();
  });
});
