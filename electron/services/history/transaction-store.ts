/**
 * The cached transactions of each scope (SPEC §7: the full history survives restarts and works
 * offline): stored once per scope with their signature verdicts (item-codec.ts: the exact item is
 * kept, in about a third of its JSON's size), paged newest first with a keyset cursor, filtered and
 * searched (filter-sql.ts), and read as iterators for the CSV export, the chart and the running
 * balances.
 */
import Database from 'better-sqlite3';
import type { HistoryFilter, HistoryItem, HistoryPage } from '../../../shared/api/models';
import { TxType } from '../../../shared/protocol/commands';
import type { ChannelTransactions } from '../channels/ports';
import { attachLabels, tuneConnection, type CacheDb } from './cache-db';
import { MONEY_TX_TYPES, type ChartRow } from './chart';
import { HistoryCacheError } from './errors';
import {
  countQuery,
  filterSql,
  LABEL_COLUMNS,
  matchingQuery,
  parseFilter,
  toItem,
  TX_COLUMNS,
  type FilterSql,
  type Keyset,
  type TxRow,
} from './filter-sql';
import {
  decodeItem,
  encodeItem,
  ITEM_COLUMNS,
  VERDICT_CODES,
  type EncodedItem,
  type SignatureVerdict,
  type StoredItemRow,
} from './item-codec';

export type { SignatureVerdict } from './item-codec';

/** An item to store: the item as received from the tracker and the verdict on its signature. */
export interface StoredItem {
  raw: unknown;
  signature: SignatureVerdict;
}

/** An item already encoded (HistorySync encodes while the signatures are being checked). */
export interface EncodedStoredItem {
  item: EncodedItem;
  signature: SignatureVerdict;
}

/** An item with the one extra field the CSV export writes. */
export type ExportedItem = HistoryItem & { version: string };

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

const MAX_LIMIT = 1000;
const DEFAULT_LIMIT = 100;

/** The opaque keyset cursor: base64url of JSON [timestamp, seq] of the last row of a page. */
function encodeCursor(timestamp: number, seq: number): string {
  return Buffer.from(JSON.stringify([timestamp, seq]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Keyset {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || !Number.isSafeInteger(v[1])) {
    throw new HistoryCacheError('BAD_CURSOR', 'the page cursor is not one this cache issued');
  }
  return [v[0] as number, v[1] as number];
}

const INSERT_SQL = `INSERT OR IGNORE INTO tx (scope_id, timestamp, tx_id, parent_tx_id, tx_type, from_id,
  to_id, amount, volume, quantum_count, contract_id, price_amount, price_quantum_power,
  planned_quantum_count, timelock, status, version, verdict, pk_id, shape_id, sign, extra)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The columns that rebuild an item exactly (item-codec.ts decodeItem). */
const RAW_COLUMNS = `${ITEM_COLUMNS}, tx.version, (SELECT pem FROM pems WHERE id = tx.pk_id) AS pem, tx.sign,
  (SELECT shape FROM shapes WHERE id = tx.shape_id) AS shape, tx.extra`;

export class TransactionStore {
  /** COUNT(*) per scope and filter, dropped whenever the scope gains or loses items or labels change. */
  private readonly counts = new Map<number, Map<string, number>>();

  constructor(private readonly c: CacheDb) {
    c.onScopeCleared((id) => this.counts.delete(id));
  }

  /** Searches by label count differently once labels change. */
  labelsChanged(): void {
    this.counts.clear();
  }

  /**
   * Stores items in one database transaction; items already cached are ignored. Returns how many
   * were new. A malformed item refuses the whole batch (nothing stored).
   */
  insertItems(scope: string, items: readonly StoredItem[]): number {
    const encoded = items.map((it) => {
      const item = encodeItem(it.raw);
      if (!item || !(it.signature in VERDICT_CODES)) {
        const id = (it.raw as { tx_id?: unknown } | null)?.tx_id;
        throw new HistoryCacheError('BAD_ARGUMENT', `item ${String(id)}: not a transaction item or verdict`);
      }
      return { item, signature: it.signature };
    });
    return this.insertEncoded(scope, encoded);
  }

  /** Stores encoded items in one database transaction; returns how many were new. */
  insertEncoded(scope: string, items: readonly EncodedStoredItem[]): number {
    if (items.length === 0) return 0;
    let added = 0;
    const c = this.c;
    const scopeId = c.scopeId(scope, true);
    const insert = c.prepared(INSERT_SQL);
    const store = c.db.transaction(() => {
      for (const { item: e, signature } of items) {
        added += insert.run(
          scopeId,
          e.timestamp,
          e.txId,
          e.parentTxId,
          e.txType,
          c.addressId(e.from),
          c.addressId(e.to),
          e.amount,
          e.volume,
          e.quantumCount,
          e.contractId,
          e.priceAmount,
          e.pricePower,
          e.plannedQuantumCount,
          e.timelock,
          e.status,
          e.version,
          VERDICT_CODES[signature],
          c.pemId(e.pk),
          c.shapeId(e.shape),
          e.sign,
          e.extra,
        ).changes;
      }
    });
    try {
      store();
    } catch (e) {
      c.forgetIds();
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

  /** Which of `txIds` a scope holds (one query for a whole tracker page). */
  knownTxIds(scopeId: number, txIds: readonly string[]): Set<string> {
    if (txIds.length === 0) return new Set();
    const rows = this.c
      .prepared(`SELECT tx_id FROM tx WHERE scope_id = ? AND tx_id IN (SELECT value FROM json_each(?))`)
      .all(scopeId, JSON.stringify(txIds)) as { tx_id: string }[];
    return new Set(rows.map((r) => r.tx_id));
  }

  /** A scope's id (−1 for an unknown scope unless `create`). */
  scopeIdOf(scope: string, create = false): number {
    return this.c.scopeId(scope, create);
  }

  /** The newest cached tx_id of a scope (the first of the newest-first order), or null. */
  newestTxId(scope: string): string | null {
    const row = this.c
      .prepared(`SELECT tx_id FROM tx WHERE scope_id = ? ORDER BY timestamp DESC, seq LIMIT 1`)
      .get(this.c.scopeId(scope, false)) as { tx_id: string } | undefined;
    return row?.tx_id ?? null;
  }

  /** Number of cached items of a scope matching a filter. */
  count(scope: string, filter: HistoryFilter = {}): number {
    return this.countOf(this.c.scopeId(scope, false), filterSql(this.c, parseFilter(filter)));
  }

  private countOf(scopeId: number, f: FilterSql): number {
    let perScope = this.counts.get(scopeId);
    const hit = perScope?.get(f.key);
    if (hit !== undefined) return hit;
    const q = countQuery(scopeId, f);
    const { n } = this.c.prepared(q.sql).get(...q.params) as { n: number };
    if (!perScope) this.counts.set(scopeId, (perScope = new Map()));
    if (perScope.size >= 64) perScope.clear();
    perScope.set(f.key, n);
    return n;
  }

  /**
   * One page, newest first by (timestamp DESC, seq: ties in the order they were cached, which is the
   * tracker's), with keyset pagination: `next` encodes the
   * last row and the following page starts strictly after it (no OFFSET, no gaps or repeats while
   * items are added). `total` counts every cached item matching the filter. Items carry their labels.
   */
  query(scope: string, opts: HistoryQueryOptions = {}): HistoryPage {
    const filter = parseFilter(opts.filter);
    const limit = opts.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new HistoryCacheError('BAD_ARGUMENT', `limit must be an integer 1–${MAX_LIMIT}`);
    }
    const scopeId = this.c.scopeId(scope, false);
    const f = filterSql(this.c, filter);
    const q = matchingQuery(
      `${TX_COLUMNS}, ${LABEL_COLUMNS}`,
      scopeId,
      f,
      opts.after ? decodeCursor(opts.after) : null,
      limit + 1,
    );
    const rows = this.c.prepared(q.sql).all(...q.params) as TxRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toItem),
      next: more && last ? encodeCursor(last.timestamp, last.seq) : null,
      total: this.countOf(scopeId, f),
    };
  }

  private row(scopeId: number, txId: string): TxRow | undefined {
    return this.c
      .prepared(`SELECT ${TX_COLUMNS}, ${LABEL_COLUMNS} FROM tx WHERE scope_id = ? AND tx_id = ?`)
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
        `SELECT ${TX_COLUMNS}, ${LABEL_COLUMNS} FROM tx INDEXED BY tx_by_parent
         WHERE scope_id = ? AND parent_tx_id = ? AND parent_tx_id <> '' ORDER BY timestamp, seq DESC`,
      )
      .all(scopeId, txId) as TxRow[];
    return { item: toItem(row), parent: parent ? toItem(parent) : null, children: children.map(toItem) };
  }

  /**
   * The item exactly as the tracker sent it (`JSON.stringify` gives its JSON as received; its
   * signature can be verified again against the tracker key), or null.
   */
  rawItem(scope: string, txId: string): Record<string, unknown> | null {
    const row = this.c
      .prepared(`SELECT ${RAW_COLUMNS} FROM tx WHERE scope_id = ? AND tx_id = ?`)
      .get(this.c.scopeId(scope, false), txId) as StoredItemRow | undefined;
    return row ? decodeItem(row) : null;
  }

  /**
   * Every matching item, newest first, read with a streaming iterator on a separate reading
   * connection: one consistent snapshot however long the reader takes, and the main connection stays
   * free. Closing the iterator (a `for…of` that ends or breaks) closes that connection.
   */
  *exportedItems(scope: string, filter: HistoryFilter = {}): Generator<ExportedItem> {
    const f = filterSql(this.c, parseFilter(filter));
    const scopeId = this.c.scopeId(scope, false);
    const reader = new Database(this.c.path, { fileMustExist: true });
    try {
      tuneConnection(reader);
      attachLabels(reader, this.c.opts.labelsPath);
      // Reads only (set after attaching: an empty labels schema may have been made in memory).
      reader.pragma('query_only = ON');
      const q = matchingQuery(`${TX_COLUMNS}, tx.version`, scopeId, f, null, null);
      const st = reader.prepare(q.sql);
      for (const r of st.iterate(...q.params) as IterableIterator<TxRow & { version: string }>) {
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
      .prepared(
        `SELECT address AS a FROM addresses WHERE id IN
         (SELECT to_id FROM tx WHERE scope_id = ? AND tx_type IN (?, ?))`,
      )
      .all(this.c.scopeId(scope, false), TxType.OPEN_SPEND, TxType.OPEN_INCOME) as { a: string }[];
    return rows.map((r) => r.a);
  }

  /**
   * The items of a scope that move atoms (MONEY_TX_TYPES), any order, as the chart and the running
   * balances read them: typed columns and the two addresses only, no item rebuilt. With `address`,
   * only the items from or to it.
   */
  *moneyRows(scope: string, address?: string): Generator<ChartRow> {
    const scopeId = this.c.scopeId(scope, false);
    const types = MONEY_TX_TYPES.map(() => '?').join(', ');
    const addressId = address === undefined ? null : this.c.knownAddressId(address);
    if (address !== undefined && addressId === null) return;
    const st = this.c.prepared(
      `SELECT tx_id, tx_type, timestamp, from_id, to_id, CAST(amount AS TEXT) AS amount,
         CAST(volume AS TEXT) AS volume
       FROM tx WHERE scope_id = ? AND tx_type IN (${types})` +
        (addressId === null ? '' : ` AND (from_id = ? OR to_id = ?)`),
    );
    const params: number[] = [scopeId, ...MONEY_TX_TYPES];
    if (addressId !== null) params.push(addressId, addressId);
    const addresses = new Map<number, string>();
    const addressSt = this.c.prepared(`SELECT address FROM addresses WHERE id = ?`);
    const addressOf = (id: number): string => {
      let a = addresses.get(id);
      if (a === undefined) addresses.set(id, (a = (addressSt.get(id) as { address: string }).address));
      return a;
    };
    type Row = {
      tx_id: string;
      tx_type: number;
      timestamp: number;
      from_id: number;
      to_id: number;
      amount: string;
      volume: string;
    };
    for (const r of st.iterate(...params) as IterableIterator<Row>) {
      yield {
        txId: r.tx_id,
        txType: r.tx_type,
        timestamp: r.timestamp,
        from: addressOf(r.from_id),
        to: addressOf(r.to_id),
        amount: r.amount,
        volume: r.volume,
      };
    }
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
