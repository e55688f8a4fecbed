/**
 * The local history cache (SPEC §7: the full history survives restarts and works offline): one
 * SQLite file (cache-db.ts) holding, per scope, the transactions fetched from the tracker, the last
 * known wallet states, and the sync bookkeeping, each behind its own store. CSV export and chart are
 * pure modules fed by the transaction store's iterators.
 */
import type { ChartPoint, HistoryFilter, RunningBalance } from '../../../shared/api/models';
import { balanceAround } from './balances';
import { CacheDb, type CacheDbOptions } from './cache-db';
import { chartPoints } from './chart';
import { csvLines, type CsvOptions } from './csv-export';
import { SyncBookkeeping } from './sync-bookkeeping';
import { TransactionStore } from './transaction-store';
import { WalletStateStore } from './wallet-state-store';
import { writeLinesAtomically } from './write-lines';
import { roleOf, type Owner } from './ownership';

/** Who the owner of a scope is, as far as the caller knows it (the rest is read from the cache). */
export interface OwnerOptions {
  /**
   * The caller's own spend/income/common addresses. When absent they are inferred: every address an
   * OPEN_SPEND/OPEN_INCOME item of the scope opened (each address of the identity is opened by a
   * transaction in its own history), every address with a cached state, plus `commonAddress`.
   */
  ownAddresses?: readonly string[];
  /** The identity's common address (or several spellings of it). */
  commonAddress?: string | readonly string[];
  /** The tracker's common address (or several spellings of it). */
  trackerAddresses?: readonly string[];
}

export interface ChartOptions extends OwnerOptions {
  /** Number of equal time buckets over the span of the cached items, or over [fromTime, toTime] (1–1000). */
  buckets: number;
  fromTime?: number;
  toTime?: number;
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

  /** The owner of a scope: its own addresses and the tracker's (see OwnerOptions). */
  owner(scope: string, opts: OwnerOptions = {}): Owner {
    const own = new Set(
      opts.ownAddresses ?? [
        ...this.transactions.openedAddresses(scope),
        ...this.states.listAddresses(scope).map((a) => a.address),
      ],
    );
    const common = opts.commonAddress;
    for (const a of typeof common === 'string' ? [common] : (common ?? [])) own.add(a);
    return { own, tracker: new Set(opts.trackerAddresses ?? []) };
  }

  /**
   * Earnings, payments, paid traffic and the owner's balance over the span of the cached items or
   * the range asked for (see chart.ts). An empty scope or range gives [].
   */
  chart(scope: string, opts: ChartOptions, owner: Owner = this.owner(scope, opts)): ChartPoint[] {
    const cached = this.transactions.span(scope);
    if (!cached) return [];
    const span = { first: opts.fromTime ?? cached.first, last: opts.toTime ?? cached.last };
    return chartPoints(this.transactions.moneyRows(scope), span, opts.buckets, owner);
  }

  /**
   * For an item, each of its addresses that is the owner's: the balance just before and just after
   * it, summed (bigint) over that address's cached items. Empty for an unknown item.
   */
  balancesAt(scope: string, txId: string, owner: Owner): RunningBalance[] {
    const { item } = this.transactions.item(scope, txId);
    if (!item) return [];
    const addresses = [...new Set([item.from, item.to])].filter((a) => owner.own.has(a));
    return addresses.map((address) => {
      const { before, after } = balanceAround(this.transactions.moneyRows(scope, address), address, item);
      return { address, role: roleOf(address, owner), before: before.toString(), after: after.toString() };
    });
  }
}
