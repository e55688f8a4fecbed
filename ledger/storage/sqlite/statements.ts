/** Prepared statements over the tracker tables, shared by the command handlers. */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/open';
import type { AddressRow, ChannelRow, CommonRow } from './rows';

export class Store {
  readonly getAddress: Statement<[string], AddressRow>;
  readonly insertAddress: Statement;
  readonly updateBalances: Statement;
  readonly closeAddress: Statement;
  readonly countOpen: Statement<[string, string], { n: number }>;
  readonly expiredAddresses: Statement<[number], AddressRow>;
  readonly getCommon: Statement<[string], CommonRow>;
  readonly getCommonByOwner: Statement<[string], CommonRow>;
  readonly insertCommon: Statement;
  readonly updateCommon: Statement;
  readonly getAlias: Statement<[string], { address: string }>;
  readonly insertAlias: Statement;
  readonly getChannel: Statement<[string], ChannelRow>;
  readonly insertChannel: Statement;
  readonly closeChannel: Statement;
  readonly expiredChannels: Statement<[number], ChannelRow>;

  constructor(db: Db) {
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
  }
}
