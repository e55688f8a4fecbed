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
 */
import { EventEmitter } from 'node:events';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson, transactionItem } from '../../../shared/protocol/schemas';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { verifyMessage } from '../../../shared/crypto/sign';
import type { SyncStatus } from '../../../shared/api/models';
import type { HistoryCache } from './cache';
import type { CachedItem, SignatureVerdict } from './transaction-store';

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

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Items verified between two yields to the event loop (RSA verification costs ~30–50 µs each). */
const YIELD_EVERY = 250;
const MAX_TX_ID = 256;

/** What the pinned key can verify: the parsed key and its signature length in base64 characters. */
export interface ItemVerifier {
  key: KeyObject | null;
  signatureChars: number;
}

export function itemVerifier(trackerPem: string): ItemVerifier {
  try {
    const { key } = parsePublicKey(trackerPem);
    const bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    return { key, signatureChars: 4 * Math.ceil(bytes / 3) };
  } catch {
    return { key: null, signatureChars: 0 };
  }
}

/**
 * The verdict on an item's `sign`: the tracker's base64 RSA-SHA256 signature over the canonical JSON
 * of the item without `sign` (keys sorted). 'unverifiable' when `sign` is not base64 of the key's
 * signature length (the original server's opaque bytes) or no usable key is pinned.
 */
export function itemSignatureVerdict(raw: Record<string, unknown>, verifier: ItemVerifier): SignatureVerdict {
  const sign = raw.sign;
  if (
    verifier.key === null ||
    typeof sign !== 'string' ||
    sign.length !== verifier.signatureChars ||
    !BASE64.test(sign)
  ) {
    return 'unverifiable';
  }
  const { sign: _sign, ...unsigned } = raw;
  return verifyMessage(canonicalJson(unsigned), sign, verifier.key) ? 'valid' : 'invalid';
}

/** A raw item as a CachedItem, or null when it is malformed (schema, empty or oversized id). */
export function parseItem(raw: unknown, verifier: ItemVerifier): CachedItem | null {
  const item = parseUnverified(raw);
  if (item) item.signature = itemSignatureVerdict(item.raw, verifier);
  return item;
}

/** parseItem without the signature check (RSA: the costly part), for items that may be known already. */
function parseUnverified(raw: unknown): CachedItem | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = transactionItem.safeParse(raw);
  if (!r.success) return null;
  const t = r.data;
  if (t.tx_id.length === 0 || t.tx_id.length > MAX_TX_ID || !Number.isSafeInteger(t.timestamp)) return null;
  if (!Number.isSafeInteger(t.timelock)) return null;
  const obj = raw as Record<string, unknown>;
  return {
    txId: t.tx_id,
    parentTxId: t.parent_tx_id,
    txType: t.tx_type,
    from: t.from,
    to: t.to,
    amount: t.amount,
    volume: t.volume,
    quantumCount: t.quantum_count,
    contractId: t.contract_id,
    priceAmount: t.price_amount,
    pricePower: t.price_quantum_power,
    plannedQuantumCount: t.planned_quantum_count,
    timelock: t.timelock,
    timestamp: t.timestamp,
    status: t.status,
    signature: 'unverifiable',
    version: t.version,
    pk: t.pk,
    raw: obj,
  };
}

function isCursorNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'CURSOR_NOT_FOUND';
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class HistorySync extends EventEmitter<{ progress: [SyncReport] }> {
  private readonly pageSize: number;
  private readonly incrementalPageSize: number;
  private readonly touchAfterMs: number;
  private readonly maxRestarts: number;
  private readonly flushItems: number;
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
    this.now = opts.now ?? Date.now;
    this.onProgress = opts.onProgress;
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
    const p = this.run(scope, source, report).finally(() => this.running.delete(scope));
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
    let buffer: CachedItem[] = [];
    let processed = -1;
    const flush = (): void => {
      if (buffer.length > 0) report.added += this.cache.transactions.insertItems(scope, buffer);
      buffer = [];
      if (processed >= 0) {
        this.cache.syncMeta.update(scope, {
          complete: false,
          pending: { total, covered: processed, baseComplete },
        });
      }
    };
    try {
      for (;;) {
        const start = (page - 1) * ps;
        let knownInSkip = false;
        let knownBelow = false;
        const fresh: CachedItem[] = [];
        for (let i = 0; i < items.length; i++) {
          if (i > 0 && i % YIELD_EVERY === 0) await tick();
          const pos = start + i;
          const item = parseUnverified(items[i]);
          if (!item) {
            report.errors++;
            continue;
          }
          if (this.cache.transactions.hasTx(scope, item.txId)) {
            if (pos >= skipTo) knownBelow = true;
            else if (pos >= skipFrom) knownInSkip = true;
            continue;
          }
          item.signature = itemSignatureVerdict(item.raw, verifier);
          if (item.signature === 'invalid') report.invalid++;
          else if (item.signature === 'unverifiable') report.unverifiable++;
          fresh.push(item);
        }
        report.fetched += items.length;
        if (jumped && !knownInSkip) {
          // The saved run is not where the arithmetic put it: read every page from the top.
          jumped = false;
          skipFrom = skipTo = 0;
          stopAtKnown = false;
          buffer.push(...fresh);
          flush();
          page = 1;
          items = await this.nextPage(source, cursorId, page, lastUsed, report);
          lastUsed = this.now();
          continue;
        }
        jumped = false;
        buffer.push(...fresh);
        processed = Math.min(total, start + items.length);
        if (buffer.length >= this.flushItems) flush();
        this.emitProgress(report);
        if (stopAtKnown && knownBelow) return;
        if (items.length < ps || processed >= total) return;
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
      flush();
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
