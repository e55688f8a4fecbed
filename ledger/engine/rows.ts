/** Row shapes of the tracker tables, shared by the engine and every storage adapter. */

export const OPEN = 1;
export const CLOSED = 2;

export interface AddressRow {
  address: string;
  kind: 'tracker' | 'spend' | 'income';
  owner_id: string;
  owner_pk: string;
  status: number;
  opened_at: number;
  time_lock: number;
  amount: string;
  quantum_volume: string;
  volume: string;
  reserved: string;
  planned_bytes: string;
  price_amount: string;
  price_power: number;
  open_channels: number;
  open_tx_id: string;
  closed_at: number | null;
}

export interface CommonRow {
  address: string;
  owner_id: string;
  owner_pk: string;
  profit: string;
  fact: string;
  plan: string;
}

export interface ChannelRow {
  channel_id: string;
  from_id: string;
  to_id: string;
  from_address: string;
  to_address: string;
  to_common: number;
  price_tokens: string;
  price_power: number;
  planned: string;
  contract: string;
  status: number;
  time_lock: number;
  opened_at: number;
  open_tx_id: string;
  settlement: string | null;
  expired: number;
  closed_at: number | null;
  close_tx_id: string | null;
}

export interface TxRow {
  seq: number;
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from_address: string;
  to_address: string;
  amount: string;
  volume: string;
  quantum_count: string;
  contract_id: string;
  price_amount: string;
  price_quantum_power: number;
  planned_quantum_count: string;
  timelock: number;
  timestamp: number;
  status: number;
  version: string;
  /** NULL from the command's commit until the item signer (or a history read) has signed it. */
  sign: string | null;
}

/** A transaction as the engine writes it: stored unsigned, signed after the commit. */
export type NewTxRow = Omit<TxRow, 'sign'>;

/** The row of a new spend or income address (or the tracker's wallet). */
export type NewAddressRow = Omit<AddressRow, 'closed_at'>;

/** The figures of an address that commands change. */
export type AddressBalances = Pick<
  AddressRow,
  'amount' | 'quantum_volume' | 'volume' | 'reserved' | 'planned_bytes' | 'open_channels'
>;

export type NewChannelRow = Omit<
  ChannelRow,
  'status' | 'settlement' | 'expired' | 'closed_at' | 'close_tx_id'
>;

export interface ChannelClose {
  channel_id: string;
  settlement: string;
  expired: 0 | 1;
  closed_at: number;
  close_tx_id: string;
}
