/** The SQLite adapter's prepared statements, and the port's reads and writes over one connection. */
import type { Statement } from 'better-sqlite3';
import type { Db } from './open';
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
import type { HistoryQuery, ItemSignature, LedgerReads, LedgerWrites } from '../port';

const FILTER_COLUMNS = [
  ['txType', 't.tx_type'],
  ['channelId', 't.contract_id'],
  ['from', 't.from_address'],
  ['to', 't.to_address'],
] as const;

export class Statements {
  readonly getAddress: Statement<[string], AddressRow>;
  readonly insertAddress: Statement<[NewAddressRow]>;
  readonly updateBalances: Statement<[AddressBalances & { address: string }]>;
  readonly closeAddress: Statement<[number, string]>;
  readonly countOpen: Statement<[string, string], { n: number }>;
  readonly expiredAddresses: Statement<[number], AddressRow>;
  readonly getCommon: Statement<[string], CommonRow>;
  readonly getCommonByOwner: Statement<[string], CommonRow>;
  readonly insertCommon: Statement<[Pick<CommonRow, 'address' | 'owner_id' | 'owner_pk'>]>;
  readonly updateCommon: Statement<[Pick<CommonRow, 'address' | 'profit' | 'fact' | 'plan'>]>;
  readonly getAlias: Statement<[string], { address: string }>;
  readonly insertAlias: Statement<[string, string]>;
  readonly getChannel: Statement<[string], ChannelRow>;
  readonly insertChannel: Statement<[NewChannelRow]>;
  readonly closeChannel: Statement<[ChannelClose]>;
  readonly expiredChannels: Statement<[number], ChannelRow>;
  readonly getMeta: Statement<[string], { value: string }>;
  readonly setMeta: Statement<[string, string]>;
  readonly lastSeq: Statement<[], { seq: number }>;
  readonly nextSeq: Statement<[], { seq: number }>;
  readonly insertTx: Statement<[NewTxRow]>;
  readonly insertParty: Statement<[string, number]>;
  readonly setSign: Statement<[string, number]>;
  readonly unsigned: Statement<[number], TxRow>;
  private readonly history = new Map<string, { count: Statement; page: Statement }>();

  constructor(private readonly db: Db) {
    this.getAddress = db.prepare(`SELECT * FROM addresses WHERE address = ?`);
    this.insertAddress = db.prepare(`INSERT INTO addresses
      (address, kind, owner_id, owner_pk, status, opened_at, time_lock, amount, quantum_volume, volume, reserved,
       planned_bytes, price_amount, price_power, open_channels, open_tx_id)
      VALUES (@address, @kind, @owner_id, @owner_pk, @status, @opened_at, @time_lock, @amount, @quantum_volume,
       @volume, @reserved, @planned_bytes, @price_amount, @price_power, @open_channels, @open_tx_id)`);
    this.updateBalances = db.prepare(`UPDATE addresses SET amount = @amount, quantum_volume = @quantum_volume,
      volume = @volume, reserved = @reserved, planned_bytes = @planned_bytes, open_channels = @open_channels
      WHERE address = @address`);
    this.closeAddress = db.prepare(
      `UPDATE addresses SET status = 2, amount = '0', closed_at = ? WHERE address = ? AND status = 1`,
    );
    this.countOpen = db.prepare(
      `SELECT COUNT(*) AS n FROM addresses WHERE owner_id = ? AND kind = ? AND status = 1`,
    );
    this.expiredAddresses = db.prepare(
      `SELECT * FROM addresses WHERE status = 1 AND kind != 'tracker' AND time_lock < ? ORDER BY time_lock`,
    );
    this.getCommon = db.prepare(`SELECT * FROM commons WHERE address = ?`);
    this.getCommonByOwner = db.prepare(`SELECT * FROM commons WHERE owner_id = ?`);
    this.insertCommon = db.prepare(`INSERT INTO commons (address, owner_id, owner_pk, profit, fact, plan)
      VALUES (@address, @owner_id, @owner_pk, '0', '0', '0')`);
    this.updateCommon = db.prepare(
      `UPDATE commons SET profit = @profit, fact = @fact, plan = @plan WHERE address = @address`,
    );
    this.getAlias = db.prepare(`SELECT address FROM common_aliases WHERE alias = ?`);
    this.insertAlias = db.prepare(`INSERT OR IGNORE INTO common_aliases (alias, address) VALUES (?, ?)`);
    this.getChannel = db.prepare(`SELECT * FROM channels WHERE channel_id = ?`);
    this.insertChannel = db.prepare(`INSERT INTO channels
      (channel_id, from_id, to_id, from_address, to_address, to_common, price_tokens, price_power, planned, contract,
       status, time_lock, opened_at, open_tx_id)
      VALUES (@channel_id, @from_id, @to_id, @from_address, @to_address, @to_common, @price_tokens, @price_power,
       @planned, @contract, 2, @time_lock, @opened_at, @open_tx_id)`);
    this.closeChannel =
      db.prepare(`UPDATE channels SET status = 4, settlement = @settlement, expired = @expired,
      closed_at = @closed_at, close_tx_id = @close_tx_id WHERE channel_id = @channel_id AND status = 2`);
    this.expiredChannels = db.prepare(
      `SELECT * FROM channels WHERE status = 2 AND time_lock < ? ORDER BY time_lock`,
    );
    this.getMeta = db.prepare(`SELECT value FROM meta WHERE key = ?`);
    this.setMeta = db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?)`);
    this.lastSeq = db.prepare(`SELECT COALESCE(MAX(seq), 0) AS seq FROM transactions`);
    this.nextSeq = db.prepare(
      `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'transactions'), 0) + 1 AS seq`,
    );
    this.insertTx = db.prepare(`INSERT INTO transactions
      (seq, tx_id, parent_tx_id, tx_type, from_address, to_address, amount, volume, quantum_count, contract_id,
       price_amount, price_quantum_power, planned_quantum_count, timelock, timestamp, status, version, sign)
      VALUES (@seq, @tx_id, @parent_tx_id, @tx_type, @from_address, @to_address, @amount, @volume, @quantum_count,
       @contract_id, @price_amount, @price_quantum_power, @planned_quantum_count, @timelock, @timestamp,
       @status, @version, NULL)`);
    this.insertParty = db.prepare(`INSERT OR IGNORE INTO tx_parties (owner_id, seq) VALUES (?, ?)`);
    this.setSign = db.prepare(`UPDATE transactions SET sign = ? WHERE seq = ? AND sign IS NULL`);
    this.unsigned = db.prepare(`SELECT * FROM transactions WHERE sign IS NULL ORDER BY seq LIMIT ?`);
  }

  /** Count and page statements of one filter combination (prepared once). */
  historyStatements(q: HistoryQuery): { count: Statement; page: Statement; params: (string | number)[] } {
    const params: (string | number)[] = [];
    let where = '';
    for (const [field, column] of FILTER_COLUMNS) {
      const value = q.filters[field];
      if (value === undefined) continue;
      where += ` AND ${column} = ?`;
      params.push(value);
    }
    const key = `${where}|${q.ascending}`;
    let s = this.history.get(key);
    if (!s) {
      const base = `FROM tx_parties p JOIN transactions t ON t.seq = p.seq WHERE p.owner_id = ? AND p.seq <= ?${where}`;
      s = {
        count: this.db.prepare(`SELECT COUNT(*) AS n ${base}`),
        // The tracker clock never runs backwards, so insertion order is (timestamp, insertion) order.
        page: this.db.prepare(
          `SELECT t.* ${base} ORDER BY p.seq ${q.ascending ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
        ),
      };
      this.history.set(key, s);
    }
    return { ...s, params };
  }
}

/** The port's reads over one connection (synchronous underneath). */
export class SqliteReads implements LedgerReads {
  constructor(protected readonly s: Statements) {}

  async address(address: string) {
    return this.s.getAddress.get(address);
  }
  async countOpenAddresses(ownerId: string, kind: 'spend' | 'income') {
    return this.s.countOpen.get(ownerId, kind)!.n;
  }
  async common(address: string) {
    return this.s.getCommon.get(address);
  }
  async commonByOwner(ownerId: string) {
    return this.s.getCommonByOwner.get(ownerId);
  }
  async commonAliasTarget(alias: string) {
    return this.s.getAlias.get(alias)?.address;
  }
  async channel(channelId: string) {
    return this.s.getChannel.get(channelId);
  }
  async meta(key: string) {
    return this.s.getMeta.get(key)?.value;
  }
  async lastTxSeq() {
    return this.s.lastSeq.get()!.seq;
  }
  async countHistory(q: HistoryQuery) {
    const h = this.s.historyStatements(q);
    return (h.count.get(q.ownerId, q.snapshotSeq, ...h.params) as { n: number }).n;
  }
  async historyPage(q: HistoryQuery, limit: number, offset: number) {
    const h = this.s.historyStatements(q);
    return h.page.all(q.ownerId, q.snapshotSeq, ...h.params, limit, offset) as TxRow[];
  }
  async unsignedTransactions(limit: number) {
    return this.s.unsigned.all(limit);
  }
}

/** The port's writes of one command inside the adapter's current transaction. */
export class SqliteWrites extends SqliteReads implements LedgerWrites {
  async insertAddress(row: NewAddressRow) {
    this.s.insertAddress.run(row);
  }
  async updateBalances(address: string, b: AddressBalances) {
    this.s.updateBalances.run({ ...b, address });
  }
  async closeAddress(address: string, closedAt: number) {
    this.s.closeAddress.run(closedAt, address);
  }
  async expiredAddresses(now: number) {
    return this.s.expiredAddresses.all(now);
  }
  async insertCommon(row: Pick<CommonRow, 'address' | 'owner_id' | 'owner_pk'>) {
    this.s.insertCommon.run(row);
  }
  async updateCommon(row: Pick<CommonRow, 'address' | 'profit' | 'fact' | 'plan'>) {
    this.s.updateCommon.run(row);
  }
  async insertAlias(alias: string, address: string) {
    this.s.insertAlias.run(alias, address);
  }
  async insertChannel(row: NewChannelRow) {
    this.s.insertChannel.run(row);
  }
  async closeChannel(close: ChannelClose) {
    this.s.closeChannel.run(close);
  }
  async expiredChannels(now: number) {
    return this.s.expiredChannels.all(now);
  }
  /** One writer with a clock that never runs backwards: no earlier bound is needed. */
  async nextTxSeq() {
    return { seq: this.s.nextSeq.get()!.seq, notBefore: 0 };
  }
  async insertTransaction(row: NewTxRow, parties: string[]) {
    this.s.insertTx.run(row);
    for (const owner of new Set(parties)) this.s.insertParty.run(owner, row.seq);
  }
  /** Not a command's write: the storage's saveSignatures runs it in a group of its own. */
  setSignatures(signs: ItemSignature[]): void {
    for (const s of signs) this.s.setSign.run(s.sign, s.seq);
  }
  async setMeta(key: string, value: string) {
    this.s.setMeta.run(key, value);
  }
}
