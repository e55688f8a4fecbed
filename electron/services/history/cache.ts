/**
 * The local history cache (SPEC §7: the full history survives restarts and works offline): one
 * SQLite file (cache-db.ts) holding, per scope, the transactions fetched from the tracker, the last
 * known wallet states, and the sync bookkeeping, each behind its own store. CSV export and chart are
 * pure modules fed by the transaction store's iterators.
 */
import type { ChartPoint, HistoryFilter } from '../../../shared/api/models';
import { CacheDb, type CacheDbOptions } from './cache-db';
import { chartPoints } from './chart';
import { csvLines, type CsvOptions } from './csv-export';
import { SyncBookkeeping } from './sync-bookkeeping';
import { TransactionStore } from './transaction-store';
import { WalletStateStore } from './wallet-state-store';
import { writeLinesAtomically } from './write-lines';

export interface ChartOptions {
  /** Number of equal time buckets over the span of the cached items (1–1000). */
  buckets: number;
  /**
   * The caller's own spend/income/common addresses. When absent they are inferred: every address an
   * OPEN_SPEND/OPEN_INCOME item of the scope opened (each address of the identity is opened by a
   * transaction in its own history) plus `commonAddress`.
   */
  ownAddresses?: readonly string[];
  commonAddress?: string;
}

export class HistoryCache {
  private readonly file: CacheDb;
  readonly transactions: TransactionStore;
  readonly states: WalletStateStore;
  readonly syncMeta: SyncBookkeeping;

  /**
   * Opens (creating if needed) the cache file. A file of an unknown schema version is rebuilt empty.
   * With `labelsPath` (the label store's file) items are searched by label too.
   */
  constructor(path: string, opts: CacheDbOptions = {}) {
    this.file = new CacheDb(path, opts);
    this.transactions = new TransactionStore(this.file);
    this.states = new WalletStateStore(this.file);
    this.syncMeta = new SyncBookkeeping(this.file, this.transactions);
  }

  get path(): string {
    return this.file.path;
  }

  get open(): boolean {
    return this.file.open;
  }

  close(): void {
    this.file.close();
  }

  /** Labels were changed: counts of searches are read again. */
  labelsChanged(): void {
    this.transactions.labelsChanged();
  }

  /** Removes everything cached for a scope (items, states, sync bookkeeping). */
  clearScope(scope: string): void {
    this.file.clearScope(scope);
  }

  /**
   * Writes the matching items (newest first) as CSV to `path`, from one consistent snapshot; the
   * file appears under `path` only when complete. Returns the number of rows written.
   */
  async exportCsv(
    scope: string,
    filter: HistoryFilter,
    path: string,
    opts: CsvOptions = {},
  ): Promise<number> {
    const items = this.transactions.exportedItems(scope, filter);
    const lines = await writeLinesAtomically(path, csvLines(items, opts));
    return lines - 1;
  }

  /** Earnings and paid traffic over the span of the cached items (see chart.ts). An empty scope gives []. */
  chart(scope: string, opts: ChartOptions): ChartPoint[] {
    const own = new Set(opts.ownAddresses ?? this.transactions.openedAddresses(scope));
    if (opts.commonAddress) own.add(opts.commonAddress);
    return chartPoints(
      this.transactions.settlements(scope),
      this.transactions.span(scope),
      opts.buckets,
      own,
    );
  }
}
