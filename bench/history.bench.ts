/**
 * History cache: insert throughput (HistoryCache.insertItems in the sync's batches of 5000, beside a
 * bare better-sqlite3 prepared-insert loop of the same rows into the same schema, same batches, same
 * run), page reads (limit 100) at the newest page and 100,000 rows deep by keyset (median of 20, target
 * < 5 ms), a few filtered reads, CSV export, chart, and process memory with 200,000 cached items.
 * Synthetic items look like the tracker's: 40-char ids, checksummed addresses, a 2048-bit base64
 * signature and the tracker PEM in the raw item. Everything lives in a temp dir removed at the end.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { HistoryCache } from '../electron/services/history/cache';
import type { TransactionStore } from '../electron/services/history/transaction-store';
import type { CachedItem } from '../electron/services/history/sync';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PEM = `-----BEGIN PUBLIC KEY-----\n${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(64, 'x')}\n${'y'.repeat(64)}\n${'z'.repeat(64)}\n${'w'.repeat(64)}\n${'v'.repeat(64)}\n${'u'.repeat(64)}\nIDAQAB\n-----END PUBLIC KEY-----\n`;
const BASE = Date.UTC(2025, 0, 1);
const TYPES = [2, 4, 8, 16, 16, 16, 8, 32, 64, 128];

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function str(r: () => number, alphabet: string, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Batch `b` (items b*size … b*size+size-1) of the synthetic history; deterministic. */
export function batch(b: number, size: number, addresses: string[]): CachedItem[] {
  const r = rng(1000 + b);
  const out: CachedItem[] = [];
  for (let k = 0; k < size; k++) {
    const i = b * size + k;
    const txType = TYPES[Math.floor(r() * TYPES.length)]!;
    const timestamp = BASE + Math.floor(i / 3) * 7; // ties of three
    const item = {
      tx_id: str(r, ALPHABET, 40),
      parent_tx_id: txType === 16 || txType === 64 ? str(r, ALPHABET, 40) : '',
      tx_type: txType,
      from: addresses[Math.floor(r() * addresses.length)]!,
      to: addresses[Math.floor(r() * addresses.length)]!,
      amount: Math.floor(r() * 1e9),
      volume: Math.floor(r() * 1e10),
      quantum_count: Math.floor(r() * 1000),
      contract_id: txType === 8 || txType === 16 ? `ch-${Math.floor(r() * 50_000)}` : '',
      price_amount: 1000,
      price_quantum_power: 20,
      planned_quantum_count: 10,
      timelock: timestamp + 300_000,
      timestamp,
      status: 1,
      version: '1',
      pk: PEM,
      sign: `${str(r, B64, 342)}==`,
    };
    out.push({
      txId: item.tx_id,
      parentTxId: item.parent_tx_id,
      txType,
      from: item.from,
      to: item.to,
      amount: String(item.amount),
      volume: String(item.volume),
      quantumCount: String(item.quantum_count),
      contractId: item.contract_id,
      priceAmount: '1000',
      pricePower: 20,
      plannedQuantumCount: '10',
      timelock: item.timelock,
      timestamp,
      status: 1,
      signature: 'valid',
      version: '1',
      pk: PEM,
      raw: item,
    });
  }
  return out;
}

/** global.gc, or one obtained without --expose-gc (so heapUsed counts live objects only). */
function collector(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const v = f();
  return [v, performance.now() - t];
}

const ms = (x: number): number => +x.toFixed(3);
const mb = (bytes: number): number => +(bytes / 1048576).toFixed(1);

export async function benchHistory(opts: { items?: number } = {}): Promise<Record<string, string | number>> {
  const N = opts.items ?? 200_000;
  // HistorySync stores new items 5000 per database transaction (flushItems): both loops use that.
  const BATCH = 5000;
  const batches = Math.ceil(N / BATCH);
  const dir = mkdtempSync(join(tmpdir(), 'wt-history-bench-'));
  const r0 = rng(7);
  const addresses = Array.from(
    { length: 400 },
    (_, i) => `0x0${'bcd'[i % 3]}${str(r0, '0123456789abcdef', 15)}${str(r0, ALPHABET, 40)}`,
  );
  const gc = collector();
  gc?.();
  const out: Record<string, string | number> = {
    items: N,
    insert_batch: BATCH,
    rss_before_mb: mb(process.memoryUsage().rss),
  };
  try {
    // ---- raw baseline: same schema (created by HistoryCache, then closed), same rows, same batches
    const rawPath = join(dir, 'raw.sqlite');
    new HistoryCache(rawPath).close();
    const raw = new Database(rawPath);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('cache_size = -32768');
    raw.prepare(`INSERT INTO scopes (id, scope) VALUES (1, 's')`).run();
    raw.prepare(`INSERT INTO pems (id, pem) VALUES (1, ?)`).run(PEM);
    const ins = raw.prepare(`INSERT OR IGNORE INTO tx (scope_id, tx_id, parent_tx_id, tx_type, from_address,
      to_address, amount, volume, quantum_count, contract_id, price_amount, price_quantum_power,
      planned_quantum_count, timelock, timestamp, status, signature, version, pk_id, raw)
      VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`);
    const rawBatch = raw.transaction((items: CachedItem[]) => {
      for (const it of items) {
        const { pk: _pk, ...rest } = it.raw;
        ins.run(
          it.txId,
          it.parentTxId,
          it.txType,
          it.from,
          it.to,
          it.amount,
          it.volume,
          it.quantumCount,
          it.contractId,
          it.priceAmount,
          it.pricePower,
          it.plannedQuantumCount,
          it.timelock,
          it.timestamp,
          it.status,
          it.signature,
          it.version,
          JSON.stringify(rest),
        );
      }
    });
    // ---- HistoryCache.insertItems, interleaved batch by batch with the raw loop (same noise for both)
    const path = join(dir, 'cache.sqlite');
    const cache = new HistoryCache(path);
    const scope = 'tracker-fp:identity-fp';
    let rawMs = 0;
    let cacheMs = 0;
    let added = 0;
    for (let b = 0; b < batches; b++) {
      const items = batch(b, Math.min(BATCH, N - b * BATCH), addresses);
      // Alternate which goes first (the first one also pays for the garbage of generating the batch).
      const runRaw = () => (rawMs += timed(() => rawBatch(items))[1]);
      const runCache = () => {
        const [n, t] = timed(() => cache.transactions.insertItems(scope, items));
        added += n;
        cacheMs += t;
      };
      if (b % 2 === 0) {
        runRaw();
        runCache();
      } else {
        runCache();
        runRaw();
      }
    }
    raw.close();
    out.raw_insert_items_per_s = Math.round(N / (rawMs / 1000));
    out.cache_insert_items_per_s = Math.round(added / (cacheMs / 1000));
    out.cache_vs_raw_insert = +(rawMs / cacheMs).toFixed(2);
    // Re-inserting a page already cached (what an overlapping sync page costs).
    out.cache_insert_duplicate_page_ms = ms(
      timed(() => cache.transactions.insertItems(scope, batch(0, 1000, addresses)))[1],
    );
    out.file_mb = mb(statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0));

    // ---- reads
    const [, coldCount] = timed(() => cache.transactions.count(scope));
    out.count_cold_ms = ms(coldCount);
    const newest: number[] = [];
    for (let i = 0; i < 20; i++) newest.push(timed(() => cache.transactions.query(scope, { limit: 100 }))[1]);
    out.page_newest_median_ms = ms(median(newest));

    let after: string | null = null;
    const [, walkMs] = timed(() => {
      for (let i = 0; i < 1000; i++) after = cache.transactions.query(scope, { after, limit: 100 }).next;
    });
    out.walk_1000_pages_ms = ms(walkMs);
    const deep: number[] = [];
    let deepCount = 0;
    for (let i = 0; i < 20; i++) {
      const [p, t] = timed(() => cache.transactions.query(scope, { after, limit: 100 }));
      deepCount = p.items.length;
      deep.push(t);
    }
    if (deepCount !== 100) throw new Error(`page at 100,000 has ${deepCount} items`);
    out.page_at_100k_median_ms = ms(median(deep));

    const filtered = (filter: Parameters<TransactionStore['query']>[1]): number => {
      const f = filter?.filter ?? {};
      cache.transactions.query(scope, { filter: f, limit: 100 }); // fills the count cache
      const xs: number[] = [];
      for (let i = 0; i < 10; i++)
        xs.push(timed(() => cache.transactions.query(scope, { filter: f, limit: 100 }))[1]);
      return ms(median(xs));
    };
    const count = (f: Parameters<TransactionStore['count']>[1]) =>
      timed(() => cache.transactions.count(scope, f))[1];
    out.page_type_16_median_ms = filtered({ filter: { types: [16] } });
    out.page_types_2_4_median_ms = filtered({ filter: { types: [2, 4] } });
    out.page_address_median_ms = filtered({ filter: { address: addresses[5]! } });
    out.page_channel_median_ms = filtered({ filter: { channelId: 'ch-123' } });
    out.page_search_median_ms = filtered({ filter: { search: 'abc' } });
    out.count_address_cold_ms = ms(count({ address: addresses[6]! }));
    out.count_search_cold_ms = ms(count({ search: 'xyz' }));

    const [pts, chartMs] = timed(() =>
      cache.chart(scope, { buckets: 30, ownAddresses: addresses.slice(0, 50) }),
    );
    out.chart_30_buckets_ms = ms(chartMs);
    if (pts.length !== 30) throw new Error('chart');

    const t0 = performance.now();
    const rows = await cache.exportCsv(scope, {}, join(dir, 'export.csv'));
    out.export_csv_rows = rows;
    out.export_csv_ms = ms(performance.now() - t0);
    out.export_csv_mb = mb(statSync(join(dir, 'export.csv')).size);

    gc?.();
    const mem = process.memoryUsage();
    out.rss_mb = mb(mem.rss);
    out.heap_used_mb = mb(mem.heapUsed);
    cache.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchHistory()
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
