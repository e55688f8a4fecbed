/**
 * Incremental sync of an identity's history from the tracker (cmd 1024/2048/4096) into HistoryCache.
 * Plain Node (no Electron); talks to the tracker only through the HistorySource interface.
 *
 * How a sync walks the tracker's pages (newest first, positions 0..totalCount-1 of one cursor):
 * - After a completed sync (`complete`), pages are read until one holds an item already cached:
 *   everything older is cached too, so a sync with n new items reads about n / pageSize + 1 pages.
 * - A first sync (nothing complete yet) reads every page.
 * - After every page the progress is saved (`pending`: positions 0..covered-1 of a cursor of `total`
 *   items are cached). A sync that was interrupted (error, crash, CURSOR_NOT_FOUND) resumes from
 *   there: the tracker only ever adds transactions at the newest end, so with a new cursor of
 *   total' items the saved run now sits at positions d..d+covered-1 (d = total' − total). The new
 *   items on top are read, the saved run is jumped over (the landing page must show a cached item
 *   of that run, else the sync falls back to reading every page), and reading goes on below it —
 *   to the end, or, when the history below the run was complete before, to the first cached item.
 * - Duplicates are never stored twice (the cache ignores them), so every fallback is safe.
 * - Pages are pipelined (store-queue.ts): while a page's signatures are checked on a worker thread
 *   and the previous pages are written, the next page is being fetched; the saved progress only
 *   ever covers pages whose items are stored.
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { HistoryItem, SyncStatus } from '../../../shared/api/models';
import type { HistoryCache } from './cache';
import { encodeItem, modelOf } from './item-codec';
import { itemSignatureVerdict, itemVerifier, SignatureChecker, type ItemVerifier } from './signature-checker';
import { StoreQueue, type FreshItem } from './store-queue';
import type { EncodedStoredItem } from './transaction-store';

export { itemVerifier, itemSignatureVerdict } from './signature-checker';
export type { ItemVerifier } from './signature-checker';

/** The tracker's history commands for one identity (implemented over the session / a raw client). */
export interface HistorySource {
  /** cmd 1024. */
  first(opts: {
    pageSize: number;
    page: number;
  }): Promise<{ meta: { cursorId: string; totalCount: number; pageCount: number }; items: unknown[] }>;
  /** cmd 2048. */
  next(cursorId: string, page: number): Promise<unknown[]>;
  /** cmd 4096. */
  touch(cursorId: string): Promise<void>;
  /** The pinned tracker key: item signatures are verified against it. */
  trackerPem: string;
}

export interface HistorySyncOptions {
  /** Items per tracker page, 1–1000 (default 1000). */
  pageSize?: number;
  /**
   * Items per page when the cache was complete (a routine refresh that mostly finds nothing new):
   * a small first page answers "nothing new" cheaply. Default: pageSize.
   */
  incrementalPageSize?: number;
  /** Touch the cursor (cmd 4096) before the next page when it has not been used for this long (default 60 s; cursors live 5 min). */
  touchAfterMs?: number;
  /** New cursors taken after CURSOR_NOT_FOUND within one sync before giving up (default 5). */
  maxRestarts?: number;
  /** Clock (tests). */
  now?: () => number;
  /** New items stored per database transaction (default 5000; progress is saved with each). */
  flushItems?: number;
  /** Pages fetched ahead of the one being stored (default 3). */
  pagesAhead?: number;
  /** Worker threads checking item signatures (default: one per core, at most 4). */
  checkerThreads?: number;
  /** Called with every progress report (also emitted as the 'progress' event). */
  onProgress?: (report: SyncReport) => void;
}

/** Progress of one sync: the contract's SyncStatus plus the details tests and logs want. */
export interface SyncReport extends SyncStatus {
  scope: string;
  /** Tracker pages read (1024 and 2048 answers). */
  pages: number;
  /** Items rejected as malformed (skipped, never stored). */
  errors: number;
  /** New items whose signature did not verify with the pinned key (stored, marked 'invalid'). */
  invalid: number;
  /** New items without a usable signature (stored, marked 'unverifiable'). */
  unverifiable: number;
  /** New cursors taken after CURSOR_NOT_FOUND. */
  restarts: number;
  /** Cursor touches (cmd 4096) sent. */
  touches: number;
  /** The sync ended with the cache holding the tracker's full history. */
  complete: boolean;
}

export class HistorySyncError extends Error {
  constructor(
    readonly code: 'BAD_RESPONSE',
    message: string,
  ) {
    super(message);
    this.name = 'HistorySyncError';
  }
}

const firstAnswer = z.object({
  meta: z.object({
    cursorId: z.string().min(1).max(256),
    totalCount: z.number().int().nonnegative().refine(Number.isSafeInteger),
    pageCount: z.number().int().nonnegative(),
  }),
  items: z.array(z.unknown()),
});

/** One transaction as parsed from a tracker page: the model, and the item as received. */
export interface CachedItem extends HistoryItem {
  version: string;
  pk: string;
  raw: Record<string, unknown>;
}

/** A raw item as a CachedItem with its signature verdict, or null when it is malformed. */
export function parseItem(raw: unknown, verifier: ItemVerifier): CachedItem | null {
  const e = encodeItem(raw);
  if (!e) return null;
  const obj = raw as Record<string, unknown>;
  return { ...modelOf(e, itemSignatureVerdict(obj, verifier)), version: e.version, pk: e.pk, raw: obj };
}

/** Signature threads end when no sync has used them for this long. */
const CHECKER_IDLE_MS = 30_000;

function isCursorNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'CURSOR_NOT_FOUND';
}

export class HistorySync extends EventEmitter<{ progress: [SyncReport] }> {
  private readonly pageSize: number;
  private readonly incrementalPageSize: number;
  private readonly touchAfterMs: number;
  private readonly maxRestarts: number;
  private readonly flushItems: number;
  private readonly pagesAhead: number;
  private readonly checkerThreads: number | undefined;
  /** Signature threads, kept between syncs with the same key and ended after a while unused. */
  private checker: { pem: string; checker: SignatureChecker } | null = null;
  private checkerIdle: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly onProgress: ((r: SyncReport) => void) | undefined;
  private readonly running = new Map<string, Promise<SyncReport>>();
  private readonly reports = new Map<string, SyncReport>();

  constructor(
    private readonly cache: Pick<HistoryCache, 'transactions' | 'syncMeta'>,
    opts: HistorySyncOptions = {},
  ) {
    super();
    this.pageSize = opts.pageSize ?? 1000;
    this.incrementalPageSize = opts.incrementalPageSize ?? this.pageSize;
    for (const size of [this.pageSize, this.incrementalPageSize]) {
      if (!Number.isInteger(size) || size < 1 || size > 1000) {
        throw new RangeError('pageSize must be an integer 1–1000');
      }
    }
    this.touchAfterMs = opts.touchAfterMs ?? 60_000;
    this.maxRestarts = opts.maxRestarts ?? 5;
    this.flushItems = Math.max(1, opts.flushItems ?? 5000);
    this.pagesAhead = Math.max(1, opts.pagesAhead ?? 3);
    this.checkerThreads = opts.checkerThreads;
    this.now = opts.now ?? Date.now;
    this.onProgress = opts.onProgress;
  }

  /** The signature threads for a tracker key (started on first use, ended when unused for 30 s). */
  private checkerFor(pem: string, verifier: ItemVerifier): SignatureChecker {
    if (this.checkerIdle) clearTimeout(this.checkerIdle);
    this.checkerIdle = null;
    if (this.checker && (this.checker.pem !== pem || this.checker.checker.broken)) {
      void this.checker.checker.close();
      this.checker = null;
    }
    this.checker ??= {
      pem,
      checker: new SignatureChecker(verifier.key!, verifier.signatureBytes, this.checkerThreads),
    };
    return this.checker.checker;
  }

  private checkerUnused(): void {
    if (!this.checker || this.running.size > 0) return;
    if (this.checkerIdle) clearTimeout(this.checkerIdle);
    this.checkerIdle = setTimeout(() => void this.close(), CHECKER_IDLE_MS);
    this.checkerIdle.unref();
  }

  /** Ends the signature threads (a later sync starts them again). */
  async close(): Promise<void> {
    if (this.checkerIdle) clearTimeout(this.checkerIdle);
    this.checkerIdle = null;
    const c = this.checker;
    this.checker = null;
    await c?.checker.close();
  }

  isRunning(scope: string): boolean {
    return this.running.has(scope);
  }

  /** The current (or last) report of a scope's sync, or what the cache knows when none ran yet. */
  status(scope: string, identityId: string): SyncStatus {
    const r = this.reports.get(scope);
    if (r) return toStatus(r);
    return {
      identityId,
      running: false,
      fetched: 0,
      total: null,
      added: 0,
      lastSyncedAt: this.cache.syncMeta.get(scope).lastSyncedAt,
      error: null,
    };
  }

  /**
   * Syncs a scope. A call while the scope's sync runs joins it (same promise). Never rejects: a
   * failure ends the sync with `error` set and the progress saved for the next sync to resume.
   */
  sync(scope: string, identityId: string, source: HistorySource): Promise<SyncReport> {
    const current = this.running.get(scope);
    if (current) return current;
    const report: SyncReport = {
      scope,
      identityId,
      running: true,
      fetched: 0,
      total: null,
      added: 0,
      lastSyncedAt: this.cache.syncMeta.get(scope).lastSyncedAt,
      error: null,
      pages: 0,
      errors: 0,
      invalid: 0,
      unverifiable: 0,
      restarts: 0,
      touches: 0,
      complete: false,
    };
    this.reports.set(scope, report);
    const p = this.run(scope, source, report).finally(() => {
      this.running.delete(scope);
      this.checkerUnused();
    });
    this.running.set(scope, p);
    return p;
  }

  private emitProgress(report: SyncReport): void {
    const copy = { ...report };
    try {
      this.onProgress?.(copy);
      this.emit('progress', copy);
    } catch {
      /* a listener's failure is not the sync's */
    }
  }

  private async run(scope: string, source: HistorySource, report: SyncReport): Promise<SyncReport> {
    this.emitProgress(report);
    const verifier = itemVerifier(source.trackerPem);
    try {
      for (;;) {
        try {
          await this.pass(scope, source, report, verifier);
          break;
        } catch (e) {
          if (isCursorNotFound(e) && report.restarts < this.maxRestarts) {
            report.restarts++;
            continue;
          }
          throw e;
        }
      }
      const meta = this.cache.syncMeta.update(scope, {
        complete: true,
        pending: null,
        lastSyncedAt: this.now(),
      });
      report.lastSyncedAt = meta.lastSyncedAt;
      report.complete = true;
    } catch (e) {
      report.error = e instanceof Error ? e.message : String(e);
    }
    report.running = false;
    this.emitProgress(report);
    return { ...report };
  }

  /** One cursor's walk; throws CURSOR_NOT_FOUND (the caller starts another pass) or a failure. */
  private async pass(
    scope: string,
    source: HistorySource,
    report: SyncReport,
    verifier: ItemVerifier,
  ): Promise<void> {
    const meta = this.cache.syncMeta.get(scope);
    // Positions, not pages, are saved: the page size may differ from one pass to the next.
    const ps = meta.complete && !meta.pending ? this.incrementalPageSize : this.pageSize;
    const parsed = firstAnswer.safeParse(await source.first({ pageSize: ps, page: 1 }));
    if (!parsed.success)
      throw new HistorySyncError('BAD_RESPONSE', 'the tracker sent a malformed history page');
    const { cursorId, totalCount: total } = parsed.data.meta;
    let lastUsed = this.now();
    report.pages++;
    report.total = total;

    const baseComplete = meta.pending ? meta.pending.baseComplete : meta.complete;
    let stopAtKnown = baseComplete;
    // [skipFrom, skipTo): positions of this cursor already cached by an unfinished sync.
    let skipFrom = 0;
    let skipTo = 0;
    if (meta.pending) {
      const d = total - meta.pending.total;
      if (d < 0)
        stopAtKnown = false; // the tracker's history shrank: trust nothing, read it all
      else {
        skipFrom = d;
        skipTo = Math.min(total, d + meta.pending.covered);
      }
    }

    let page = 1;
    let items = parsed.data.items;
    let jumped = false;
    // New items are stored in batches of about flushItems (bigger transactions write the random-keyed
    // indexes far less often); the saved progress only ever covers pages whose items are stored.
    const queue = new StoreQueue({
      verifier,
      checker: () => this.checkerFor(source.trackerPem, verifier),
      flushItems: this.flushItems,
      pagesAhead: this.pagesAhead,
      report,
      store: (rows: EncodedStoredItem[], processed: number) => {
        if (rows.length > 0) report.added += this.cache.transactions.insertEncoded(scope, rows);
        if (processed >= 0) {
          this.cache.syncMeta.update(scope, {
            complete: false,
            pending: { total, covered: processed, baseComplete },
          });
        }
      },
    });
    const scopeId = this.cache.transactions.scopeIdOf(scope, true);
    // Nothing cached yet (a first sync): no item of this cursor can be known.
    const anyCached = meta.newestTxId !== null || meta.pending !== null;
    try {
      for (;;) {
        const start = (page - 1) * ps;
        let knownInSkip = false;
        let knownBelow = false;
        const ids = items.map((raw) =>
          raw !== null && typeof raw === 'object' && typeof (raw as { tx_id?: unknown }).tx_id === 'string'
            ? (raw as { tx_id: string }).tx_id
            : null,
        );
        const known = anyCached
          ? this.cache.transactions.knownTxIds(
              scopeId,
              ids.filter((id): id is string => id !== null),
            )
          : null;
        const fresh: FreshItem[] = [];
        for (let i = 0; i < items.length; i++) {
          const pos = start + i;
          // An id already cached: nothing more to read of it (its signature was checked then).
          if (known?.has(ids[i]!)) {
            if (pos >= skipTo) knownBelow = true;
            else if (pos >= skipFrom) knownInSkip = true;
            continue;
          }
          const item = encodeItem(items[i]);
          if (!item) {
            report.errors++;
            continue;
          }
          fresh.push({ item, raw: items[i] as Record<string, unknown> });
        }
        report.fetched += items.length;
        if (jumped && !knownInSkip) {
          // The saved run is not where the arithmetic put it: read every page from the top.
          jumped = false;
          skipFrom = skipTo = 0;
          stopAtKnown = false;
          await queue.add(fresh, null, true);
          page = 1;
          items = await this.nextPage(source, cursorId, page, lastUsed, report);
          lastUsed = this.now();
          continue;
        }
        jumped = false;
        await queue.add(fresh, Math.min(total, start + items.length), false);
        this.emitProgress(report);
        if (stopAtKnown && knownBelow) return;
        if (items.length < ps || start + items.length >= total) return;
        page++;
        const nextStart = (page - 1) * ps;
        if (nextStart >= skipFrom && nextStart < skipTo) {
          const target = Math.floor((skipTo - 1) / ps) + 1;
          if (target > page) {
            page = target;
            jumped = true;
          }
        }
        items = await this.nextPage(source, cursorId, page, lastUsed, report);
        lastUsed = this.now();
      }
    } finally {
      await queue.finish();
    }
  }

  private async nextPage(
    source: HistorySource,
    cursorId: string,
    page: number,
    lastUsed: number,
    report: SyncReport,
  ): Promise<unknown[]> {
    if (this.now() - lastUsed >= this.touchAfterMs) {
      await source.touch(cursorId);
      report.touches++;
    }
    const items = await source.next(cursorId, page);
    if (!Array.isArray(items))
      throw new HistorySyncError('BAD_RESPONSE', 'the tracker sent a malformed history page');
    report.pages++;
    return items;
  }
}

function toStatus(r: SyncReport): SyncStatus {
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
