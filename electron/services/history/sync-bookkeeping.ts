/** What HistorySync records per scope between syncs (see sync.ts for how the fields are used). */
import type { CacheDb } from './cache-db';
import type { TransactionStore } from './transaction-store';

export interface SyncMeta {
  /** End of the last sync that completed. */
  lastSyncedAt: number | null;
  /** Newest cached tx_id (the first of the newest-first order). */
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

interface MetaRow {
  last_synced_at: number | null;
  complete: number;
  pending: string | null;
}

function parsePending(text: string | null): SyncMeta['pending'] {
  if (!text) return null;
  try {
    const p = JSON.parse(text) as SyncMeta['pending'];
    if (
      p &&
      Number.isSafeInteger(p.total) &&
      Number.isSafeInteger(p.covered) &&
      typeof p.baseComplete === 'boolean'
    ) {
      return { total: p.total, covered: p.covered, baseComplete: p.baseComplete };
    }
  } catch {
    /* unreadable progress: the next sync starts over */
  }
  return null;
}

export class SyncBookkeeping {
  constructor(
    private readonly c: CacheDb,
    private readonly transactions: TransactionStore,
  ) {}

  private read(scopeId: number): Omit<SyncMeta, 'newestTxId'> {
    const row = this.c
      .prepared(`SELECT last_synced_at, complete, pending FROM sync_meta WHERE scope_id = ?`)
      .get(scopeId) as MetaRow | undefined;
    if (!row) return { lastSyncedAt: null, complete: false, pending: null };
    return {
      lastSyncedAt: row.last_synced_at,
      complete: row.complete === 1,
      pending: parsePending(row.pending),
    };
  }

  get(scope: string): SyncMeta {
    return { ...this.read(this.c.scopeId(scope, false)), newestTxId: this.transactions.newestTxId(scope) };
  }

  /** Changes some fields of a scope's bookkeeping; returns the result. */
  update(scope: string, patch: Partial<Omit<SyncMeta, 'newestTxId'>>): SyncMeta {
    const id = this.c.scopeId(scope, true);
    this.c.db.transaction(() => {
      const next = { ...this.read(id), ...patch };
      this.c
        .prepared(
          `INSERT INTO sync_meta (scope_id, last_synced_at, complete, pending) VALUES (?, ?, ?, ?)
           ON CONFLICT (scope_id) DO UPDATE SET last_synced_at = excluded.last_synced_at,
             complete = excluded.complete, pending = excluded.pending`,
        )
        .run(
          id,
          next.lastSyncedAt,
          next.complete ? 1 : 0,
          next.pending ? JSON.stringify(next.pending) : null,
        );
    })();
    return this.get(scope);
  }
}
