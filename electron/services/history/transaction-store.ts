/**
 * The cached transactions of each scope (SPEC §7: the full history survives restarts and works
 * offline): stored once per scope with their signature verdicts, paged newest first with a keyset
 * cursor, filtered, and read as iterators for the CSV export and the chart.
 */
import Database from 'better-sqlite3';
import type { HistoryFilter, HistoryItem, HistoryPage } from '../../../shared/api/models';
import { TxType } from '../../../shared/protocol/commands';
import type { ChannelTransactions } from '../channels/ports';
import type { CacheDb } from './cache-db';
import { HistoryCacheError } from './errors';
import {
  countParams,
  countSql,
  filterSql,
  matchingParams,
  matchingSql,
  parseFilter,
  toItem,
  TX_COLUMNS,
  type FilterSql,
  type SignatureVerdict,
  type TxRow,
} from './filter-sql';

export type { SignatureVerdict } from './filter-sql';

/** One transaction as the cache stores it: the model fields plus what the model leaves out. */
export interface CachedItem extends HistoryItem {
  version: string;
  /** The signer's PEM as the item carried it (stored once per distinct PEM). */
  pk: string;
  /** The item exactly as received (JSON object), `sign` and unknown extra fields included. */
  raw: Record<string, unknown>;
}

/** An item with the one extra field the CSV export writes. */
export type ExportedItem = HistoryItem & { version: string };

/** What the chart reads of a CLOSE_TRANSFER item. */
export interface SettlementRow {
  timestamp: number;
  from: string;
  to: string;
  amount: string;
  volume: string;
}

export interface HistoryQueryOptions {
  filter?: HistoryFilter;
  /** The `next` of the previous page; absent/null for the newest page. */
  after?: string | null;
  /** 1–1000, default 100. */
  limit?: number;
}

export interface ItemWithRelations {
  item: HistoryItem | null;
  parent: HistoryItem | null;
  /** Items whose parent_tx_id is the item's id, oldest first. */
  children: HistoryItem[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const VERDICTS: ReadonlySet<string> = new Set<SignatureVerdict>(['valid', 'invalid', 'unverifiable']);
const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/** The opaque keyset cursor: base64url of JSON [timestamp, tx_id] of the last row of a page. */
function encodeCursor(timestamp: number, txId: string): string {
  return Buffer.from(JSON.stringify([timestamp, txId]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { timestamp: number; txId: string } {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !Number.isSafeInteger(v[0]) ||
    typeof v[1] !== 'string' ||
    v[1].length > 256
  ) {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  return { timestamp: v[0] as number, txId: v[1] };
}

function checkItems(items: readonly CachedItem[]): void {
  // INSERT OR IGNORE would also drop rows breaking a CHECK or NOT NULL silently: refuse them here.
  for (const it of items) {
    if (typeof it.txId !== 'string' || it.txId === '' || !VERDICTS.has(it.signature)) {
      throw new HistoryCacheError('BAD_ARGUMENT', `item ${String(it.txId)}: bad id or signature verdict`);
    }
    for (const v of [it.amount, it.volume, it.quantumCount, it.priceAmount, it.plannedQuantumCount]) {
      if (!DECIMAL.test(v))
        throw new HistoryCacheError('BAD_ARGUMENT', `item ${it.txId}: ${v} is not a decimal`);
    }
  }
}

const INSERT_SQL = `INSERT OR IGNORE INTO tx (scope_id, ${TX_COLUMNS}, version, pk_id, raw)
  VALUES (@scope_id, @tx_id, @parent_tx_id, @tx_type, @from_address, @to_address, @amount, @volume,
  @quantum_count, @contract_id, @price_amount, @price_quantum_power, @planned_quantum_count, @timelock,
  @timestamp, @status, @signature, @version, @pk_id, @raw)`;

export class TransactionStore {
  /** COUNT(*) per scope and filter, dropped whenever the scope gains or loses items. */
  private readonly counts = new Map<number, Map<string, number>>();

  constructor(private readonly c: CacheDb) {
    c.onScopeCleared((id) => this.counts.delete(id));
  }

  /** Stores items in one database transaction; items already cached are ignored. Returns how many were new. */
  insertItems(scope: string, items: readonly CachedItem[]): number {
    if (items.length === 0) return 0;
    checkItems(items);
    let added = 0;
    const scopeId = this.c.scopeId(scope, true);
    const insert = this.c.prepared(INSERT_SQL);
    const store = this.c.db.transaction(() => {
      for (const it of items) {
        const raw: Record<string, unknown> = { ...it.raw };
        if (raw.pk === it.pk) delete raw.pk;
        added += insert.run({
          scope_id: scopeId,
          tx_id: it.txId,
          parent_tx_id: it.parentTxId,
          tx_type: it.txType,
          from_address: it.from,
          to_address: it.to,
          amount: it.amount,
          volume: it.volume,
          quantum_count: it.quantumCount,
          contract_id: it.contractId,
          price_amount: it.priceAmount,
          price_quantum_power: it.pricePower,
          planned_quantum_count: it.plannedQuantumCount,
          timelock: it.timelock,
          timestamp: it.timestamp,
          status: it.status,
          signature: it.signature,
          version: it.version,
          pk_id: this.c.pemId(it.pk),
          raw: JSON.stringify(raw),
        }).changes;
      }
    });
    try {
      store();
    } catch (e) {
      this.c.forgetPems();
      throw e;
    }
    if (added > 0) this.counts.delete(scopeId);
    return added;
  }

  hasTx(scope: string, txId: string): boolean {
    return (
      this.c
        .prepared(`SELECT 1 FROM tx WHERE scope_id = ? AND tx_id = ?`)
        .get(this.c.scopeId(scope, false), txId) !== undefined
    );
  }

  /** The newest cached tx_id of a scope (by timestamp, then tx_id), or null. */
  newestTxId(scope: string): string | null {
    const row = this.c
      .prepared(`SELECT tx_id FROM tx WHERE scope_id = ? ORDER BY timestamp DESC, tx_id DESC LIMIT 1`)
      .get(this.c.scopeId(scope, false)) as { tx_id: string } | undefined;
    return row?.tx_id ?? null;
  }

  /** Number of cached items of a scope matching a filter. */
  count(scope: string, filter: HistoryFilter = {}): number {
    return this.countOf(this.c.scopeId(scope, false), filterSql(parseFilter(filter)));
  }

  private countOf(scopeId: number, f: FilterSql): number {
    let perScope = this.counts.get(scopeId);
    const hit = perScope?.get(f.key);
    if (hit !== undefined) return hit;
    const { n } = this.c.prepared(countSql(f)).get(...countParams(scopeId, f)) as { n: number };
    if (!perScope) this.counts.set(scopeId, (perScope = new Map()));
    if (perScope.size >= 64) perScope.clear();
    perScope.set(f.key, n);
    return n;
  }

  /**
   * One page, newest first by (timestamp DESC, tx_id DESC), with keyset pagination: `next` encodes the
   * last row and the following page starts strictly after it (no OFFSET, no gaps or repeats while
   * items are added). `total` counts every cached item matching the filter.
   */
  query(scope: string, opts: HistoryQueryOptions = {}): HistoryPage {
    const filter = parseFilter(opts.filter);
    const limit = opts.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HistoryCacheError('BAD_ARGUMENT', `limit must be an integer 1–${MAX_LIMIT}`);
    }
    const scopeId = this.c.scopeId(scope, false);
    const f = filterSql(filter);
    const c = opts.after ? decodeCursor(opts.after) : null;
    const keyset: [number, string] | null = c ? [c.timestamp, c.txId] : null;
    const rows = this.c
      .prepared(matchingSql(TX_COLUMNS, f, keyset !== null, true))
      .all(...matchingParams(scopeId, f, keyset, limit + 1)) as TxRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toItem),
      next: more && last ? encodeCursor(last.timestamp, last.tx_id) : null,
      total: this.countOf(scopeId, f),
    };
  }

  private row(scopeId: number, txId: string): TxRow | undefined {
    return this.c
      .prepared(`SELECT ${TX_COLUMNS} FROM tx WHERE scope_id = ? AND tx_id = ?`)
      .get(scopeId, txId) as TxRow | undefined;
  }

  /** An item with its parent and children (items whose parent_tx_id is its id). */
  item(scope: string, txId: string): ItemWithRelations {
    const scopeId = this.c.scopeId(scope, false);
    const row = this.row(scopeId, txId);
    if (!row) return { item: null, parent: null, children: [] };
    const parent = row.parent_tx_id ? this.row(scopeId, row.parent_tx_id) : undefined;
    const children = this.c
      .prepared(
        `SELECT ${TX_COLUMNS} FROM tx INDEXED BY tx_by_parent
         WHERE scope_id = ? AND parent_tx_id = ? AND parent_tx_id <> '' ORDER BY timestamp, tx_id`,
      )
      .all(scopeId, txId) as TxRow[];
    return { item: toItem(row), parent: parent ? toItem(parent) : null, children: children.map(toItem) };
  }

  /** The item as the tracker sent it (e.g. to verify its signature again), or null. */
  rawItem(scope: string, txId: string): Record<string, unknown> | null {
    const row = this.c
      .prepared(
        `SELECT raw, pems.pem AS pem FROM tx LEFT JOIN pems ON pems.id = tx.pk_id WHERE scope_id = ? AND tx_id = ?`,
      )
      .get(this.c.scopeId(scope, false), txId) as { raw: string; pem: string | null } | undefined;
    if (!row) return null;
    const raw = JSON.parse(row.raw) as Record<string, unknown>;
    return row.pem !== null && !('pk' in raw) ? { ...raw, pk: row.pem } : raw;
  }

  /**
   * Every matching item, newest first, read with a streaming iterator on a separate read-only
   * connection: one consistent snapshot however long the reader takes, and the main connection stays
   * free. Closing the iterator (a `for…of` that ends or breaks) closes that connection.
   */
  *exportedItems(scope: string, filter: HistoryFilter = {}): Generator<ExportedItem> {
    const f = filterSql(parseFilter(filter));
    const scopeId = this.c.scopeId(scope, false);
    const reader = new Database(this.c.path, { readonly: true, fileMustExist: true });
    try {
      const st = reader.prepare(matchingSql(`${TX_COLUMNS}, version`, f, false, false));
      for (const r of st.iterate(...matchingParams(scopeId, f, null, null)) as IterableIterator<
        TxRow & { version: string }
      >) {
        yield { ...toItem(r), version: r.version };
      }
    } finally {
      reader.close();
    }
  }

  /** Timestamps of the oldest and newest cached items, or null for an empty scope. */
  span(scope: string): { first: number; last: number } | null {
    const id = this.c.scopeId(scope, false);
    // Two index walks: one query with both MIN and MAX would scan the scope.
    const edge = (order: 'ASC' | 'DESC') =>
      this.c
        .prepared(`SELECT timestamp FROM tx WHERE scope_id = ? ORDER BY timestamp ${order} LIMIT 1`)
        .get(id) as { timestamp: number } | undefined;
    const first = edge('ASC');
    const last = edge('DESC');
    return first && last ? { first: first.timestamp, last: last.timestamp } : null;
  }

  /** Every address an OPEN_SPEND or OPEN_INCOME item of the scope opened (the identity's own). */
  openedAddresses(scope: string): string[] {
    const rows = this.c
      .prepared(`SELECT DISTINCT to_address AS a FROM tx WHERE scope_id = ? AND tx_type IN (?, ?)`)
      .all(this.c.scopeId(scope, false), TxType.OPEN_SPEND, TxType.OPEN_INCOME) as { a: string }[];
    return rows.map((r) => r.a);
  }

  /** The CLOSE_TRANSFER items of a scope (any order). */
  *settlements(scope: string): Generator<SettlementRow> {
    const st = this.c.prepared(
      `SELECT timestamp, from_address AS "from", to_address AS "to", amount, volume FROM tx WHERE scope_id = ? AND tx_type = ?`,
    );
    yield* st.iterate(this.c.scopeId(scope, false), TxType.CLOSE_TRANSFER) as IterableIterator<SettlementRow>;
  }

  /** The TX_OPEN_TRANSFER and TX_CLOSE_TRANSFER items of a channel, as far as they are cached. */
  channelTransactions(scope: string, channelId: string): ChannelTransactions {
    const { items } = this.query(scope, {
      filter: { channelId, types: [TxType.OPEN_TRANSFER, TxType.CLOSE_TRANSFER] },
      limit: 10,
    });
    const open = items.find((i) => i.txType === TxType.OPEN_TRANSFER);
    const close = items.find((i) => i.txType === TxType.CLOSE_TRANSFER);
    return {
      open: open ? { timelock: open.timelock, timestamp: open.timestamp } : null,
      close: close
        ? {
            quantumCount: close.quantumCount,
            tokens: close.amount,
            volume: close.volume,
            timestamp: close.timestamp,
          }
        : null,
    };
  }

  /** When the cached history closed a spend or income address (TX_CLOSE_SPEND/INCOME from it), or null. */
  addressClosedAt(scope: string, address: string): number | null {
    const { items } = this.query(scope, {
      filter: { address, types: [TxType.CLOSE_SPEND, TxType.CLOSE_INCOME] },
      limit: 10,
    });
    return items.find((i) => i.from === address)?.timestamp ?? null;
  }
}
