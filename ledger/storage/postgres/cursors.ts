/**
 * History cursors in PostgreSQL, so that a cursor made on one node pages on any other (SPEC §4):
 * TTL from creation or last use, at most `perKey` per requesting key and `total` overall, the least
 * recently used going first. Cursors are not money: their writes commit without waiting for the
 * disk (the pool's `synchronous_commit = off`); one lost to a database crash is CURSOR_NOT_FOUND.
 */
import type pg from 'pg';
import type { CursorRecord, CursorStore, HistoryQuery } from '../port';
import type { CursorLimits } from '../memory-cursors';
import { LOCKS } from './statements';

interface CursorRow {
  id: string;
  query: string;
  page_size: number;
  total_count: number;
}

export class PgCursorStore implements CursorStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: CursorLimits,
  ) {}

  async create(record: CursorRecord, now: number): Promise<void> {
    const client = await this.pool.connect();
    let failed = false;
    try {
      await client.query('BEGIN');
      // One creation at a time, so that the caps hold exactly whichever node creates.
      await client.query({
        name: 'cursor_lock',
        text: 'SELECT pg_advisory_xact_lock($1)',
        values: [LOCKS.cursors],
      });
      await client.query({
        name: 'cursor_sweep',
        text: 'DELETE FROM cursors WHERE expires_at <= $1',
        values: [now],
      });
      await client.query({
        name: 'cursor_insert',
        text: `INSERT INTO cursors (id, owner_id, query, page_size, total_count, expires_at, last_used)
          VALUES ($1, $2, $3, $4, $5, $6, nextval('cursor_use'))`,
        values: [
          record.id,
          record.query.ownerId,
          JSON.stringify(record.query),
          record.pageSize,
          record.totalCount,
          now + this.limits.ttlMs,
        ],
      });
      await client.query({
        name: 'cursor_cap_key',
        text: `DELETE FROM cursors WHERE id IN (
          SELECT id FROM cursors WHERE owner_id = $1 ORDER BY last_used DESC OFFSET $2)`,
        values: [record.query.ownerId, this.limits.perKey],
      });
      await client.query({
        name: 'cursor_cap_total',
        text: `DELETE FROM cursors WHERE id IN (SELECT id FROM cursors ORDER BY last_used DESC OFFSET $1)`,
        values: [this.limits.total],
      });
      await client.query('COMMIT');
    } catch (e) {
      failed = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release(failed ? true : undefined);
    }
  }

  async use(id: string, ownerId: string, now: number): Promise<CursorRecord | undefined> {
    const r = await this.pool.query<CursorRow>({
      name: 'cursor_use',
      text: `UPDATE cursors SET expires_at = $3 + $4::bigint, last_used = nextval('cursor_use')
        WHERE id = $1 AND owner_id = $2 AND expires_at > $3
        RETURNING id, query, page_size, total_count`,
      values: [id, ownerId, now, this.limits.ttlMs],
    });
    const row = r.rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      query: JSON.parse(row.query) as HistoryQuery,
      pageSize: row.page_size,
      totalCount: row.total_count,
    };
  }

  async count(now: number): Promise<number> {
    const r = await this.pool.query<{ n: number }>({
      name: 'cursor_count',
      text: 'SELECT COUNT(*) AS n FROM cursors WHERE expires_at > $1',
      values: [now],
    });
    return r.rows[0]!.n;
  }
}
