/** PostgreSQL errors the adapter handles: conflicts between writers, which it retries. */
import pg from 'pg';

/**
 * A write that lost a race with another node's (or connection's) write and can simply run again:
 * serialization failure, deadlock (PostgreSQL aborted one side), or a unique key inserted meanwhile
 * by a transaction that committed after this one read that the key was free.
 */
const RETRYABLE = new Set(['40001', '40P01', '23505']);

export function isWriteConflict(e: unknown): boolean {
  return e instanceof pg.DatabaseError && e.code !== undefined && RETRYABLE.has(e.code);
}
