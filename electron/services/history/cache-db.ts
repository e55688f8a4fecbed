/**
 * The history cache's SQLite file: schema, scopes, the values stored once (PEMs, addresses, item
 * layouts) and prepared statements, shared by the stores that read and write it (transactions,
 * wallet states, sync bookkeeping).
 *
 * Everything is keyed by a scope, a string the caller chooses (the app uses
 * `<tracker key fingerprint>|<identity key fingerprint>`). WAL journal + synchronous=NORMAL: a
 * crash may lose the last committed transactions (fetched again on the next sync) but never
 * corrupts the file. The owner's labels live in a file of their own (labels/label-store.ts),
 * attached as `lb` so that items can be searched by label; without one an empty `lb` is attached.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { labelsSchema } from '../labels/label-store';
import { HistoryCacheError } from './errors';

/**
 * Bumped whenever the layout changes: a file of another version is dropped and fetched again.
 * 3: items as typed columns + a shared layout + binary signatures (item-codec.ts), addresses stored
 * once, pages ordered by (timestamp, seq).
 */
export const SCHEMA_VERSION = 3;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scopes (
  id INTEGER PRIMARY KEY,
  scope TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS pems (
  id INTEGER PRIMARY KEY,
  pem TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS addresses (
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL UNIQUE
);
-- The JSON layout of items (item-codec.ts): a few distinct ones, each stored once.
CREATE TABLE IF NOT EXISTS shapes (
  id INTEGER PRIMARY KEY,
  shape TEXT NOT NULL UNIQUE
);
-- One row per item and scope. seq: the order items were cached in (a sync stores them as the
-- tracker lists them: newest first, ties in its order), never reused while the scope holds rows.
-- Pages are newest first by (timestamp DESC, seq): every index ends in (timestamp DESC, rowid), so
-- each walks in page order and carries 9 bytes of order instead of a 40-character id.
-- Counts have no declared type (no affinity): an integer while it fits in 64 bits, else its
-- decimal text. sign: the signature's bytes (BLOB) or, when it is not canonical base64, its text.
-- verdict: 0 valid, 1 invalid, 2 unverifiable.
CREATE TABLE IF NOT EXISTS tx (
  seq INTEGER PRIMARY KEY,
  scope_id INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  tx_id TEXT NOT NULL,
  parent_tx_id TEXT NOT NULL,
  tx_type INTEGER NOT NULL,
  from_id INTEGER NOT NULL,
  to_id INTEGER NOT NULL,
  amount NOT NULL,
  volume NOT NULL,
  quantum_count NOT NULL,
  contract_id TEXT NOT NULL,
  price_amount NOT NULL,
  price_quantum_power INTEGER NOT NULL,
  planned_quantum_count NOT NULL,
  timelock INTEGER NOT NULL,
  status INTEGER NOT NULL,
  version TEXT NOT NULL,
  verdict INTEGER NOT NULL,
  pk_id INTEGER NOT NULL,
  shape_id INTEGER NOT NULL,
  sign NOT NULL,
  extra TEXT
);
-- (scope_id, tx_id) is the key: a transaction is stored once per scope whatever the sync does.
CREATE UNIQUE INDEX IF NOT EXISTS tx_by_id ON tx (scope_id, tx_id);
CREATE INDEX IF NOT EXISTS tx_page ON tx (scope_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS tx_by_type ON tx (scope_id, tx_type, timestamp DESC);
CREATE INDEX IF NOT EXISTS tx_by_from ON tx (scope_id, from_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS tx_by_to ON tx (scope_id, to_id, timestamp DESC);
-- Most items have no channel and no parent: partial indexes (queries repeat the condition).
CREATE INDEX IF NOT EXISTS tx_by_contract ON tx (scope_id, contract_id, timestamp DESC)
  WHERE contract_id <> '';
CREATE INDEX IF NOT EXISTS tx_by_parent ON tx (scope_id, parent_tx_id, timestamp DESC)
  WHERE parent_tx_id <> '';

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
-- One row per scope in practice: the identity's own common address.
CREATE TABLE IF NOT EXISTS common_states (
  scope_id INTEGER NOT NULL REFERENCES scopes(id),
  address TEXT NOT NULL,
  read_at INTEGER NOT NULL,
  view TEXT NOT NULL,
  PRIMARY KEY (scope_id, address)
);
CREATE TABLE IF NOT EXISTS sync_meta (
  scope_id INTEGER PRIMARY KEY REFERENCES scopes(id),
  last_synced_at INTEGER,
  complete INTEGER NOT NULL DEFAULT 0,
  pending TEXT
);
`;

export interface CacheDbOptions {
  /** The labels file to search items by label (labels/label-store.ts creates it). */
  labelsPath?: string;
}

/** Connection settings every connection to the cache file uses. */
export function tuneConnection(db: Db): void {
  db.pragma('busy_timeout = 5000');
  // 32 MiB of page cache (the default 2 MiB thrashes on the random tx_id index of a large history).
  db.pragma('cache_size = -32768');
  db.pragma('temp_store = MEMORY');
}

/** Attaches the labels file as `lb` (read by searches), or an empty in-memory one. */
export function attachLabels(db: Db, labelsPath: string | undefined): void {
  if (labelsPath) db.prepare(`ATTACH DATABASE ? AS lb`).run(labelsPath);
  else {
    db.exec(`ATTACH DATABASE ':memory:' AS lb`);
    db.exec(labelsSchema('lb'));
  }
}

/** Tables holding a scope's rows, emptied together by `clearScope`. */
const SCOPED_TABLES = ['tx', 'address_states', 'channel_states', 'common_states', 'sync_meta'] as const;

/** Prepared statements kept per SQL text (one per filter shape). */
const STATEMENT_CACHE_LIMIT = 256;

export class CacheDb {
  readonly db: Db;
  private readonly scopeIds = new Map<string, number>();
  private readonly pemIds = new Map<string, number>();
  private readonly addressIds = new Map<string, number>();
  private readonly shapeIds = new Map<string, number>();
  private lastIds: Partial<Record<'pems' | 'addresses' | 'shapes', { value: string; id: number }>> = {};
  private readonly statements = new Map<string, Statement>();
  private readonly scopeListeners: ((scopeId: number) => void)[] = [];

  /** Opens (creating if needed) the cache file. A file of an unknown schema version is rebuilt empty. */
  constructor(
    readonly path: string,
    readonly opts: CacheDbOptions = {},
  ) {
    if (path === ':memory:' || path === '') {
      throw new HistoryCacheError('BAD_ARGUMENT', 'the history cache needs a file path');
    }
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      tuneConnection(this.db);
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION && version !== 0) this.dropEverything();
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      attachLabels(this.db, opts.labelsPath);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  /** A cache: anything of another layout is dropped and fetched again. */
  private dropEverything(): void {
    // Tables reference scopes: dropping it first would break their keys (DROP deletes its rows).
    this.db.pragma('foreign_keys = OFF');
    this.db.transaction(() => {
      const tables = this.db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
        .all() as { name: string }[];
      for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS "${t.name.replace(/"/g, '""')}"`);
    })();
    this.db.pragma('foreign_keys = ON');
    // Give the old layout's pages back to the disk (nothing is left to copy, so this is quick).
    this.db.exec('VACUUM');
  }

  get open(): boolean {
    return this.db.open;
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

  /** The id of a scope; read-only calls on an unknown scope get -1 (matches nothing). */
  scopeId(scope: string, create: boolean): number {
    const hit = this.scopeIds.get(scope);
    if (hit !== undefined) return hit;
    const row = this.prepared(`SELECT id FROM scopes WHERE scope = ?`).get(scope) as
      { id: number } | undefined;
    if (row) {
      this.scopeIds.set(scope, row.id);
      return row.id;
    }
    if (!create) return -1;
    const id = Number(this.prepared(`INSERT INTO scopes (scope) VALUES (?)`).run(scope).lastInsertRowid);
    this.scopeIds.set(scope, id);
    return id;
  }

  /** The id of a value stored once (a PEM, an address, an item layout), inserted on first use. */
  private idOf(
    table: 'pems' | 'addresses' | 'shapes',
    column: string,
    ids: Map<string, number>,
    value: string,
  ): number {
    const hit = ids.get(value);
    if (hit !== undefined) return hit;
    const row = this.prepared(`SELECT id FROM ${table} WHERE ${column} = ?`).get(value) as
      { id: number } | undefined;
    const id = row
      ? row.id
      : Number(this.prepared(`INSERT INTO ${table} (${column}) VALUES (?)`).run(value).lastInsertRowid);
    if (ids.size >= 100_000) ids.clear();
    ids.set(value, id);
    return id;
  }

  pemId(pem: string): number {
    return this.idOf('pems', 'pem', this.pemIds, pem);
  }

  addressId(address: string): number {
    return this.idOf('addresses', 'address', this.addressIds, address);
  }

  shapeId(shape: string): number {
    return this.idOf('shapes', 'shape', this.shapeIds, shape);
  }

  /** The id of an address already stored, or null (reads never add one). */
  knownAddressId(address: string): number | null {
    const hit = this.addressIds.get(address);
    if (hit !== undefined) return hit;
    const row = this.prepared(`SELECT id FROM addresses WHERE address = ?`).get(address) as
      { id: number } | undefined;
    return row?.id ?? null;
  }

  /** After a rolled-back transaction: ids it inserted are gone. */
  forgetIds(): void {
    this.lastIds = {};
    this.pemIds.clear();
    this.addressIds.clear();
    this.shapeIds.clear();
  }

  prepared(sql: string): Statement {
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

  /** Runs `fn` when a scope's rows change wholesale (cleared), e.g. to drop cached counts. */
  onScopeCleared(fn: (scopeId: number) => void): void {
    this.scopeListeners.push(fn);
  }

  /** Removes everything cached for a scope (items, states, sync bookkeeping). */
  clearScope(scope: string): void {
    const id = this.scopeId(scope, false);
    if (id < 0) return;
    this.db.transaction(() => {
      for (const t of SCOPED_TABLES) this.prepared(`DELETE FROM ${t} WHERE scope_id = ?`).run(id);
    })();
    for (const fn of this.scopeListeners) fn(id);
  }
}
