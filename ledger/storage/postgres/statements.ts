/**
 * The port's reads and writes on PostgreSQL, as named (prepared once per connection) statements.
 *
 * Reads run as single statements on any pooled connection (READ COMMITTED: committed data only).
 * A write runs inside one READ COMMITTED transaction and locks what it reads: every address,
 * common and channel row a command reads is read `FOR UPDATE`, so no other writer changes it until
 * this one commits, and each read returns the latest committed version. What a row lock cannot
 * cover is covered thus (docs/architecture.md, "PostgreSQL"): the count behind the open-address cap
 * by a transaction advisory lock per owner and kind; a key another writer inserted meanwhile by the
 * unique index (the loser gets 23505 and the storage runs the command again); the history's order
 * by the `tx_counter` row, locked from a write's first transaction to its commit.
 */
import type pg from 'pg';
import type {
  AddressBalances,
  AddressRow,
  ChannelClose,
  ChannelRow,
  CommonRow,
  NewAddressRow,
  NewChannelRow,
  NewTxRow,
  TxRow,
} from '../../engine/rows';
import type { HistoryQuery, LedgerReads, LedgerWrites } from '../port';

/** Something that runs a query: the pool (reads) or the connection of a write's transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Advisory lock keys of the tracker (pg_advisory_lock takes a bigint). */
export const LOCKS = {
  migrations: 727_172_001,
  expiry: 727_172_002,
  cursors: 727_172_003,
} as const;

async function rows<T>(q: Queryable, name: string, text: string, values: unknown[] = []): Promise<T[]> {
  const r = await q.query<T & pg.QueryResultRow>({ name, text, values });
  return r.rows;
}

async function first<T>(q: Queryable, name: string, text: string, values: unknown[]): Promise<T | undefined> {
  return (await rows<T>(q, name, text, values))[0];
}

const FILTER_COLUMNS = [
  ['txType', 't.tx_type'],
  ['channelId', 't.contract_id'],
  ['from', 't.from_address'],
  ['to', 't.to_address'],
] as const;

/** The WHERE clause and parameters of a history query ($1 owner, $2 snapshot, then the filters). */
function historyWhere(q: HistoryQuery): { key: string; where: string; params: unknown[] } {
  const params: unknown[] = [q.ownerId, q.snapshotSeq];
  let where = 'p.owner_id = $1 AND p.seq <= $2';
  let key = '';
  for (const [field, column] of FILTER_COLUMNS) {
    const value = q.filters[field];
    if (value === undefined) continue;
    params.push(String(value));
    // Compared as text: the filter values arrive as JSON strings or numbers, as on SQLite.
    where += ` AND ${column}::text = $${params.length}`;
    // Part of the prepared statement's name: one per combination of filters.
    key += `_${field}`;
  }
  return { key, where, params };
}

export class PgReads implements LedgerReads {
  /** `FOR UPDATE` in a write (see the file comment), nothing in a read. */
  protected readonly lock: string = '';
  protected readonly tag: string = 'r';

  constructor(protected readonly q: Queryable) {}

  address(address: string) {
    return first<AddressRow>(
      this.q,
      `${this.tag}_address`,
      `SELECT * FROM addresses WHERE address = $1${this.lock}`,
      [address],
    );
  }
  async countOpenAddresses(ownerId: string, kind: 'spend' | 'income') {
    const r = await first<{ n: number }>(
      this.q,
      'count_open',
      `SELECT COUNT(*) AS n FROM addresses WHERE owner_id = $1 AND kind = $2 AND status = 1`,
      [ownerId, kind],
    );
    return r!.n;
  }
  common(address: string) {
    return first<CommonRow>(
      this.q,
      `${this.tag}_common`,
      `SELECT * FROM commons WHERE address = $1${this.lock}`,
      [address],
    );
  }
  commonByOwner(ownerId: string) {
    return first<CommonRow>(
      this.q,
      `${this.tag}_common_owner`,
      `SELECT * FROM commons WHERE owner_id = $1${this.lock}`,
      [ownerId],
    );
  }
  async commonAliasTarget(alias: string) {
    const r = await first<{ address: string }>(
      this.q,
      'alias',
      `SELECT address FROM common_aliases WHERE alias = $1`,
      [alias],
    );
    return r?.address;
  }
  channel(channelId: string) {
    return first<ChannelRow>(
      this.q,
      `${this.tag}_channel`,
      `SELECT * FROM channels WHERE channel_id = $1${this.lock}`,
      [channelId],
    );
  }
  async meta(key: string) {
    const r = await first<{ value: string }>(this.q, 'meta', `SELECT value FROM meta WHERE key = $1`, [key]);
    return r?.value;
  }
  /** The counter's committed value: the writes that hold it commit in seq order (file comment). */
  async lastTxSeq() {
    const r = await first<{ seq: number }>(this.q, 'last_seq', `SELECT seq FROM tx_counter WHERE id = 1`, []);
    return r!.seq;
  }
  async countHistory(query: HistoryQuery) {
    const h = historyWhere(query);
    const r = await first<{ n: number }>(
      this.q,
      `history_count_${h.key}`,
      `SELECT COUNT(*) AS n FROM tx_parties p JOIN transactions t ON t.seq = p.seq WHERE ${h.where}`,
      h.params,
    );
    return r!.n;
  }
  historyPage(query: HistoryQuery, limit: number, offset: number) {
    const h = historyWhere(query);
    const order = query.ascending ? 'ASC' : 'DESC';
    return rows<TxRow>(
      this.q,
      `history_page_${h.key}_${order}`,
      `SELECT t.* FROM tx_parties p JOIN transactions t ON t.seq = p.seq WHERE ${h.where}
       ORDER BY p.seq ${order} LIMIT $${h.params.length + 1} OFFSET $${h.params.length + 2}`,
      [...h.params, limit, offset],
    );
  }
  unsignedTransactions(limit: number) {
    return rows<TxRow>(
      this.q,
      'unsigned',
      `SELECT * FROM transactions WHERE sign IS NULL ORDER BY seq LIMIT $1`,
      [limit],
    );
  }
}

/** One command's writes, on the connection of its transaction. */
export class PgWrites extends PgReads implements LedgerWrites {
  protected override readonly lock = ' FOR UPDATE';
  protected override readonly tag = 'w';
  /** This transaction holds the expiry lock (another node's job is not running at the same time). */
  private expiryLocked: boolean | undefined;

  /** Serialised per owner and kind with other opens: the cap counts rows a row lock cannot see. */
  override async countOpenAddresses(ownerId: string, kind: 'spend' | 'income') {
    await this.q.query({
      name: 'lock_owner',
      text: `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
      values: [`open:${kind}:${ownerId}`],
    });
    return super.countOpenAddresses(ownerId, kind);
  }

  async insertAddress(row: NewAddressRow) {
    await this.q.query({
      name: 'insert_address',
      text: `INSERT INTO addresses (address, kind, owner_id, owner_pk, status, opened_at, time_lock, amount,
        quantum_volume, volume, reserved, planned_bytes, price_amount, price_power, open_channels, open_tx_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      values: [
        row.address,
        row.kind,
        row.owner_id,
        row.owner_pk,
        row.status,
        row.opened_at,
        row.time_lock,
        row.amount,
        row.quantum_volume,
        row.volume,
        row.reserved,
        row.planned_bytes,
        row.price_amount,
        row.price_power,
        row.open_channels,
        row.open_tx_id,
      ],
    });
  }
  async updateBalances(address: string, b: AddressBalances) {
    await this.q.query({
      name: 'update_balances',
      text: `UPDATE addresses SET amount = $2, quantum_volume = $3, volume = $4, reserved = $5,
        planned_bytes = $6, open_channels = $7 WHERE address = $1`,
      values: [address, b.amount, b.quantum_volume, b.volume, b.reserved, b.planned_bytes, b.open_channels],
    });
  }
  async closeAddress(address: string, closedAt: number) {
    await this.q.query({
      name: 'close_address',
      text: `UPDATE addresses SET status = 2, amount = 0, closed_at = $2 WHERE address = $1 AND status = 1`,
      values: [address, closedAt],
    });
  }
  /**
   * The expiry job runs on every node; one at a time does the work (the others find the lock taken
   * and do nothing this tick), and the rows it settles are locked and re-checked as open.
   */
  private async holdsExpiryLock(): Promise<boolean> {
    if (this.expiryLocked === undefined) {
      const r = await first<{ ok: boolean }>(
        this.q,
        'lock_expiry',
        `SELECT pg_try_advisory_xact_lock($1) AS ok`,
        [LOCKS.expiry],
      );
      this.expiryLocked = r!.ok;
    }
    return this.expiryLocked;
  }
  async expiredAddresses(now: number) {
    if (!(await this.holdsExpiryLock())) return [];
    return rows<AddressRow>(
      this.q,
      'expired_addresses',
      `SELECT * FROM addresses WHERE status = 1 AND kind <> 'tracker' AND time_lock < $1
       ORDER BY time_lock FOR UPDATE`,
      [now],
    );
  }
  async insertCommon(row: Pick<CommonRow, 'address' | 'owner_id' | 'owner_pk'>) {
    await this.q.query({
      name: 'insert_common',
      text: `INSERT INTO commons (address, owner_id, owner_pk, profit, fact, plan) VALUES ($1, $2, $3, 0, 0, 0)`,
      values: [row.address, row.owner_id, row.owner_pk],
    });
  }
  async updateCommon(row: Pick<CommonRow, 'address' | 'profit' | 'fact' | 'plan'>) {
    await this.q.query({
      name: 'update_common',
      text: `UPDATE commons SET profit = $2, fact = $3, plan = $4 WHERE address = $1`,
      values: [row.address, row.profit, row.fact, row.plan],
    });
  }
  async insertAlias(alias: string, address: string) {
    await this.q.query({
      name: 'insert_alias',
      text: `INSERT INTO common_aliases (alias, address) VALUES ($1, $2) ON CONFLICT (alias) DO NOTHING`,
      values: [alias, address],
    });
  }
  async insertChannel(row: NewChannelRow) {
    await this.q.query({
      name: 'insert_channel',
      text: `INSERT INTO channels (channel_id, from_id, to_id, from_address, to_address, to_common, price_tokens,
        price_power, planned, contract, status, time_lock, opened_at, open_tx_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 2, $11, $12, $13)`,
      values: [
        row.channel_id,
        row.from_id,
        row.to_id,
        row.from_address,
        row.to_address,
        row.to_common,
        row.price_tokens,
        row.price_power,
        row.planned,
        row.contract,
        row.time_lock,
        row.opened_at,
        row.open_tx_id,
      ],
    });
  }
  async closeChannel(c: ChannelClose) {
    await this.q.query({
      name: 'close_channel',
      text: `UPDATE channels SET status = 4, settlement = $2, expired = $3, closed_at = $4, close_tx_id = $5
        WHERE channel_id = $1 AND status = 2`,
      values: [c.channel_id, c.settlement, c.expired, c.closed_at, c.close_tx_id],
    });
  }
  async expiredChannels(now: number) {
    if (!(await this.holdsExpiryLock())) return [];
    return rows<ChannelRow>(
      this.q,
      'expired_channels',
      `SELECT * FROM channels WHERE status = 2 AND time_lock < $1 ORDER BY time_lock FOR UPDATE`,
      [now],
    );
  }
  /** Takes the next seq and, with it, the counter row's lock until this transaction ends. */
  async nextTxSeq() {
    const r = await first<{ seq: number; ts: number }>(
      this.q,
      'next_seq',
      `UPDATE tx_counter SET seq = seq + 1 WHERE id = 1 RETURNING seq, ts`,
      [],
    );
    return { seq: r!.seq, notBefore: r!.ts };
  }
  async insertTransaction(row: NewTxRow, parties: string[]) {
    await this.q.query({
      name: 'insert_tx',
      text: `WITH c AS (UPDATE tx_counter SET ts = GREATEST(ts, $15) WHERE id = 1),
        t AS (
          INSERT INTO transactions (seq, tx_id, parent_tx_id, tx_type, from_address, to_address, amount, volume,
            quantum_count, contract_id, price_amount, price_quantum_power, planned_quantum_count, timelock,
            timestamp, status, version, sign)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, NULL)
          RETURNING seq)
        INSERT INTO tx_parties (owner_id, seq) SELECT DISTINCT o, t.seq FROM t, unnest($18::text[]) AS o`,
      values: [
        row.seq,
        row.tx_id,
        row.parent_tx_id,
        row.tx_type,
        row.from_address,
        row.to_address,
        row.amount,
        row.volume,
        row.quantum_count,
        row.contract_id,
        row.price_amount,
        row.price_quantum_power,
        row.planned_quantum_count,
        row.timelock,
        row.timestamp,
        row.status,
        row.version,
        parties,
      ],
    });
  }
  async setMeta(key: string, value: string) {
    await this.q.query({
      name: 'set_meta',
      text: `INSERT INTO meta (key, value) VALUES ($1, $2)`,
      values: [key, value],
    });
  }
}
