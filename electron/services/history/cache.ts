/**
 * The local history cache (SPEC §7: the full history survives restarts and works offline): one SQLite
 * file holding, per scope (a key the caller chooses, e.g. `${trackerFingerprint}:${identityFingerprint}`),
 * the transactions fetched from the tracker with their signature verdicts, the last known states of
 * addresses, channels and the common address, and the sync bookkeeping.
 *
 * Plain Node (no Electron). Money and byte counts are decimal TEXT in the file and bigint in arithmetic.
 * WAL journal + synchronous=NORMAL: a crash of the app or the machine may lose the last committed
 * transactions (they are fetched again on the next sync) but never corrupts the file.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import type { z } from 'zod';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import {
  addressView,
  channelView,
  commonStateView,
  historyFilter,
  type AddressView,
  type ChannelView,
  type ChartPoint,
  type CommonStateView,
  type HistoryFilter,
  type HistoryItem,
  type HistoryPage,
} from '../../../shared/api/models';
import { TX_TYPE_NAMES, TxType, type TxTypeCode } from '../../../shared/protocol/commands';

export type SignatureVerdict = 'valid' | 'invalid' | 'unverifiable';

/** One transaction as the cache stores it: the model fields plus what the model leaves out. */
export interface CachedItem extends HistoryItem {
  version: string;
  /** The signer's PEM as the item carried it (stored once per distinct PEM). */
  pk: string;
  /** The item exactly as received (JSON object), `sign` and unknown extra fields included. */
  raw: Record<string, unknown>;
}

export interface HistoryQueryOptions {
  filter?: HistoryFilter;
  /** The `next` of the previous page; absent/null for the newest page. */
  after?: string | null;
  /** 1–1000, default 100. */
  limit?: number;
}

export interface ItemWithRelations {
  item: HistoryItem | null;
  parent: HistoryItem | null;
  /** Items whose parent_tx_id is the item's id, oldest first. */
  children: HistoryItem[];
}

/** Bookkeeping of HistorySync (see sync.ts for how the fields are used). */
export interface SyncMeta {
  /** End of the last sync that completed. */
  lastSyncedAt: number | null;
  /** Newest cached tx_id (by timestamp, then tx_id). */
  newestTxId: string | null;
  /** A sync completed: the cache held every item the tracker had at lastSyncedAt. */
  complete: boolean;
  /**
   * An unfinished sync: positions 0..covered-1 (newest first) of a tracker cursor holding `total`
   * items are in the cache (or were rejected as malformed); baseComplete: everything older than
   * those positions that the cache already had before that sync formed a complete history.
   */
  pending: { total: number; covered: number; baseComplete: boolean } | null;
}

export interface ChartOptions {
  /** Number of equal time buckets over the span of the cached items (1–1000). */
  buckets: number;
  /**
   * The caller's own spend/income/common addresses. When absent they are inferred: every `to` of an
   * OPEN_SPEND/OPEN_INCOME item of the scope (each address of the identity is opened by a
   * transaction in its own history) plus `commonAddress`.
   */
  ownAddresses?: readonly string[];
  commonAddress?: string;
}

export interface CsvOptions {
  /**
   * Prefix a channel id starting with `=`, `+`, `-`, `@`, TAB or CR with `'` so that spreadsheets do
   * not run it as a formula (channel ids are chosen by counterparties). Default true.
   */
  neutralizeFormulas?: boolean;
}

export class HistoryCacheError extends Error {
  constructor(
    readonly code: 'BAD_CURSOR' | 'BAD_ARGUMENT' | 'CACHE_VERSION',
    message: string,
  ) {
    super(message);
    this.name = 'HistoryCacheError';
  }
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scopes (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS pems (
  id INTEGER PRIMARY KEY,
  pem TEXT NOT NULL UNIQUE
);
-- seq: insertion order (rowid alias, never reused: rows are only deleted with their whole scope).
-- (scope_id, tx_id) is the key: a transaction is stored once per scope whatever the sync does.
CREATE TABLE IF NOT EXISTS tx (
  seq INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  tx_id TEXT NOT NULL,
  parent_tx_id TEXT NOT NULL,
  tx_type INTEGER NOT NULL,
  from_address TEXT NOT NULL,
  to_address TEXT NOT NULL,
  amount TEXT NOT NULL,
  volume TEXT NOT NULL,
  quantum_count TEXT NOT NULL,
  contract_id TEXT NOT NULL,
  price_amount TEXT NOT NULL,
  price_quantum_power INTEGER NOT NULL,
  planned_quantum_count TEXT NOT NULL,
  timelock INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  status INTEGER NOT NULL,
  version TEXT NOT NULL,
  signature TEXT NOT NULL CHECK (signature IN ('valid', 'invalid', 'unverifiable')),
  pk_id INTEGER REFERENCES pems(id),
  -- the item as received, without its pk when that is pk_id's PEM
  raw TEXT NOT NULL,
  UNIQUE (scope_id, tx_id)
);
CREATE INDEX IF NOT EXISTS tx_page ON tx (scope_id, timestamp DESC, tx_id DESC);
CREATE INDEX IF NOT EXISTS tx_by_type ON tx (scope_id, tx_type, timestamp DESC, tx_id DESC);
CREATE INDEX IF NOT EXISTS tx_by_from ON tx (scope_id, from_address, timestamp DESC, tx_id DESC);
CREATE INDEX IF NOT EXISTS tx_by_to ON tx (scope_id, to_address, timestamp DESC, tx_id DESC);
-- Most items have no channel and no parent: partial indexes (queries repeat the condition).
CREATE INDEX IF NOT EXISTS tx_by_contract ON tx (scope_id, contract_id, timestamp DESC, tx_id DESC)
  WHERE contract_id <> '';
CREATE INDEX IF NOT EXISTS tx_by_parent ON tx (scope_id, parent_tx_id) WHERE parent_tx_id <> '';

CREATE TABLE IF NOT EXISTS address_states (
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  address TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  view TEXT NOT NULL,
  PRIMARY KEY (scope_id, address)
);
CREATE TABLE IF NOT EXISTS channel_states (
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  channel_id TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  view TEXT NOT NULL,
  PRIMARY KEY (scope_id, channel_id)
);
CREATE TABLE IF NOT EXISTS common_states (
  scope_id INTEGER PRIMARY KEY REFERENCES scopes(id),
  address TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  view TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_meta (
  scope_id INTEGER PRIMARY KEY REFERENCES scopes(id),
  last_synced_at INTEGER,
  newest_tx_id TEXT,
  complete INTEGER NOT NULL DEFAULT 0,
  pending TEXT
);
`;

const TX_COLUMNS = `tx_id, parent_tx_id, tx_type, from_address, to_address, amount, volume, quantum_count,
  contract_id, price_amount, price_quantum_power, planned_quantum_count, timelock, timestamp, status, signature`;

interface TxRow {
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from_address: string;
  to_address: string;
  amount: string;
  volume: string;
  quantum_count: string;
  contract_id: string;
  price_amount: string;
  price_quantum_power: number;
  planned_quantum_count: string;
  timelock: number;
  timestamp: number;
  status: number;
  signature: SignatureVerdict;
}

interface CsvRow extends TxRow {
  version: string;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const VERDICTS: ReadonlySet<string> = new Set<SignatureVerdict>(['valid', 'invalid', 'unverifiable']);
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;
/** Prepared statements kept per SQL text (one per filter shape). */
const STATEMENT_CACHE_LIMIT = 256;

function toItem(r: TxRow): HistoryItem {
  return {
    txId: r.tx_id,
    parentTxId: r.parent_tx_id,
    txType: r.tx_type,
    from: r.from_address,
    to: r.to_address,
    amount: r.amount,
    volume: r.volume,
    quantumCount: r.quantum_count,
    contractId: r.contract_id,
    priceAmount: r.price_amount,
    pricePower: r.price_quantum_power,
    plannedQuantumCount: r.planned_quantum_count,
    timelock: r.timelock,
    timestamp: r.timestamp,
    status: r.status,
    signature: r.signature,
  };
}

/** Escapes LIKE wildcards (`%`, `_`) and the escape character itself; used with ESCAPE '\'. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The opaque keyset cursor: base64url of JSON [timestamp, tx_id] of the last row of a page. */
export function encodeCursor(timestamp: number, txId: string): string {
  return Buffer.from(JSON.stringify([timestamp, txId]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { timestamp: number; txId: string } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !Number.isSafeInteger(v[0]) ||
    typeof v[1] !== 'string' ||
    v[1].length > 256
  ) {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  return { timestamp: v[0] as number, txId: v[1] };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = [
  'tx_id',
  'parent_tx_id',
  'tx_type',
  'tx_type_name',
  'from',
  'to',
  'amount',
  'volume',
  'quantum_count',
  'contract_id',
  'price_amount',
  'price_quantum_power',
  'planned_quantum_count',
  'timelock_ms',
  'timelock_iso',
  'timestamp_ms',
  'timestamp_iso',
  'status',
  'version',
  'signature',
] as const;

function isoOf(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/**
 * A filter as SQL. The address condition (from = a OR to = a) is kept apart: one OR over two columns
 * cannot walk an index in page order, so pages read each side through its own index and merge
 * (UNION), and counts add the two sides.
 */
interface FilterSql {
  /** ` AND …` conditions other than the address. */
  conds: string;
  params: (string | number)[];
  address: string | null;
  /** Identity of the filter (count cache key). */
  key: string;
}

/** SQL of a filter. Empty `types` means no type filter; times are inclusive; search is case-insensitive (ASCII). */
function filterSql(filter: HistoryFilter): FilterSql {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (filter.types && filter.types.length > 0) {
    const types = [...new Set(filter.types)].sort((a, b) => a - b);
    parts.push(`tx_type IN (${types.map(() => '?').join(',')})`);
    params.push(...types);
  }
  if (filter.channelId !== undefined && filter.channelId !== '') {
    parts.push(`contract_id = ? AND contract_id <> ''`);
    params.push(filter.channelId);
  }
  if (filter.fromTime !== undefined) {
    parts.push('timestamp >= ?');
    params.push(filter.fromTime);
  }
  if (filter.toTime !== undefined) {
    parts.push('timestamp <= ?');
    params.push(filter.toTime);
  }
  if (filter.search !== undefined && filter.search !== '') {
    const p = `%${escapeLike(filter.search)}%`;
    parts.push(
      `(tx_id LIKE ? ESCAPE '\\' OR parent_tx_id LIKE ? ESCAPE '\\' OR contract_id LIKE ? ESCAPE '\\')`,
    );
    params.push(p, p, p);
  }
  const address = filter.address !== undefined && filter.address !== '' ? filter.address : null;
  const conds = parts.map((p) => ` AND ${p}`).join('');
  return { conds, params, address, key: JSON.stringify([conds, params, address]) };
}

const NEWEST_FIRST = 'ORDER BY timestamp DESC, tx_id DESC';

/** SELECT of the matching rows newest first, optionally after a keyset position and limited. */
function matchingSql(cols: string, f: FilterSql, keyset: boolean, limited: boolean): string {
  const tail = `${keyset ? ' AND (timestamp, tx_id) < (?, ?)' : ''} ${NEWEST_FIRST}${limited ? ' LIMIT ?' : ''}`;
  if (f.address === null) return `SELECT ${cols} FROM tx WHERE scope_id = ?${f.conds}${tail}`;
  const side = (col: string) =>
    `SELECT * FROM (SELECT ${cols} FROM tx WHERE scope_id = ? AND ${col} = ?${f.conds}${tail})`;
  return `${side('from_address')} UNION ${side('to_address')} ${NEWEST_FIRST}${limited ? ' LIMIT ?' : ''}`;
}

function matchingParams(
  scopeId: number,
  f: FilterSql,
  keyset: [number, string] | null,
  limit: number | null,
): (string | number)[] {
  const side = (address: string | null) => [
    scopeId,
    ...(address === null ? [] : [address]),
    ...f.params,
    ...(keyset ?? []),
    ...(limit === null ? [] : [limit]),
  ];
  if (f.address === null) return side(null);
  return [...side(f.address), ...side(f.address), ...(limit === null ? [] : [limit])];
}

function countSql(f: FilterSql): string {
  if (f.address === null) return `SELECT COUNT(*) AS n FROM tx WHERE scope_id = ?${f.conds}`;
  return `SELECT (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND from_address = ?${f.conds})
    + (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND to_address = ? AND from_address <> ?${f.conds}) AS n`;
}

function countParams(scopeId: number, f: FilterSql): (string | number)[] {
  if (f.address === null) return [scopeId, ...f.params];
  return [scopeId, f.address, ...f.params, scopeId, f.address, f.address, ...f.params];
}

function parseFilter(filter: HistoryFilter | undefined): HistoryFilter {
  const r = historyFilter.safeParse(filter ?? {});
  if (!r.success) throw new HistoryCacheError('BAD_ARGUMENT', `bad history filter: ${r.error.message}`);
  return r.data;
}

export class HistoryCache {
  readonly path: string;
  private readonly db: Db;
  private readonly scopeIds = new Map<string, number>();
  private readonly pemIds = new Map<string, number>();
  private readonly statements = new Map<string, Statement>();
  /** COUNT(*) per scope and filter, dropped whenever the scope gains items. */
  private readonly counts = new Map<number, Map<string, number>>();
  private readonly s: {
    getScope: Statement<[string], { id: number }>;
    addScope: Statement<[string]>;
    getPem: Statement<[string], { id: number }>;
    addPem: Statement<[string]>;
    insertTx: Statement;
    hasTx: Statement<[number, string], { one: number }>;
    getTx: Statement<[number, string], TxRow>;
    getRaw: Statement<[number, string], { raw: string; pem: string | null }>;
    children: Statement<[number, string], TxRow>;
    newest: Statement<[number], { tx_id: string }>;
    oldestTs: Statement<[number], { timestamp: number }>;
    newestTs: Statement<[number], { timestamp: number }>;
    getMeta: Statement<
      [number],
      { last_synced_at: number | null; newest_tx_id: string | null; complete: number; pending: string | null }
    >;
    upsertMeta: Statement;
    upsertAddress: Statement;
    getAddress: Statement<[number, string], { view: string }>;
    listAddresses: Statement<[number], { view: string }>;
    upsertChannel: Statement;
    getChannel: Statement<[number, string], { view: string }>;
    listChannels: Statement<[number], { view: string }>;
    upsertCommon: Statement;
    getCommon: Statement<[number], { view: string }>;
  };

  /** Opens (creating if needed) the cache file. A file of an unknown schema version is rebuilt empty. */
  constructor(path: string) {
    if (path === ':memory:' || path === '') {
      throw new HistoryCacheError('BAD_ARGUMENT', 'the history cache needs a file path');
    }
    this.path = path;
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      // 32 MiB of page cache (the default 2 MiB thrashes on the random tx_id index of a large history).
      this.db.pragma('cache_size = -32768');
      this.db.pragma('temp_store = MEMORY');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION && version !== 0) {
        // A cache: anything of another layout is dropped and fetched again.
        this.db.transaction(() => {
          const tables = this.db
            .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
            .all() as { name: string }[];
          for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS "${t.name.replace(/"/g, '""')}"`);
        })();
      }
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (e) {
      this.db.close();
      throw e;
    }
    const db = this.db;
    this.s = {
      getScope: db.prepare(`SELECT id FROM scopes WHERE scope = ?`),
      addScope: db.prepare(`INSERT INTO scopes (scope) VALUES (?)`),
      getPem: db.prepare(`SELECT id FROM pems WHERE pem = ?`),
      addPem: db.prepare(`INSERT INTO pems (pem) VALUES (?)`),
      insertTx: db.prepare(`INSERT OR IGNORE INTO tx (scope_id, ${TX_COLUMNS}, version, pk_id, raw)
        VALUES (@scope_id, @tx_id, @parent_tx_id, @tx_type, @from_address, @to_address, @amount, @volume,
        @quantum_count, @contract_id, @price_amount, @price_quantum_power, @planned_quantum_count, @timelock,
        @timestamp, @status, @signature, @version, @pk_id, @raw)`),
      hasTx: db.prepare(`SELECT 1 AS one FROM tx WHERE scope_id = ? AND tx_id = ?`),
      getTx: db.prepare(`SELECT ${TX_COLUMNS} FROM tx WHERE scope_id = ? AND tx_id = ?`),
      getRaw: db.prepare(
        `SELECT raw, pems.pem AS pem FROM tx LEFT JOIN pems ON pems.id = tx.pk_id WHERE scope_id = ? AND tx_id = ?`,
      ),
      children: db.prepare(
        `SELECT ${TX_COLUMNS} FROM tx INDEXED BY tx_by_parent WHERE scope_id = ? AND parent_tx_id = ? AND parent_tx_id <> ''
         ORDER BY timestamp, tx_id`,
      ),
      newest: db.prepare(
        `SELECT tx_id FROM tx WHERE scope_id = ? ORDER BY timestamp DESC, tx_id DESC LIMIT 1`,
      ),
      oldestTs: db.prepare(`SELECT timestamp FROM tx WHERE scope_id = ? ORDER BY timestamp ASC LIMIT 1`),
      newestTs: db.prepare(`SELECT timestamp FROM tx WHERE scope_id = ? ORDER BY timestamp DESC LIMIT 1`),
      getMeta: db.prepare(
        `SELECT last_synced_at, newest_tx_id, complete, pending FROM sync_meta WHERE scope_id = ?`,
      ),
      upsertMeta:
        db.prepare(`INSERT INTO sync_meta (scope_id, last_synced_at, newest_tx_id, complete, pending)
        VALUES (@scope_id, @last_synced_at, @newest_tx_id, @complete, @pending)
        ON CONFLICT (scope_id) DO UPDATE SET last_synced_at = excluded.last_synced_at,
          newest_tx_id = excluded.newest_tx_id, complete = excluded.complete, pending = excluded.pending`),
      // A state read earlier than the stored one never replaces it.
      upsertAddress: db.prepare(`INSERT INTO address_states (scope_id, address, read_at, view)
        VALUES (?, ?, ?, ?) ON CONFLICT (scope_id, address) DO UPDATE
        SET read_at = excluded.read_at, view = excluded.view WHERE excluded.read_at >= address_states.read_at`),
      getAddress: db.prepare(`SELECT view FROM address_states WHERE scope_id = ? AND address = ?`),
      listAddresses: db.prepare(`SELECT view FROM address_states WHERE scope_id = ? ORDER BY address`),
      upsertChannel: db.prepare(`INSERT INTO channel_states (scope_id, channel_id, read_at, view)
        VALUES (?, ?, ?, ?) ON CONFLICT (scope_id, channel_id) DO UPDATE
        SET read_at = excluded.read_at, view = excluded.view WHERE excluded.read_at >= channel_states.read_at`),
      getChannel: db.prepare(`SELECT view FROM channel_states WHERE scope_id = ? AND channel_id = ?`),
      listChannels: db.prepare(`SELECT view FROM channel_states WHERE scope_id = ? ORDER BY channel_id`),
      upsertCommon: db.prepare(`INSERT INTO common_states (scope_id, address, read_at, view)
        VALUES (?, ?, ?, ?) ON CONFLICT (scope_id) DO UPDATE
        SET address = excluded.address, read_at = excluded.read_at, view = excluded.view
        WHERE excluded.read_at >= common_states.read_at`),
      getCommon: db.prepare(`SELECT view FROM common_states WHERE scope_id = ?`),
    };
  }

  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      /* best effort */
    }
    this.db.close();
  }

  get open(): boolean {
    return this.db.open;
  }

  // ---------- scopes ----------

  /** The id of a scope; read-only calls on an unknown scope get -1 (matches nothing). */
  private scopeId(scope: string, create: boolean): number {
    const hit = this.scopeIds.get(scope);
    if (hit !== undefined) return hit;
    const row = this.s.getScope.get(scope);
    if (row) {
      this.scopeIds.set(scope, row.id);
      return row.id;
    }
    if (!create) return -1;
    const id = Number(this.s.addScope.run(scope).lastInsertRowid);
    this.scopeIds.set(scope, id);
    return id;
  }

  private pemId(pem: string): number {
    const hit = this.pemIds.get(pem);
    if (hit !== undefined) return hit;
    const row = this.s.getPem.get(pem);
    const id = row ? row.id : Number(this.s.addPem.run(pem).lastInsertRowid);
    this.pemIds.set(pem, id);
    return id;
  }

  /** Removes everything cached for a scope (items, states, sync bookkeeping). */
  clearScope(scope: string): void {
    const id = this.scopeId(scope, false);
    if (id < 0) return;
    this.db.transaction(() => {
      for (const t of ['tx', 'address_states', 'channel_states', 'common_states', 'sync_meta']) {
        this.db.prepare(`DELETE FROM ${t} WHERE scope_id = ?`).run(id);
      }
    })();
    this.counts.delete(id);
  }

  private prepared(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  // ---------- transactions ----------

  /** Stores items in one database transaction; items already cached are ignored. Returns how many were new. */
  insertItems(scope: string, items: readonly CachedItem[]): number {
    if (items.length === 0) return 0;
    // INSERT OR IGNORE would also drop rows breaking a CHECK or NOT NULL silently: refuse them here.
    for (const it of items) {
      if (typeof it.txId !== 'string' || it.txId === '' || !VERDICTS.has(it.signature)) {
        throw new HistoryCacheError('BAD_ARGUMENT', `item ${String(it.txId)}: bad id or signature verdict`);
      }
      for (const v of [it.amount, it.volume, it.quantumCount, it.priceAmount, it.plannedQuantumCount]) {
        if (!DECIMAL.test(v))
          throw new HistoryCacheError('BAD_ARGUMENT', `item ${it.txId}: ${v} is not a decimal`);
      }
    }
    let added = 0;
    const scopeId = this.scopeId(scope, true);
    const store = this.db.transaction(() => {
      for (const it of items) {
        const raw: Record<string, unknown> = { ...it.raw };
        if (raw.pk === it.pk) delete raw.pk;
        const r = this.s.insertTx.run({
          scope_id: scopeId,
          tx_id: it.txId,
          parent_tx_id: it.parentTxId,
          tx_type: it.txType,
          from_address: it.from,
          to_address: it.to,
          amount: it.amount,
          volume: it.volume,
          quantum_count: it.quantumCount,
          contract_id: it.contractId,
          price_amount: it.priceAmount,
          price_quantum_power: it.pricePower,
          planned_quantum_count: it.plannedQuantumCount,
          timelock: it.timelock,
          timestamp: it.timestamp,
          status: it.status,
          signature: it.signature,
          version: it.version,
          pk_id: this.pemId(it.pk),
          raw: JSON.stringify(raw),
        });
        added += r.changes;
      }
      if (added > 0) {
        const meta = this.readMeta(scopeId);
        this.writeMeta(scopeId, { ...meta, newestTxId: this.s.newest.get(scopeId)?.tx_id ?? null });
      }
    });
    try {
      store();
    } catch (e) {
      this.pemIds.clear(); // a PEM row inserted by the rolled-back transaction is gone
      throw e;
    }
    if (added > 0) this.counts.delete(scopeId);
    return added;
  }

  hasTx(scope: string, txId: string): boolean {
    return this.s.hasTx.get(this.scopeId(scope, false), txId) !== undefined;
  }

  /** Number of cached items of a scope. */
  count(scope: string, filter: HistoryFilter = {}): number {
    const scopeId = this.scopeId(scope, false);
    return this.countOf(scopeId, filterSql(parseFilter(filter)));
  }

  private countOf(scopeId: number, f: FilterSql): number {
    let perScope = this.counts.get(scopeId);
    const hit = perScope?.get(f.key);
    if (hit !== undefined) return hit;
    const { n } = this.prepared(countSql(f)).get(...countParams(scopeId, f)) as { n: number };
    if (!perScope) this.counts.set(scopeId, (perScope = new Map()));
    if (perScope.size >= 64) perScope.clear();
    perScope.set(f.key, n);
    return n;
  }

  /**
   * One page, newest first by (timestamp DESC, tx_id DESC), with keyset pagination: `next` encodes the
   * last row and the following page starts strictly after it (no OFFSET, no gaps or repeats while
   * items are added). `total` counts every cached item matching the filter.
   */
  query(scope: string, opts: HistoryQueryOptions = {}): HistoryPage {
    const filter = parseFilter(opts.filter);
    const limit = opts.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HistoryCacheError('BAD_ARGUMENT', `limit must be an integer 1–${MAX_LIMIT}`);
    }
    const scopeId = this.scopeId(scope, false);
    const f = filterSql(filter);
    const c = opts.after ? decodeCursor(opts.after) : null;
    const keyset: [number, string] | null = c ? [c.timestamp, c.txId] : null;
    const rows = this.prepared(matchingSql(TX_COLUMNS, f, keyset !== null, true)).all(
      ...matchingParams(scopeId, f, keyset, limit + 1),
    ) as TxRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toItem),
      next: more && last ? encodeCursor(last.timestamp, last.tx_id) : null,
      total: this.countOf(scopeId, f),
    };
  }

  /** An item with its parent and children (items whose parent_tx_id is its id). */
  item(scope: string, txId: string): ItemWithRelations {
    const scopeId = this.scopeId(scope, false);
    const row = this.s.getTx.get(scopeId, txId);
    if (!row) return { item: null, parent: null, children: [] };
    const parent = row.parent_tx_id ? this.s.getTx.get(scopeId, row.parent_tx_id) : undefined;
    return {
      item: toItem(row),
      parent: parent ? toItem(parent) : null,
      children: this.s.children.all(scopeId, txId).map(toItem),
    };
  }

  /** The item as the tracker sent it (e.g. to verify its signature again), or null. */
  rawItem(scope: string, txId: string): Record<string, unknown> | null {
    const row = this.s.getRaw.get(this.scopeId(scope, false), txId);
    if (!row) return null;
    const raw = JSON.parse(row.raw) as Record<string, unknown>;
    return row.pem !== null && !('pk' in raw) ? { ...raw, pk: row.pem } : raw;
  }

  /**
   * Writes the matching items (newest first) as RFC 4180 CSV to `path`: a header line, CRLF line
   * ends, amounts as exact decimal strings, times as epoch ms and ISO 8601. Rows are read with a
   * streaming iterator on a separate read-only connection (one consistent snapshot, the main
   * connection stays free) and written in chunks honouring the stream's backpressure. The file
   * appears under `path` only when complete. Returns the number of rows written.
   */
  async exportCsv(
    scope: string,
    filter: HistoryFilter = {},
    path: string,
    opts: CsvOptions = {},
  ): Promise<number> {
    const f = filterSql(parseFilter(filter));
    const scopeId = this.scopeId(scope, false);
    const neutralize = opts.neutralizeFormulas ?? true;
    const partial = `${path}.partial`;
    const reader = new Database(this.path, { readonly: true, fileMustExist: true });
    const out = createWriteStream(partial, { flags: 'w', highWaterMark: 256 * 1024 });
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    failed.catch(() => undefined);
    let rows = 0;
    try {
      const st = reader.prepare(matchingSql(`${TX_COLUMNS}, version`, f, false, false));
      const write = async (chunk: string): Promise<void> => {
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      };
      await write(`${CSV_HEADER.join(',')}\r\n`);
      let chunk: string[] = [];
      for (const r of st.iterate(...matchingParams(scopeId, f, null, null)) as IterableIterator<CsvRow>) {
        let contract = r.contract_id;
        if (neutralize && /^[=+\-@\t\r]/.test(contract)) contract = `'${contract}`;
        chunk.push(
          [
            r.tx_id,
            r.parent_tx_id,
            r.tx_type,
            TX_TYPE_NAMES[r.tx_type as TxTypeCode] ?? '',
            r.from_address,
            r.to_address,
            r.amount,
            r.volume,
            r.quantum_count,
            contract,
            r.price_amount,
            r.price_quantum_power,
            r.planned_quantum_count,
            r.timelock,
            isoOf(r.timelock),
            r.timestamp,
            isoOf(r.timestamp),
            r.status,
            r.version,
            r.signature,
          ]
            .map(csvField)
            .join(','),
        );
        rows++;
        if (chunk.length >= 500) {
          await write(`${chunk.join('\r\n')}\r\n`);
          chunk = [];
        }
      }
      if (chunk.length > 0) await write(`${chunk.join('\r\n')}\r\n`);
      out.end();
      await Promise.race([once(out, 'finish'), failed]);
      await rename(partial, path);
      return rows;
    } catch (e) {
      out.destroy();
      await rm(partial, { force: true });
      throw e;
    } finally {
      reader.close();
    }
  }

  /**
   * Earnings and paid traffic over time, in `buckets` equal spans from the oldest to the newest cached
   * item (each point's `t` is its bucket's start). Sums are bigint, returned as decimal strings.
   * - earned = Σ amount of CLOSE_TRANSFER (16) items whose `to` is an own address (an own income
   *   address or the common address): atoms earned when each channel closed. FINANCIAL (128) items are
   *   not added: they only move atoms already earned on a closed income address to the common
   *   address, so adding them would count those earnings twice.
   * - paidBytes = Σ volume of CLOSE_TRANSFER items whose `from` is an own (spend) address.
   * An empty scope gives [].
   */
  chart(scope: string, opts: ChartOptions): ChartPoint[] {
    const buckets = opts.buckets;
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 1000) {
      throw new HistoryCacheError('BAD_ARGUMENT', 'buckets must be an integer 1–1000');
    }
    const scopeId = this.scopeId(scope, false);
    const first = this.s.oldestTs.get(scopeId);
    const last = this.s.newestTs.get(scopeId);
    if (!first || !last) return [];
    let own: Set<string>;
    if (opts.ownAddresses) own = new Set(opts.ownAddresses);
    else {
      const opened = this.prepared(
        `SELECT DISTINCT to_address AS a FROM tx WHERE scope_id = ? AND tx_type IN (?, ?)`,
      ).all(scopeId, TxType.OPEN_SPEND, TxType.OPEN_INCOME) as { a: string }[];
      own = new Set(opened.map((r) => r.a));
    }
    if (opts.commonAddress) own.add(opts.commonAddress);
    const width = Math.max(1, Math.ceil((last.timestamp - first.timestamp + 1) / buckets));
    const earned = new Array<bigint>(buckets).fill(0n);
    const paid = new Array<bigint>(buckets).fill(0n);
    const st = this.prepared(
      `SELECT timestamp, from_address, to_address, amount, volume FROM tx WHERE scope_id = ? AND tx_type = ?`,
    );
    for (const r of st.iterate(scopeId, TxType.CLOSE_TRANSFER) as IterableIterator<{
      timestamp: number;
      from_address: string;
      to_address: string;
      amount: string;
      volume: string;
    }>) {
      const b = Math.min(buckets - 1, Math.floor((r.timestamp - first.timestamp) / width));
      if (own.has(r.to_address)) earned[b]! += BigInt(r.amount);
      if (own.has(r.from_address)) paid[b]! += BigInt(r.volume);
    }
    return earned.map((e, i) => ({
      t: first.timestamp + i * width,
      earned: e.toString(),
      paidBytes: paid[i]!.toString(),
    }));
  }

  // ---------- sync bookkeeping ----------

  private readMeta(scopeId: number): SyncMeta {
    const row = this.s.getMeta.get(scopeId);
    if (!row) return { lastSyncedAt: null, newestTxId: null, complete: false, pending: null };
    let pending: SyncMeta['pending'] = null;
    if (row.pending) {
      try {
        const p = JSON.parse(row.pending) as SyncMeta['pending'];
        if (
          p &&
          Number.isSafeInteger(p.total) &&
          Number.isSafeInteger(p.covered) &&
          typeof p.baseComplete === 'boolean'
        ) {
          pending = { total: p.total, covered: p.covered, baseComplete: p.baseComplete };
        }
      } catch {
        /* unreadable progress: the next sync starts over */
      }
    }
    return {
      lastSyncedAt: row.last_synced_at,
      newestTxId: row.newest_tx_id,
      complete: row.complete === 1,
      pending,
    };
  }

  private writeMeta(scopeId: number, m: SyncMeta): void {
    this.s.upsertMeta.run({
      scope_id: scopeId,
      last_synced_at: m.lastSyncedAt,
      newest_tx_id: m.newestTxId,
      complete: m.complete ? 1 : 0,
      pending: m.pending ? JSON.stringify(m.pending) : null,
    });
  }

  syncMeta(scope: string): SyncMeta {
    return this.readMeta(this.scopeId(scope, false));
  }

  /** Changes some fields of a scope's sync bookkeeping; returns the result. */
  updateSyncMeta(scope: string, patch: Partial<Omit<SyncMeta, 'newestTxId'>>): SyncMeta {
    let next!: SyncMeta;
    const id = this.scopeId(scope, true);
    this.db.transaction(() => {
      next = { ...this.readMeta(id), ...patch };
      this.writeMeta(id, next);
    })();
    return next;
  }

  // ---------- last known states ----------

  /** Stores address states; a row read earlier than the stored one is ignored. */
  upsertAddresses(scope: string, views: readonly AddressView[]): void {
    const id = this.scopeId(scope, true);
    this.db.transaction(() => {
      for (const v of views) {
        const ok = addressView.parse(v);
        this.s.upsertAddress.run(id, ok.address, ok.readAt, JSON.stringify(ok));
      }
    })();
  }

  getAddress(scope: string, address: string): AddressView | null {
    const row = this.s.getAddress.get(this.scopeId(scope, false), address);
    return row ? parseView(addressView, row.view) : null;
  }

  listAddresses(scope: string): AddressView[] {
    return this.s.listAddresses
      .all(this.scopeId(scope, false))
      .map((r) => parseView(addressView, r.view))
      .filter((v): v is AddressView => v !== null);
  }

  upsertChannels(scope: string, views: readonly ChannelView[]): void {
    const id = this.scopeId(scope, true);
    this.db.transaction(() => {
      for (const v of views) {
        const ok = channelView.parse(v);
        this.s.upsertChannel.run(id, ok.channelId, ok.readAt, JSON.stringify(ok));
      }
    })();
  }

  getChannel(scope: string, channelId: string): ChannelView | null {
    const row = this.s.getChannel.get(this.scopeId(scope, false), channelId);
    return row ? parseView(channelView, row.view) : null;
  }

  listChannels(scope: string): ChannelView[] {
    return this.s.listChannels
      .all(this.scopeId(scope, false))
      .map((r) => parseView(channelView, r.view))
      .filter((v): v is ChannelView => v !== null);
  }

  setCommonState(scope: string, view: CommonStateView): void {
    const ok = commonStateView.parse(view);
    this.s.upsertCommon.run(this.scopeId(scope, true), ok.address, ok.readAt, JSON.stringify(ok));
  }

  getCommonState(scope: string): CommonStateView | null {
    const row = this.s.getCommon.get(this.scopeId(scope, false));
    return row ? parseView(commonStateView, row.view) : null;
  }
}

/** Views are checked on the way out too: a damaged or outdated row reads as absent, never as data. */
function parseView<T>(schema: z.ZodType<T>, text: string): T | null {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
