/** History (cmd 1024/2048/4096): frozen result sets per requesting key, paged through cursors. */
import { randomUUID } from 'node:crypto';
import { ProtocolError } from '../../shared/protocol/errors';
import {
  nextTransactionsMessage,
  cursorMessage,
  firstTransactionsMessage,
  parseWith,
} from '../../shared/protocol/schemas';
import type { CursorRecord, HistoryQuery, LedgerReads, LedgerStorage } from '../storage/port';
import type { LedgerContext } from './context';
import type { ItemSigner } from './item-signer';
import { itemOf } from './transactions';
import type { CommandResults, PkOut, TransactionItemOut } from './results';

export class History {
  constructor(
    private readonly ctx: LedgerContext,
    private readonly storage: LedgerStorage,
    private readonly signer: ItemSigner,
  ) {}

  async first(r: LedgerReads, ownerId: string, body: Record<string, unknown>): Promise<CommandResults[1024]> {
    const m = parseWith(firstTransactionsMessage, body, 'message');
    const now = this.ctx.now();
    const fields = m.fields ?? {};
    if (fields.tx_type && typeof fields.tx_type.value !== 'number') {
      throw new ProtocolError('BAD_PAYLOAD', 'fields.tx_type.value must be a number');
    }
    const query: HistoryQuery = {
      ownerId,
      snapshotSeq: await r.lastTxSeq(),
      ascending: m.order === 1,
      filters: {
        txType: fields.tx_type?.value as number | undefined,
        channelId: fields.channel_id?.value,
        from: fields.from?.value,
        to: fields.to?.value,
      },
    };
    const totalCount = await r.countHistory(query);
    const cursor: CursorRecord = { id: randomUUID(), query, pageSize: m.limits.pageSize, totalCount };
    await this.storage.cursors.create(cursor, now);
    return {
      _meta: {
        cursorId: cursor.id,
        totalCount,
        pageCount: Math.ceil(totalCount / cursor.pageSize),
        currentPage: m.limits.page,
        perPage: cursor.pageSize,
      },
      items: await this.page(r, cursor, m.limits.page),
    };
  }

  async next(r: LedgerReads, ownerId: string, body: Record<string, unknown>): Promise<CommandResults[2048]> {
    const m = parseWith(nextTransactionsMessage, body, 'message');
    const cursor = await this.live(ownerId, m.cursorId);
    return { items: await this.page(r, cursor, m.page) };
  }

  async touch(ownerId: string, body: Record<string, unknown>): Promise<PkOut> {
    const m = parseWith(cursorMessage, body, 'message');
    await this.live(ownerId, m.cursorId);
    return { pk: this.ctx.trackerPem };
  }

  private async live(ownerId: string, id: string): Promise<CursorRecord> {
    const c = await this.storage.cursors.use(id, ownerId, this.ctx.now());
    if (!c) throw new ProtocolError('CURSOR_NOT_FOUND', `cursor ${id} is unknown or expired`);
    return c;
  }

  private async page(r: LedgerReads, c: CursorRecord, page: number): Promise<TransactionItemOut[]> {
    const offset = (page - 1) * c.pageSize;
    if (offset >= c.totalCount) return [];
    const rows = await this.signer.signed(await r.historyPage(c.query, c.pageSize, offset));
    return rows.map((row) => itemOf(row, this.ctx.trackerPem));
  }
}
