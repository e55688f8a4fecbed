/** History cursors (cmd 1024/2048/4096): frozen result sets per requesting key, with TTL and cap. */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { ProtocolError } from '../../shared/protocol/errors';
import {
  nextTransactionsMessage,
  cursorMessage,
  firstTransactionsMessage,
  parseWith,
} from '../../shared/protocol/schemas';
import type { LedgerContext } from './context';
import { itemOf, type TxRow } from './transactions';

interface Cursor {
  id: string;
  ownerId: string;
  /** Highest transaction seq visible: later transactions never enter this cursor's pages. */
  snapshotSeq: number;
  where: string;
  params: (string | number)[];
  ascending: boolean;
  pageSize: number;
  totalCount: number;
  expiresAt: number;
}

const FILTER_COLUMNS = {
  tx_type: 't.tx_type',
  channel_id: 't.contract_id',
  from: 't.from_address',
  to: 't.to_address',
} as const;

export class History {
  private readonly cursors = new Map<string, Cursor>();
  private readonly maxSeq: Statement<[], { seq: number }>;
  private readonly statements = new Map<string, { count: Statement; page: Statement }>();

  constructor(private readonly ctx: LedgerContext) {
    this.maxSeq = ctx.db.prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM transactions`);
  }

  private prepared(where: string, ascending: boolean) {
    const key = `${where}|${ascending}`;
    let s = this.statements.get(key);
    if (!s) {
      const base = `FROM tx_parties p JOIN transactions t ON t.seq = p.seq WHERE p.owner_id = ? AND p.seq <= ?${where}`;
      s = {
        count: this.ctx.db.prepare(`SELECT COUNT(*) AS n ${base}`),
        // The tracker clock never runs backwards, so insertion order is (timestamp, insertion) order.
        page: this.ctx.db.prepare(
          `SELECT t.* ${base} ORDER BY p.seq ${ascending ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
        ),
      };
      this.statements.set(key, s);
    }
    return s;
  }

  private sweep(now: number): void {
    for (const [id, c] of this.cursors) if (c.expiresAt <= now) this.cursors.delete(id);
  }

  first(ownerId: string, body: Record<string, unknown>): Record<string, unknown> {
    const m = parseWith(firstTransactionsMessage, body, 'message');
    const now = this.ctx.now();
    this.sweep(now);
    const clauses: string[] = [];
    const params: (string | number)[] = [];
    for (const [field, column] of Object.entries(FILTER_COLUMNS) as [keyof typeof FILTER_COLUMNS, string][]) {
      const f = m.fields?.[field];
      if (!f) continue;
      if (field === 'tx_type' && typeof f.value !== 'number') {
        throw new ProtocolError('BAD_PAYLOAD', 'fields.tx_type.value must be a number');
      }
      clauses.push(` AND ${column} = ?`);
      params.push(f.value);
    }
    const where = clauses.join('');
    const ascending = m.order === 1;
    const snapshotSeq = this.maxSeq.get()!.seq;
    const { n } = this.prepared(where, ascending).count.get(ownerId, snapshotSeq, ...params) as { n: number };
    const cursor: Cursor = {
      id: randomUUID(),
      ownerId,
      snapshotSeq,
      where,
      params,
      ascending,
      pageSize: m.limits.pageSize,
      totalCount: n,
      expiresAt: now + this.ctx.cfg.cursorTtlMs,
    };
    const own = [...this.cursors.values()].filter((c) => c.ownerId === ownerId);
    // At most maxCursorsPerKey live cursors per key: the oldest (Map keeps insertion order) is dropped.
    for (const old of own.slice(0, Math.max(0, own.length - this.ctx.cfg.maxCursorsPerKey + 1))) {
      this.cursors.delete(old.id);
    }
    this.cursors.set(cursor.id, cursor);
    return {
      _meta: {
        cursorId: cursor.id,
        totalCount: n,
        pageCount: Math.ceil(n / cursor.pageSize),
        currentPage: m.limits.page,
        perPage: cursor.pageSize,
      },
      items: this.page(cursor, m.limits.page),
    };
  }

  next(ownerId: string, body: Record<string, unknown>): Record<string, unknown> {
    const m = parseWith(nextTransactionsMessage, body, 'message');
    const cursor = this.live(ownerId, m.cursorId);
    return { items: this.page(cursor, m.page) };
  }

  touch(ownerId: string, body: Record<string, unknown>): Record<string, unknown> {
    const m = parseWith(cursorMessage, body, 'message');
    this.live(ownerId, m.cursorId);
    return { pk: this.ctx.trackerPem };
  }

  private live(ownerId: string, id: string): Cursor {
    const now = this.ctx.now();
    this.sweep(now);
    const c = this.cursors.get(id);
    if (!c || c.ownerId !== ownerId)
      throw new ProtocolError('CURSOR_NOT_FOUND', `cursor ${id} is unknown or expired`);
    c.expiresAt = now + this.ctx.cfg.cursorTtlMs;
    // Re-insert so that "oldest" for the per-key cap means least recently used.
    this.cursors.delete(id);
    this.cursors.set(id, c);
    return c;
  }

  private page(c: Cursor, page: number): Record<string, unknown>[] {
    const offset = (page - 1) * c.pageSize;
    if (offset >= c.totalCount) return [];
    const rows = this.prepared(c.where, c.ascending).page.all(
      c.ownerId,
      c.snapshotSeq,
      ...c.params,
      c.pageSize,
      offset,
    ) as TxRow[];
    return rows.map((r) => itemOf(r, this.ctx.trackerPem));
  }
}
