/**
 * The SQLite adapter of the storage port. One writer connection commits in groups: write commands
 * that arrive while a commit is in flight run together in one BEGIN IMMEDIATE … COMMIT (one fsync),
 * each inside its own SAVEPOINT so that a refusal undoes only that command, and none is answered
 * before the COMMIT returned. Reads use a second connection: in WAL mode it sees committed data
 * only, never a group still in flight (one better-sqlite3 connection would see its own uncommitted
 * writes).
 */
import { performance } from 'node:perf_hooks';
import { openDatabase, openReadConnection, type Db } from './open';
import { SqliteReads, SqliteWrites, Statements } from './statements';
import type {
  CursorStore,
  ItemSignature,
  LedgerReads,
  LedgerStorage,
  LedgerWrites,
  StorageObserver,
} from '../port';

interface WriteJob {
  work: (w: LedgerWrites) => Promise<unknown>;
  /** A command's write (counted in the commit metrics), not item signatures riding along. */
  command: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface SqliteStorageOptions {
  cursors: CursorStore;
  observer?: StorageObserver;
  /** Most write commands in one transaction (a bound on the latency of the last of them). */
  maxBatch?: number;
}

export class SqliteStorage implements LedgerStorage {
  readonly cursors: CursorStore;
  private readonly writer: Db;
  private readonly reader: Db;
  private readonly writeStatements: Statements;
  private readonly reads: LedgerReads;
  private readonly observer: StorageObserver | undefined;
  private readonly maxBatch: number;
  private queue: WriteJob[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;

  constructor(path: string, opts: SqliteStorageOptions) {
    this.writer = openDatabase(path);
    try {
      this.reader = openReadConnection(path);
    } catch (e) {
      this.writer.close();
      throw e;
    }
    this.writeStatements = new Statements(this.writer);
    this.reads = new SqliteReads(new Statements(this.reader));
    this.cursors = opts.cursors;
    this.observer = opts.observer;
    this.maxBatch = opts.maxBatch ?? 256;
  }

  read<T>(work: (r: LedgerReads) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return work(this.reads);
  }

  write<T>(work: (w: LedgerWrites) => Promise<T>, command = true): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, command, resolve: resolve as (v: unknown) => void, reject });
      this.draining ??= this.drain();
    });
  }

  /** Rides in the next group commit with the commands (no fsync of its own while commands flow). */
  saveSignatures(signs: ItemSignature[]): Promise<void> {
    return this.write(async (w) => (w as SqliteWrites).setSignatures(signs), false);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
    if (this.reader.open) this.reader.close();
    if (this.writer.open) this.writer.close();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.commitGroup(this.queue.splice(0, this.maxBatch));
    } finally {
      this.draining = null;
    }
  }

  /** One transaction for the group; every job settles after it committed (or rolled back). */
  private async commitGroup(group: WriteJob[]): Promise<void> {
    const db = this.writer;
    const outcomes: Outcome[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const job of group) {
        db.exec('SAVEPOINT command');
        const scope = new SqliteWrites(this.writeStatements);
        try {
          const value = await job.work(scope);
          db.exec('RELEASE command');
          outcomes.push({ ok: true, value });
        } catch (error) {
          // Some errors (disk full, I/O) end the whole transaction: then the group fails.
          if (!db.inTransaction) throw error;
          db.exec('ROLLBACK TO command');
          db.exec('RELEASE command');
          outcomes.push({ ok: false, error });
        }
      }
      const started = performance.now();
      db.exec('COMMIT');
      const commands = group.filter((j) => j.command).length;
      if (commands > 0) this.observer?.committed((performance.now() - started) / 1000, commands);
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      for (const job of group) job.reject(error);
      return;
    }
    group.forEach((job, i) => {
      const o = outcomes[i]!;
      if (o.ok) job.resolve(o.value);
      else job.reject(o.error);
    });
  }
}
