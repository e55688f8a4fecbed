/** Row shapes of the tracker tables and the bigint views of them. */

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
