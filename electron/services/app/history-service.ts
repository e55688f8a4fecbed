/** History for the API: cached reads (work offline), sync through the live session, CSV, chart. */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import type {
  HistoryFilter,
  HistoryPage,
  SyncStatus,
  ChartPoint,
  HistoryItem,
  RunningBalance,
} from '../../../shared/api/models';
import { commonAddressesOf } from '../../../shared/crypto/address';
import type { ParsedArgs } from '../../../shared/api/contract';
import { AppError, type ApiEvents } from '../api/backend';
import type { HistoryCache } from '../history/cache';
import { ownerViewOf, type Owner } from '../history/ownership';
import { HistorySync, type HistorySource, type SyncReport } from '../history/sync';
import type { Identities } from '../identities/service';
import type { ConnectionManager } from './connection';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../files/private';

export interface HistoryServiceDeps {
  cache: HistoryCache;
  identities: Identities;
  events: ApiEvents;
  connection: ConnectionManager;
  scopeOf(identityId: string): string | null;
  /** The pinned key of the tracker whose data is shown (its common address is "the tracker"). */
  trackerKey(): string | null;
  exportsDir: string;
}

/** An item as the identity sees it: whose its addresses are, and + / − / neutral. */
function seenBy(owner: Owner, item: HistoryItem): HistoryItem {
  return { ...item, owner: ownerViewOf(item, owner) };
}

function toStatus(r: SyncReport | SyncStatus): SyncStatus {
  return {
    identityId: r.identityId,
    running: r.running,
    fetched: r.fetched,
    total: r.total,
    added: r.added,
    lastSyncedAt: r.lastSyncedAt,
    error: r.error,
  };
}

export class HistoryService {
  private readonly syncer: HistorySync;
  private readonly running = new Set<Promise<unknown>>();
  /** The owner of each scope, kept while the scope's cached items and address states are the same. */
  private readonly owners = new Map<string, { key: string; owner: Owner }>();

  constructor(private readonly d: HistoryServiceDeps) {
    this.syncer = new HistorySync(d.cache, {
      // The reconciliation syncs every refresh period: a complete cache asks for 100 items first.
      incrementalPageSize: 100,
      onProgress: (r) => this.emitProgress(toStatus(r)),
    });
  }

  private emitProgress(status: SyncStatus): void {
    this.d.events.emit('sync.progress', { ...status, profileId: this.d.connection.viewProfileId });
  }

  private scope(identityId: string): string {
    const s = this.d.scopeOf(identityId);
    if (!s) throw new AppError('NO_TRACKER', 'no tracker has been used with this identity yet');
    return s;
  }

  private source(identityId: string): HistorySource {
    const client = this.d.connection.trackerClient;
    const pinned = client?.session.pinnedKey;
    if (!client || !pinned)
      throw new AppError('OFFLINE', 'not connected to a tracker: showing the cached history');
    const signer = this.d.identities.signer(identityId);
    return {
      trackerPem: pinned,
      first: async ({ pageSize, page }) => {
        const r = await client.firstTransactions(signer, { pageSize, page });
        return { meta: r.meta, items: r.items };
      },
      next: async (cursorId, page) => (await client.nextTransactions(signer, cursorId, page)).items,
      touch: (cursorId) => client.touchCursor(signer, cursorId),
    };
  }

  /** Runs a sync to the end (joins a running one); its failure is in the status, not thrown. */
  async sync(identityId: string): Promise<SyncStatus> {
    const p = this.syncer.sync(this.scope(identityId), identityId, this.source(identityId));
    this.running.add(p);
    try {
      return toStatus(await p);
    } finally {
      this.running.delete(p);
    }
  }

  /** A sync that could not even start: shown like one that failed. */
  reportFailure(identityId: string, e: Error): void {
    this.emitProgress({ ...this.status(identityId), running: false, error: e.message });
  }

  status(identityId: string): SyncStatus {
    const scope = this.d.scopeOf(identityId);
    if (!scope) {
      return {
        identityId,
        running: false,
        fetched: 0,
        total: null,
        added: 0,
        lastSyncedAt: null,
        error: null,
      };
    }
    return toStatus(this.syncer.status(scope, identityId));
  }

  /**
   * The identity's own addresses on the shown tracker (opened in its cached history or with a cached
   * state, and its common address) and the tracker's address.
   */
  private owner(identityId: string, scope: string): Owner {
    const { cache } = this.d;
    const trackerKey = this.d.trackerKey();
    const key = [
      cache.transactions.count(scope),
      cache.transactions.newestTxId(scope),
      cache.states.listAddresses(scope).length,
      trackerKey,
    ].join('|');
    const known = this.owners.get(`${identityId}|${scope}`);
    if (known?.key === key) return known.owner;
    const who = this.d.identities.list().find((i) => i.id === identityId);
    const owner = cache.owner(scope, {
      commonAddress: who ? [who.commonAddress, ...commonAddressesOf(who.publicPem)] : [],
      trackerAddresses: trackerKey ? commonAddressesOf(trackerKey) : [],
    });
    this.owners.set(`${identityId}|${scope}`, { key, owner });
    return owner;
  }

  query(a: ParsedArgs<'history.query'>): HistoryPage {
    const scope = this.d.scopeOf(a.identityId);
    if (!scope) return { items: [], next: null, total: 0 };
    const page = this.d.cache.transactions.query(scope, {
      filter: a.filter,
      after: a.after ?? null,
      limit: a.limit,
    });
    const owner = this.owner(a.identityId, scope);
    return { ...page, items: page.items.map((i) => seenBy(owner, i)) };
  }

  item(
    identityId: string,
    txId: string,
  ): {
    item: HistoryItem | null;
    parent: HistoryItem | null;
    children: HistoryItem[];
    balances: RunningBalance[];
    complete: boolean;
  } {
    const scope = this.d.scopeOf(identityId);
    if (!scope) return { item: null, parent: null, children: [], balances: [], complete: false };
    const r = this.d.cache.transactions.item(scope, txId);
    const owner = this.owner(identityId, scope);
    return {
      item: r.item && seenBy(owner, r.item),
      parent: r.parent && seenBy(owner, r.parent),
      children: r.children.map((c) => seenBy(owner, c)),
      balances: r.item ? this.d.cache.balancesAt(scope, txId, owner) : [],
      complete: this.d.cache.syncMeta.get(scope).complete,
    };
  }

  async exportCsv(
    identityId: string,
    filter: HistoryFilter,
  ): Promise<{ fileName: string; path: string; rows: number }> {
    const scope = this.scope(identityId);
    const who = this.d.identities.list().find((i) => i.id === identityId);
    ensurePrivateDir(this.d.exportsDir);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const fileName = `history-${(who?.name ?? 'identity').replace(/[^\w.-]+/g, '_').slice(0, 40)}-${stamp}.csv`;
    const path = join(this.d.exportsDir, fileName);
    const rows = await this.d.cache.exportCsv(scope, filter, path);
    // The folder is 0700 already; the file itself is owner-only too, whatever the umask.
    chmodSync(path, PRIVATE_FILE_MODE);
    return { fileName, path, rows };
  }

  chart(a: ParsedArgs<'history.chart'>): ChartPoint[] {
    const scope = this.d.scopeOf(a.identityId);
    if (!scope) return [];
    const range = {
      ...(a.fromTime !== undefined ? { fromTime: a.fromTime } : {}),
      ...(a.toTime !== undefined ? { toTime: a.toTime } : {}),
    };
    return this.d.cache.chart(scope, { buckets: a.buckets, ...range }, this.owner(a.identityId, scope));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await this.syncer.close();
  }
}
