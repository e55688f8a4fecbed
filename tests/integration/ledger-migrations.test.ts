/**
 * Versioned schema migrations (SQLite): a database of the first releases (version 1, signatures
 * NOT NULL, its version in `meta` only) is migrated at start without losing a row; a database newer
 * than the tracker is refused with a clear message.
 */
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SQLITE_MIGRATIONS } from '../../ledger/storage/sqlite/schema';
import { SQLITE_SCHEMA_VERSION } from '../../ledger/storage/sqlite/open';
import { startLedger, tempDir } from '../helpers/ledger-process';
import { RawClient, TestPeer } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { call, fullHistory, handshake, ok } from '../helpers/tracker-session';

const peer = new TestPeer();

describe('SQLite schema migrations', () => {
  it('a version-1 database is migrated at start and keeps its rows and signatures', async () => {
    const dir = tempDir();
    const first = await startLedger({ dir, args: ['--quiet'] });
    const c = await RawClient.connect(first.url);
    const pem = await handshake(c, peer);
    ok(await call(c, 4, peer.pemPayload()), pem);
    c.close();
    await first.stop();
    // Turn the file back into what the first releases wrote: no migrations table, version 1 in meta,
    // the transactions table of version 1 (sign NOT NULL).
    const dbPath = join(dir, 'ledger.sqlite');
    const raw = new Database(dbPath);
    const before = raw.prepare('SELECT * FROM transactions ORDER BY seq').all();
    raw.pragma('foreign_keys = OFF');
    // Renaming must not rewrite tx_parties' reference to the table it replaces.
    raw.pragma('legacy_alter_table = ON');
    raw.exec(`
      BEGIN;
      DROP TABLE schema_migrations;
      UPDATE meta SET value = '1' WHERE key = 'schema_version';
      ALTER TABLE transactions RENAME TO transactions_old;
      DROP INDEX transactions_contract;
      DROP INDEX transactions_unsigned;
      ${SQLITE_MIGRATIONS[0]!.sql.match(/CREATE TABLE IF NOT EXISTS transactions \([\s\S]*?\) STRICT;/)![0]}
      INSERT INTO transactions SELECT * FROM transactions_old;
      DROP TABLE transactions_old;
      COMMIT;`);
    expect(raw.prepare(`SELECT sql FROM sqlite_master WHERE name = 'transactions'`).get()).toMatchObject({
      sql: expect.stringMatching(/sign\s+TEXT NOT NULL/),
    });
    raw.close();

    const again = await startLedger({ dir, args: ['--quiet'] });
    try {
      const db = await LedgerDb.open(again.db);
      expect(await db.meta('schema_version')).toBe(String(SQLITE_SCHEMA_VERSION));
      expect(db.sqlite!.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(
        SQLITE_MIGRATIONS.map((m) => ({ version: m.version })),
      );
      expect(db.sqlite!.prepare('SELECT * FROM transactions ORDER BY seq').all()).toEqual(before);
      const c2 = await RawClient.connect(again.url);
      ok(await call(c2, 2, peer.pemPayload()), pem);
      expect((await fullHistory(c2, peer, pem)).map((i) => i.tx_type)).toEqual([4, 2]);
      c2.close();
      expect(await auditLedger(db, 100000n, { verifySignatures: true })).toEqual([]);
      await db.close();
    } finally {
      await again.stop();
    }
  });

  it('a database migrated by a newer tracker is refused at start', async () => {
    const dir = tempDir();
    const first = await startLedger({ dir, args: ['--quiet'] });
    await first.stop();
    const raw = new Database(join(dir, 'ledger.sqlite'));
    raw
      .prepare(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from the future', 0)`)
      .run(SQLITE_SCHEMA_VERSION + 1);
    raw.close();
    await expect(startLedger({ dir, args: ['--quiet'] })).rejects.toThrow(
      new RegExp(`schema is at version ${SQLITE_SCHEMA_VERSION + 1}, newer than this tracker knows`),
    );
  });
});
