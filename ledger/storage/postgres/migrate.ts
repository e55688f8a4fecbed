/**
 * Brings a PostgreSQL database to the schema of this tracker at start. Several nodes may start at
 * once: a session advisory lock lets one migrate while the others wait, then find nothing to do.
 */
import type pg from 'pg';
import { pendingMigrations } from '../migrations';
import { PG_MIGRATIONS } from './schema';
import { LOCKS } from './statements';

export async function migrate(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1)', [LOCKS.migrations]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const r = await client.query<{ v: number }>(
      'SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations',
    );
    for (const m of pendingMigrations(r.rows[0]!.v, PG_MIGRATIONS)) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK');
        throw e;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrations]);
  }
}
