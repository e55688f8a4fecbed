/** Opens the tracker database: WAL, full fsync on commit, schema migrated; and its read connection. */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { SQLITE_MIGRATIONS } from './schema';
import { latestVersion, pendingMigrations } from '../migrations';

export type Db = Database.Database;

/** Owner-only, whatever the umask: created 0600 (SQLite gives -wal/-shm the same mode), older files tightened. */
function makePrivate(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

const recordMigration = (db: Db, version: number, name: string, at: number): void => {
  db.prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`).run(
    version,
    name,
    at,
  );
};

/** The schema version recorded in the database (0: empty). */
function appliedVersion(db: Db): number {
  const n = (
    db.prepare(`SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations`).get() as { v: number }
  ).v;
  if (n > 0) return n;
  // Databases of the first releases recorded their version in meta only: recorded as their baseline.
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get();
  if (!hasMeta) return 0;
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
    { value: string } | undefined;
  const baseline = row ? Number(row.value) : 0;
  for (const m of SQLITE_MIGRATIONS.slice(0, baseline)) recordMigration(db, m.version, m.name, 0);
  return baseline;
}

/**
 * Applies the pending migrations, each in its own BEGIN IMMEDIATE (which also keeps two processes
 * opening one file from migrating it twice: the second re-reads the version once it holds the lock).
 */
export function migrate(db: Db): void {
  db.exec(MIGRATIONS_TABLE);
  // A table rebuild must not fire the foreign keys of the rows it moves; checked before each commit.
  db.pragma('foreign_keys = OFF');
  try {
    for (;;) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const next = pendingMigrations(appliedVersion(db), SQLITE_MIGRATIONS)[0];
        if (!next) {
          db.exec('COMMIT');
          return;
        }
        db.exec(next.sql);
        recordMigration(db, next.version, next.name, Date.now());
        // Kept for trackers older than the migrations table: they refuse any version but theirs.
        db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`).run(
          String(next.version),
        );
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration ${next.version} broke ${broken.length} references`);
        db.exec('COMMIT');
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

export const SQLITE_SCHEMA_VERSION = latestVersion(SQLITE_MIGRATIONS);

export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (path !== ':memory:') makePrivate(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the answer leaves (nothing answered before it is durable).
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** A second connection for reads: in WAL mode it sees only committed transactions. */
export function openReadConnection(path: string): Db {
  const db = new Database(path, { fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
