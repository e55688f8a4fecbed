/**
 * The history cache's SQLite file: schema, scopes, stored PEMs and prepared statements, shared by
 * the stores that read and write it (transactions, wallet states, sync bookkeeping).
 *
 * Everything is keyed by a scope, a string the caller chooses (the app uses
 * `<tracker key fingerprint>|<identity key fingerprint>`). WAL journal + synchronous=NORMAL: a
 * crash may lose the last committed transactions (fetched again on the next sync) but never
 * corrupts the file.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { HistoryCacheError } from './errors';

/** Bumped whenever the layout changes: a file of another version is dropped and fetched again. */
const SCHEMA_VERSION = 2;

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

/** Tables holding a scope's rows, emptied together by `clearScope`. */
const SCOPED_TABLES = ['tx', 'address_states', 'channel_states', 'common_states', 'sync_meta'] as const;

/** Prepared statements kept per SQL text (one per filter shape). */
const STATEMENT_CACHE_LIMIT = 256;

export class CacheDb {
  readonly db: Db;
  private readonly scopeIds = new Map<string, number>();
  private readonly pemIds = new Map<string, number>();
  private readonly statements = new Map<string, Statement>();
  private readonly scopeListeners: ((scopeId: number) => void)[] = [];

  /** Opens (creating if needed) the cache file. A file of an unknown schema version is rebuilt empty. */
  constructor(readonly path: string) {
    if (path === ':memory:' || path === '') {
      throw new HistoryCacheError('BAD_ARGUMENT', 'the history cache needs a file path');
    }
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      // 32 MiB of page cache (the default 2 MiB thrashes on the random tx_id index of a large history).
      this.db.pragma('cache_size = -32768');
      this.db.pragma('temp_store = MEMORY');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION && version !== 0) this.dropEverything();
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  /** A cache: anything of another layout is dropped and fetched again. */
  private dropEverything(): void {
    this.db.transaction(() => {
      const tables = this.db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
        .all() as { name: string }[];
      for (const t of tables) this.db.exec(`DROP TABLE IF EXISTS "${t.name.replace(/"/g, '""')}"`);
    })();
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

  /** The id of a stored PEM (inserted on first use). */
  pemId(pem: string): number {
    const hit = this.pemIds.get(pem);
    if (hit !== undefined) return hit;
    const row = this.prepared(`SELECT id FROM pems WHERE pem = ?`).get(pem) as { id: number } | undefined;
    const id = row
      ? row.id
      : Number(this.prepared(`INSERT INTO pems (pem) VALUES (?)`).run(pem).lastInsertRowid);
    this.pemIds.set(pem, id);
    return id;
  }

  /** After a rolled-back transaction: a PEM row it inserted is gone. */
  forgetPems(): void {
    this.pemIds.clear();
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
