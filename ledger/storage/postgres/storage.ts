/**
 * The PostgreSQL adapter of the storage port (node-postgres): several tracker nodes may share one
 * database. Each write command is one READ COMMITTED transaction on a pooled connection that locks
 * what it reads (statements.ts); a transaction that loses a race with another writer (deadlock,
 * serialization failure, a unique key inserted meanwhile) is rolled back and run again, so a client
 * never sees INTERNAL because two nodes raced. The command is answered only after COMMIT returned
 * (synchronous_commit as the server has it: on by default, i.e. durable).
 *
 * A second, small pool with `synchronous_commit = off` carries what need not wait for the disk:
 * history cursors and item signatures (both are recomputed or refused cleanly if a crash loses them).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { CursorLimits } from '../memory-cursors';
import type { ItemSignature, LedgerReads, LedgerStorage, LedgerWrites, StorageObserver } from '../port';
import { PgCursorStore } from './cursors';
import { isWriteConflict } from './errors';
import { migrate } from './migrate';
import { PgReads, PgWrites } from './statements';
import { trackerTypes } from './types';

export interface PgStorageOptions {
  url: string;
  cursorLimits: CursorLimits;
  /** Connections for commands on this node. */
  poolSize?: number;
  observer?: StorageObserver;
  /** Told about failures of idle connections (the pool replaces them). */
  onError?: (e: Error) => void;
}

/** Runs of one write before a conflict is reported as a failure (each conflict means progress elsewhere). */
const MAX_ATTEMPTS = 20;

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function poolOf(url: string, max: number, lazy: boolean, onError: (e: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: trackerTypes,
    keepAlive: true,
    connectionTimeoutMillis: 5000,
    // A command never takes long; a stuck one must not hold its locks for ever.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: 'wallet-tracker',
    ...(lazy ? { options: '-c synchronous_commit=off' } : {}),
  });
  // An idle connection that breaks (server restart) is dropped by the pool; without a listener
  // the error would end the process.
  pool.on('error', onError);
  return pool;
}

export class PgStorage implements LedgerStorage {
  readonly cursors: PgCursorStore;
  private readonly reads: LedgerReads;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly lazy: pg.Pool,
    private readonly observer: StorageObserver | undefined,
    limits: CursorLimits,
  ) {
    this.reads = new PgReads(pool);
    this.cursors = new PgCursorStore(lazy, limits);
  }

  /** Connects and migrates the schema (several nodes starting at once wait for one another). */
  static async open(opts: PgStorageOptions): Promise<PgStorage> {
    const onError = opts.onError ?? (() => undefined);
    const pool = poolOf(opts.url, opts.poolSize ?? 10, false, onError);
    const lazy = poolOf(opts.url, 2, true, onError);
    try {
      const client = await pool.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    } catch (e) {
      await Promise.all([pool.end(), lazy.end()]);
      throw e;
    }
    return new PgStorage(pool, lazy, opts.observer, opts.cursorLimits);
  }

  read<T>(work: (r: LedgerReads) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return work(this.reads);
  }

  async write<T>(work: (w: LedgerWrites) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the database is closed');
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const value = await work(new PgWrites(client));
        const started = performance.now();
        await client.query('COMMIT');
        this.observer?.committed((performance.now() - started) / 1000, 1);
        return value;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (!isWriteConflict(e) || attempt >= MAX_ATTEMPTS) throw e;
      } finally {
        // A connection whose rollback failed is in an unknown state: destroyed, not reused.
        client.release(broken ? true : undefined);
      }
      // Jittered: two writers that deadlocked should not meet again at once.
      await pause(Math.random() * Math.min(50, 2 * attempt));
    }
  }

  async saveSignatures(signs: ItemSignature[]): Promise<void> {
    if (signs.length === 0) return;
    await this.lazy.query({
      name: 'save_signs',
      text: `UPDATE transactions t SET sign = v.sign
        FROM unnest($1::bigint[], $2::text[]) AS v(seq, sign)
        WHERE t.seq = v.seq AND t.sign IS NULL`,
      values: [signs.map((s) => s.seq), signs.map((s) => s.sign)],
    });
  }

  /** The database answers (a node that lost it says so on /healthz). */
  async healthy(timeoutMs = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const probe = this.pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.pool.end(), this.lazy.end()]);
  }
}
