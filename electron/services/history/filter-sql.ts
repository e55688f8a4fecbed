/**
 * A history filter as SQL over the cache's `tx` table (cache-db.ts), and the row shape the queries
 * read. Every query is driven by an index:
 * - without an address or a search, the table itself (clustered newest-first) or `tx_by_type`;
 * - an address or a search is a union of index walks ("branches"), each in page order, merged.
 *
 * Search (`filter.search`) matches an item when the text is the beginning of its id, its parent's
 * id, its channel id, its from or to address, or when every word of the text begins a word of a
 * label (the item's, its channel's or one of its addresses'; case and diacritics folded). Ids and
 * addresses are matched exactly (case-sensitive), as they are shown cut after their beginning.
 */
import { historyFilter, type HistoryFilter, type HistoryItem } from '../../../shared/api/models';
import { labelWordsQuery } from '../labels/label-store';
import type { CacheDb } from './cache-db';
import { HistoryCacheError } from './errors';
import { ITEM_COLUMNS, VERDICTS, type ItemFieldsRow, type SignatureVerdict } from './item-codec';

export type { SignatureVerdict } from './item-codec';

type Param = string | number;

/** Address ids a search may drive one branch each; more become one IN over all of them. */
const MAX_ADDRESS_BRANCHES = 32;

/** The model's columns: the item's fields and the verdict of its signature. */
export const TX_COLUMNS = `tx.seq, ${ITEM_COLUMNS}, tx.verdict`;

/** The labels shown with an item in a page (its own, its channel's, its addresses'). */
export const LABEL_COLUMNS = `
  (SELECT label FROM lb.labels WHERE type = 'tx' AND ref = tx.tx_id) AS label_tx,
  (SELECT label FROM lb.labels WHERE type = 'channel' AND ref = tx.contract_id AND tx.contract_id <> '') AS label_channel,
  (SELECT l.label FROM addresses a JOIN lb.labels l ON l.type = 'addr' AND l.ref = a.address WHERE a.id = tx.from_id) AS label_from,
  (SELECT l.label FROM addresses a JOIN lb.labels l ON l.type = 'addr' AND l.ref = a.address WHERE a.id = tx.to_id) AS label_to`;

export interface TxRow extends ItemFieldsRow {
  seq: number;
  verdict: number;
  label_tx?: string | null;
  label_channel?: string | null;
  label_from?: string | null;
  label_to?: string | null;
}

export function verdictOf(code: number): SignatureVerdict {
  return VERDICTS[code] ?? 'unverifiable';
}

export function toItem(r: TxRow): HistoryItem {
  const item: HistoryItem = {
    txId: r.tx_id,
    parentTxId: r.parent_tx_id,
    txType: r.tx_type,
    from: r.from_address,
    to: r.to_address,
    amount: r.amount,
    volume: r.volume,
    quantumCount: r.quantum_count,
    contractId: r.contract_id,
    priceAmount: r.price_amount,
    pricePower: r.price_quantum_power,
    plannedQuantumCount: r.planned_quantum_count,
    timelock: r.timelock,
    timestamp: r.timestamp,
    status: r.status,
    signature: verdictOf(r.verdict),
  };
  const labels: NonNullable<HistoryItem['labels']> = {};
  if (r.label_tx) labels.tx = r.label_tx;
  if (r.label_channel) labels.channel = r.label_channel;
  if (r.label_from) labels.from = r.label_from;
  if (r.label_to) labels.to = r.label_to;
  if (Object.keys(labels).length > 0) item.labels = labels;
  return item;
}

export function parseFilter(filter: HistoryFilter | undefined): HistoryFilter {
  const r = historyFilter.safeParse(filter ?? {});
  if (!r.success) throw new HistoryCacheError('BAD_ARGUMENT', `bad history filter: ${r.error.message}`);
  return r.data;
}

/**
 * The smallest string above every string that begins with `p` (in SQLite's binary order, which is
 * code point order): `x >= p AND x < prefixEnd(p)` is exactly "x begins with p", an index range.
 */
export function prefixEnd(p: string): string | null {
  const points = [...p];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return null;
}

/** One index walk of a union: rows where `cond` holds, read through `index` when named. */
interface Branch {
  cond: string;
  params: Param[];
  index?: string;
}

/** A filter as SQL. */
export interface FilterSql {
  /** ` AND …` conditions every matching row meets. */
  conds: string;
  params: Param[];
  /** A row matches when one of these holds too (a union of index walks); null: no such condition. */
  branches: Branch[] | null;
  /** The only branches are an address's two sides: counted without a union (see countQuery). */
  addressOnly: boolean;
  /** Identity of the filter (count cache key). */
  key: string;
}

function prefixCond(col: string, p: string, partial: boolean): Branch {
  const end = prefixEnd(p);
  const nonEmpty = partial ? ` AND ${col} <> ''` : '';
  return end === null
    ? { cond: `${col} >= ?${nonEmpty}`, params: [p] }
    : { cond: `${col} >= ? AND ${col} < ?${nonEmpty}`, params: [p, end] };
}

const MATCHING_LABELS = `SELECT rowid FROM lb.label_words WHERE label_words MATCH ?`;

/** Ids of the stored addresses beginning with `p` or carrying a label matching `words`. */
function searchedAddressIds(c: CacheDb, p: string, words: string | null): number[] {
  const range = prefixCond('address', p, false);
  const ids = new Set(
    (
      c.prepared(`SELECT id FROM addresses WHERE ${range.cond} LIMIT 10000`).all(...range.params) as {
        id: number;
      }[]
    ).map((r) => r.id),
  );
  if (words !== null) {
    const labelled = c
      .prepared(
        `SELECT a.id FROM lb.labels l JOIN addresses a ON a.address = l.ref
         WHERE l.type = 'addr' AND l.id IN (${MATCHING_LABELS})`,
      )
      .all(words) as { id: number }[];
    for (const r of labelled) ids.add(r.id);
  }
  return [...ids].sort((a, b) => a - b);
}

function addressBranches(ids: readonly number[]): Branch[] {
  if (ids.length <= MAX_ADDRESS_BRANCHES) {
    return ids.flatMap((id) => [
      { cond: 'from_id = ?', params: [id] },
      { cond: 'to_id = ?', params: [id] },
    ]);
  }
  const all = JSON.stringify(ids);
  return [
    { cond: 'from_id IN (SELECT value FROM json_each(?))', params: [all] },
    { cond: 'to_id IN (SELECT value FROM json_each(?))', params: [all] },
  ];
}

function searchBranches(c: CacheDb, search: string): Branch[] {
  const words = labelWordsQuery(search);
  const branches = [
    prefixCond('tx_id', search, false),
    prefixCond('parent_tx_id', search, true),
    prefixCond('contract_id', search, true),
    ...addressBranches(searchedAddressIds(c, search, words)),
  ];
  if (words !== null) {
    // Labelled ids are few: looked up one by one in the id indexes, then sorted. Left to itself
    // the planner walks the whole page order testing each row against the labels (a scan).
    branches.push(
      {
        cond: `tx_id IN (SELECT ref FROM lb.labels WHERE type = 'tx' AND id IN (${MATCHING_LABELS}))`,
        params: [words],
        index: 'tx_by_id',
      },
      {
        cond: `contract_id IN (SELECT ref FROM lb.labels WHERE type = 'channel' AND id IN (${MATCHING_LABELS}))
          AND contract_id <> ''`,
        params: [words],
        index: 'tx_by_contract',
      },
    );
  }
  return branches;
}

/**
 * SQL of a filter. Empty `types` means no type filter; times are inclusive. What drives the walk:
 * an address (its two sides), else a search (its union), else a channel (its index range); a search
 * beside an address, or a channel beside either, is checked on the rows the walk finds.
 */
export function filterSql(c: CacheDb, filter: HistoryFilter): FilterSql {
  const parts: string[] = [];
  const params: Param[] = [];
  const check = (b: Branch): void => {
    parts.push(b.cond);
    params.push(...b.params);
  };
  if (filter.types && filter.types.length > 0) {
    const types = [...new Set(filter.types)].sort((a, b) => a - b);
    check({ cond: `tx_type IN (${types.map(() => '?').join(',')})`, params: types });
  }
  if (filter.fromTime !== undefined) check({ cond: 'timestamp >= ?', params: [filter.fromTime] });
  if (filter.toTime !== undefined) check({ cond: 'timestamp <= ?', params: [filter.toTime] });
  let branches: Branch[] | null = null;
  let addressOnly = false;
  const search =
    filter.search !== undefined && filter.search !== '' ? searchBranches(c, filter.search) : null;
  if (filter.address !== undefined && filter.address !== '') {
    const id = c.knownAddressId(filter.address);
    if (id === null) check({ cond: '0', params: [] });
    else {
      branches = addressBranches([id]);
      addressOnly = search === null;
    }
  }
  if (search !== null) {
    if (branches === null) branches = search;
    else
      check({
        cond: `(${search.map((b) => `(${b.cond})`).join(' OR ')})`,
        params: search.flatMap((b) => b.params),
      });
  }
  if (filter.channelId !== undefined && filter.channelId !== '') {
    // The beginning of a channel id, exactly (lists show ids cut).
    const channel = prefixCond('contract_id', filter.channelId, true);
    if (branches === null) {
      branches = [{ ...channel, index: 'tx_by_contract' }];
      addressOnly = false;
    } else {
      check(channel);
      addressOnly = false;
    }
  }
  const conds = parts.map((p) => ` AND ${p}`).join('');
  return {
    conds,
    params,
    branches,
    addressOnly,
    key: JSON.stringify([conds, params, branches]),
  };
}

export interface Query {
  sql: string;
  params: Param[];
}

const NEWEST_FIRST = 'ORDER BY timestamp DESC, seq';

/** ` INDEXED BY …` of a branch that names its index. */
const from = (b: Branch | undefined): string => (b?.index ? ` INDEXED BY ${b.index}` : '');

/** A position in the newest-first order: the (timestamp, seq) of a row. */
export type Keyset = [timestamp: number, seq: number];

/**
 * The matching rows newest first (`cols` of `tx`), strictly after a keyset position when given,
 * at most `limit` when given. A union first finds the page's keys through its branches (index-only
 * walks, each stopping at `limit`), then reads those rows.
 */
export function matchingQuery(
  cols: string,
  scopeId: number,
  f: FilterSql,
  keyset: Keyset | null,
  limit: number | null,
): Query {
  // After (t, s) in (timestamp DESC, seq) order: an index range on the timestamp, ties checked.
  const ks = keyset ? ' AND timestamp <= ? AND (timestamp < ? OR seq > ?)' : '';
  const kp: Param[] = keyset ? [keyset[0], keyset[0], keyset[1]] : [];
  const lim = limit === null ? '' : ' LIMIT ?';
  const tail = (): Param[] => [...f.params, ...kp, ...(limit === null ? [] : [limit])];
  if (f.branches === null || f.branches.length === 1) {
    const b = f.branches?.[0];
    return {
      sql: `SELECT ${cols} FROM tx${from(b)} WHERE scope_id = ?${b ? ` AND ${b.cond}` : ''}${f.conds}${ks} ${NEWEST_FIRST}${lim}`,
      params: [scopeId, ...(b?.params ?? []), ...tail()],
    };
  }
  const walks = f.branches.map(
    (b) =>
      `SELECT * FROM (SELECT timestamp, seq FROM tx${from(b)} WHERE scope_id = ? AND ${b.cond}${f.conds}${ks} ${NEWEST_FIRST}${lim})`,
  );
  return {
    sql: `WITH k AS (${walks.join(' UNION ')} ${NEWEST_FIRST}${lim})
      SELECT ${cols} FROM k CROSS JOIN tx ON tx.seq = k.seq ORDER BY k.timestamp DESC, k.seq`,
    params: [
      ...f.branches.flatMap((b) => [scopeId, ...b.params, ...tail()]),
      ...(limit === null ? [] : [limit]),
    ],
  };
}

/**
 * COUNT of the matching rows. An address alone is counted as its from side plus the to side of the
 * rows it did not send (no union to build); other unions count their distinct ids.
 */
export function countQuery(scopeId: number, f: FilterSql): Query {
  if (f.branches === null || f.branches.length === 1) {
    const b = f.branches?.[0];
    return {
      sql: `SELECT COUNT(*) AS n FROM tx${from(b)} WHERE scope_id = ?${b ? ` AND ${b.cond}` : ''}${f.conds}`,
      params: [scopeId, ...(b?.params ?? []), ...f.params],
    };
  }
  if (f.addressOnly) {
    const id = f.branches[0]!.params[0]!;
    return {
      sql: `SELECT (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND from_id = ?${f.conds})
        + (SELECT COUNT(*) FROM tx WHERE scope_id = ? AND to_id = ? AND from_id <> ?${f.conds}) AS n`,
      params: [scopeId, id, ...f.params, scopeId, id, id, ...f.params],
    };
  }
  return {
    sql: `SELECT COUNT(*) AS n FROM (${f.branches
      .map((b) => `SELECT seq FROM tx${from(b)} WHERE scope_id = ? AND ${b.cond}${f.conds}`)
      .join(' UNION ')})`,
    params: f.branches.flatMap((b) => [scopeId, ...b.params, ...f.params]),
  };
}
