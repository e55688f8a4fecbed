/**
 * History cache with 200,000 items: bytes per item (target ≤ 800), search by id, address and label
 * (target < 5 ms per page, < 20 ms per count), insert throughput beside a bare better-sqlite3 loop of
 * the same rows into the same schema (same batches, same run), page reads, CSV export, chart and
 * process memory.
 *
 * Synthetic items look like the tracker's (its JSON layout, 40-character ids, checksummed-looking
 * addresses, a 2048-bit signature, the tracker PEM in every item) and are stored newest first, as a
 * sync stores them. Labels: 2,000 transactions (20 words, ~100 transactions each), 40 addresses
 * (~1,000 transactions each) and 500 channels. Everything lives in a temp dir removed at the end.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import type { HistoryFilter } from '../shared/api/models';
import type { Label } from '../shared/api/labels';
import { HistoryCache } from '../electron/services/history/cache';
import { encodeItem, VERDICT_CODES } from '../electron/services/history/item-codec';
import type { CachedItem } from '../electron/services/history/sync';
import { LabelStore } from '../electron/services/labels/label-store';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const PEM = `-----BEGIN PUBLIC KEY-----\n${'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'.padEnd(64, 'x')}\n${'y'.repeat(64)}\n${'z'.repeat(64)}\n${'w'.repeat(64)}\n${'v'.repeat(64)}\n${'u'.repeat(64)}\nIDAQAB\n-----END PUBLIC KEY-----\n`;
const BASE = Date.UTC(2025, 0, 1);
const TYPES = [2, 4, 8, 16, 16, 16, 8, 32, 64, 128];
const COMPANIES = [
  'acme',
  'globex',
  'initech',
  'umbrella',
  'hooli',
  'vandelay',
  'wonka',
  'stark',
  'wayne',
  'tyrell',
];
const WORDS = [
  'rent',
  'coffee',
  'salary',
  'hosting',
  'refund',
  'stream',
  'backup',
  'render',
  'upload',
  'mirror',
  'relay',
  'edge',
  'origin',
  'peering',
  'transit',
  'archive',
  'preview',
  'trailer',
  'premiere',
  'replay',
];

function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` pseudo-random bytes: a signature's size and form (canonical base64 once encoded). */
function bytes(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function str(r: () => number, alphabet: string, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Channel `k` of 50,000, an id of the app's form (`ch-<time base 36>-<12 hex>`, 24 characters). */
function channelId(k: number): string {
  return `ch-${(1_735_000_000_000 + k * 1000).toString(36)}-${k.toString(16).padStart(12, '0')}`;
}

/** `count` synthetic addresses (spend, income and common kinds), deterministic. */
export function benchAddresses(count: number): string[] {
  const r = rng(7);
  return Array.from(
    { length: count },
    (_, i) => `0x0${'bcd'[i % 3]}${str(r, '0123456789abcdef', 15)}${str(r, ALPHABET, 40)}`,
  );
}

/**
 * Batch `b` (items b*size … b*size+size-1) of the synthetic history, deterministic: newest first
 * (item i is older than item i−1; ties of three), as the tracker pages them.
 */
export function batch(b: number, size: number, addresses: string[]): CachedItem[] {
  const r = rng(1000 + b);
  const out: CachedItem[] = [];
  for (let k = 0; k < size; k++) {
    const i = b * size + k;
    const txType = TYPES[Math.floor(r() * TYPES.length)]!;
    const timestamp = BASE - Math.floor(i / 3) * 7;
    const item = {
      tx_id: str(r, ALPHABET, 40),
      parent_tx_id: txType === 16 || txType === 64 ? str(r, ALPHABET, 40) : '',
      tx_type: txType,
      from: addresses[Math.floor(r() * addresses.length)]!,
      to: addresses[Math.floor(r() * addresses.length)]!,
      amount: Math.floor(r() * 1e9),
      volume: Math.floor(r() * 1e10),
      quantum_count: Math.floor(r() * 1000),
      contract_id: txType === 8 || txType === 16 ? channelId(Math.floor(r() * 50_000)) : '',
      price_amount: 1000,
      price_quantum_power: 20,
      planned_quantum_count: 10,
      timelock: timestamp + 300_000,
      timestamp,
      status: 1,
      version: '1',
      pk: PEM,
      sign: bytes(r, 256).toString('base64'),
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

export function median(xs: number[]): number {
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

/**
 * Opens `path` (a cache file made by HistoryCache) with plain better-sqlite3 and returns a batch
 * insert of encoded rows into its `tx` table: the bare loop the cache is measured against.
 */
export function bareInserter(path: string): {
  insert(items: CachedItem[]): void;
  /** Time spent in the insert loop so far, ms. */
  readonly ms: number;
  close(): void;
} {
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('cache_size = -32768');
  // A scope of its own (the file may hold other scopes' items already).
  raw.prepare(`INSERT OR IGNORE INTO scopes (scope) VALUES ('bare loop')`).run();
  const scopeId = (raw.prepare(`SELECT id FROM scopes WHERE scope = 'bare loop'`).get() as { id: number }).id;
  raw.prepare(`INSERT OR IGNORE INTO pems (pem) VALUES (?)`).run(PEM);
  const pemId = (raw.prepare(`SELECT id FROM pems WHERE pem = ?`).get(PEM) as { id: number }).id;
  const shape = raw.prepare(`INSERT OR IGNORE INTO shapes (shape) VALUES (?)`);
  const shapeId = raw.prepare(`SELECT id FROM shapes WHERE shape = ?`);
  const address = raw.prepare(`INSERT OR IGNORE INTO addresses (address) VALUES (?)`);
  const addressId = raw.prepare(`SELECT id FROM addresses WHERE address = ?`);
  const ins = raw.prepare(`INSERT OR IGNORE INTO tx (scope_id, timestamp, tx_id, parent_tx_id, tx_type,
    from_id, to_id, amount, volume, quantum_count, contract_id, price_amount, price_quantum_power,
    planned_quantum_count, timelock, status, version, verdict, pk_id, shape_id, sign, extra)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const ids = new Map<string, number>();
  const idOf = (table: 'addresses' | 'shapes', value: string): number => {
    const key = `${table}\n${value}`;
    let id = ids.get(key);
    if (id === undefined) {
      (table === 'addresses' ? address : shape).run(value);
      id = ((table === 'addresses' ? addressId : shapeId).get(value) as { id: number }).id;
      ids.set(key, id);
    }
    return id;
  };
  const run = raw.transaction((rows: unknown[][]) => {
    for (const row of rows) ins.run(...row);
  });
  let spent = 0;
  return {
    get ms() {
      return spent;
    },
    // Rows are built (encoded, ids looked up) before the clock: the loop times the inserts alone.
    insert(items) {
      const rows = items.map((it) => {
        const e = encodeItem(it.raw)!;
        return [
          scopeId,
          e.timestamp,
          e.txId,
          e.parentTxId,
          e.txType,
          idOf('addresses', e.from),
          idOf('addresses', e.to),
          e.amount,
          e.volume,
          e.quantumCount,
          e.contractId,
          e.priceAmount,
          e.pricePower,
          e.plannedQuantumCount,
          e.timelock,
          e.status,
          e.version,
          VERDICT_CODES[it.signature],
          pemId,
          idOf('shapes', e.shape),
          e.sign,
          e.extra,
        ];
      });
      const t = performance.now();
      run(rows);
      spent += performance.now() - t;
    },
    close: () => raw.close(),
  };
}

/** Bytes per item of each table and index of a cache file (SQLite's dbstat). */
function bytesPerItemByTable(path: string, items: number): string {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name HAVING bytes > ? ORDER BY bytes DESC`,
      )
      .all(items) as { name: string; bytes: number }[];
    return rows.map((r) => `${r.name} ${Math.round(r.bytes / items)}`).join(', ');
  } finally {
    db.close();
  }
}

function labelsFor(items: CachedItem[], addresses: string[]): Label[] {
  const r = rng(99);
  const labels: Label[] = [];
  for (let i = 0; i < 2000; i++) {
    const it = items[Math.floor(r() * items.length)]!;
    labels.push({ type: 'tx', ref: it.txId, label: `${WORDS[i % WORDS.length]} ${i}` });
  }
  for (let i = 0; i < 40; i++) {
    labels.push({
      type: 'addr',
      ref: addresses[i * 10]!,
      label: `supplier ${COMPANIES[i % 10]}${'abcd'[Math.floor(i / 10)]} ltd`,
    });
  }
  for (let i = 0; i < 500; i++)
    labels.push({ type: 'channel', ref: channelId(i * 97), label: `stream deal ${i}` });
  return labels;
}

export async function benchHistory(opts: { items?: number } = {}): Promise<Record<string, string | number>> {
  const N = opts.items ?? 200_000;
  // HistorySync stores new items 5000 per database transaction (flushItems): both loops use that.
  const BATCH = 5000;
  const batches = Math.ceil(N / BATCH);
  const dir = mkdtempSync(join(tmpdir(), 'wt-history-bench-'));
  const addresses = benchAddresses(400);
  const gc = collector();
  gc?.();
  const out: Record<string, string | number> = { 'items cached': N };
  const rssBefore = process.memoryUsage().rss;
  try {
    // ---- bare baseline: same schema (created by HistoryCache, then closed), same rows, same batches
    const rawPath = join(dir, 'raw.sqlite');
    new HistoryCache(rawPath).close();
    const bare = bareInserter(rawPath);
    const labels = new LabelStore(join(dir, 'labels.sqlite'));
    const path = join(dir, 'cache.sqlite');
    const cache = new HistoryCache(path, { labelsPath: labels.path });
    const scope = 'tracker-fp|identity-fp';
    let cacheMs = 0;
    let added = 0;
    const sample: CachedItem[] = [];
    for (let b = 0; b < batches; b++) {
      const items = batch(b, Math.min(BATCH, N - b * BATCH), addresses);
      for (let i = 0; i < items.length; i += 50) sample.push(items[i]!);
      // Alternate which goes first (the first one also pays for the garbage of generating the batch).
      const runCache = () => {
        const [n, t] = timed(() => cache.transactions.insertItems(scope, items));
        added += n;
        cacheMs += t;
      };
      if (b % 2 === 0) {
        bare.insert(items);
        runCache();
      } else {
        runCache();
        bare.insert(items);
      }
    }
    bare.close();
    const rawMs = bare.ms;
    cache.close();
    const fileBytes = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    out['file size, MB'] = mb(fileBytes);
    out['bytes per item (target ≤ 800)'] = Math.round(fileBytes / N);
    out['bytes per item by table and index'] = bytesPerItemByTable(path, N);
    out['insert: bare better-sqlite3 loop, items/s'] = Math.round(N / (rawMs / 1000));
    out['insert: HistoryCache.insertItems (validates and encodes), items/s'] = Math.round(
      added / (cacheMs / 1000),
    );
    out['insert: cache vs bare loop'] = +(rawMs / cacheMs).toFixed(2);

    labels.merge(labelsFor(sample, addresses));
    const reopened = new HistoryCache(path, { labelsPath: labels.path });
    labels.onChange(() => reopened.labelsChanged());
    const t = reopened.transactions;

    // ---- pages
    const newest: number[] = [];
    for (let i = 0; i < 20; i++) newest.push(timed(() => t.query(scope, { limit: 100 }))[1]);
    out['page: newest 100, median ms'] = ms(median(newest));
    let after: string | null = null;
    const [, walkMs] = timed(() => {
      for (let i = 0; i < 1000; i++) after = t.query(scope, { after, limit: 100 }).next;
    });
    out['page: walk of 1,000 pages of 100, ms'] = ms(walkMs);
    const deep: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [p, d] = timed(() => t.query(scope, { after, limit: 100 }));
      if (p.items.length !== 100) throw new Error(`page at 100,000 has ${p.items.length} items`);
      deep.push(d);
    }
    out['page: 100 at 100,000 deep (keyset), median ms'] = ms(median(deep));

    /** Median page time (count already cached) and median cold count time over filters. */
    const measure = (filters: HistoryFilter[]): { page: number; count: number; matches: number } => {
      const pages: number[] = [];
      const counts: number[] = [];
      let matches = 0;
      for (const filter of filters) {
        reopened.labelsChanged(); // drops cached counts: every count below is a cold one
        const [n, c] = timed(() => t.count(scope, filter));
        counts.push(c);
        matches += n;
        for (let i = 0; i < 5; i++) pages.push(timed(() => t.query(scope, { filter, limit: 100 }))[1]);
      }
      return {
        page: ms(median(pages)),
        count: ms(median(counts)),
        matches: Math.round(matches / filters.length),
      };
    };
    const report = (name: string, filters: HistoryFilter[]) => {
      const m = measure(filters);
      out[`${name}: page of 100, median ms (target < 5)`] = m.page;
      out[`${name}: count, median ms (target < 20)`] = m.count;
      out[`${name}: matching items (mean)`] = m.matches;
    };
    const pick = (k: number) => sample[Math.floor((k * 7919) % sample.length)]!;
    report(
      'search by id (first 10 characters)',
      Array.from({ length: 10 }, (_, k) => ({ search: pick(k).txId.slice(0, 10) })),
    );
    report(
      'search by id (whole)',
      Array.from({ length: 10 }, (_, k) => ({ search: pick(k + 10).txId })),
    );
    report(
      'search by address (whole)',
      Array.from({ length: 10 }, (_, k) => ({ search: addresses[k * 37 + 1]! })),
    );
    report(
      'search by address (first 12 characters)',
      Array.from({ length: 10 }, (_, k) => ({ search: addresses[k * 37 + 2]!.slice(0, 12) })),
    );
    report(
      'search by label of ~100 transactions',
      WORDS.slice(0, 10).map((w) => ({ search: w })),
    );
    report(
      'search by label of an address (~1,000 transactions)',
      Array.from({ length: 10 }, (_, k) => ({ search: `${COMPANIES[k]}a` })),
    );
    report('filter: type CLOSE_TRANSFER', [{ types: [16] }]);
    report(
      'filter: address',
      Array.from({ length: 10 }, (_, k) => ({ address: addresses[k * 13 + 3]! })),
    );
    report('filter: address + type + search', [{ address: addresses[5]!, types: [16], search: 'ch-' }]);

    const [pts, chartMs] = timed(() =>
      reopened.chart(scope, { buckets: 30, ownAddresses: addresses.slice(0, 50) }),
    );
    if (pts.length !== 30) throw new Error('chart');
    out['chart of 30 buckets, ms'] = ms(chartMs);

    const t0 = performance.now();
    const rows = await reopened.exportCsv(scope, {}, join(dir, 'export.csv'));
    out['CSV export, rows'] = rows;
    out['CSV export, ms'] = ms(performance.now() - t0);
    out['CSV export, MB'] = mb(statSync(join(dir, 'export.csv')).size);

    gc?.();
    const mem = process.memoryUsage();
    out['process RSS before, MB'] = mb(rssBefore);
    out['process RSS after, MB'] = mb(mem.rss);
    out['JS heap used after a GC, MB'] = mb(mem.heapUsed);
    reopened.close();
    labels.close();
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const items = Number(process.argv[2] ?? 200_000);
  benchHistory({ items })
    .then((r) => console.log(r))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
