/**
 * The tracker's PostgreSQL schema, as versioned migrations (ledger/storage/migrations.ts). Amounts
 * and byte counts are NUMERIC(20,0) within the uint64 range (exact, read back as decimal strings,
 * computed with bigint); times and sequence numbers are BIGINT.
 */
import type { Migration } from '../migrations';

const UINT64 = `NUMERIC(20, 0) NOT NULL CHECK (VALUE_ >= 0 AND VALUE_ <= 18446744073709551615)`;
const u64 = (column: string): string => `${column} ${UINT64.replace(/VALUE_/g, column)}`;

const V1_INITIAL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE addresses (
  address        TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('tracker', 'spend', 'income')),
  owner_id       TEXT NOT NULL,
  owner_pk       TEXT NOT NULL,
  status         INTEGER NOT NULL,
  opened_at      BIGINT NOT NULL,
  time_lock      BIGINT NOT NULL,
  ${u64('amount')},
  ${u64('quantum_volume')},
  ${u64('volume')},
  ${u64('reserved')},
  ${u64('planned_bytes')},
  ${u64('price_amount')},
  price_power    INTEGER NOT NULL,
  open_channels  INTEGER NOT NULL CHECK (open_channels >= 0),
  open_tx_id     TEXT NOT NULL,
  closed_at      BIGINT
);
CREATE INDEX addresses_owner ON addresses (owner_id, kind, status);
CREATE INDEX addresses_expiry ON addresses (time_lock) WHERE status = 1 AND kind <> 'tracker';

CREATE TABLE commons (
  address  TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL UNIQUE,
  owner_pk TEXT NOT NULL,
  ${u64('profit')},
  ${u64('fact')},
  ${u64('plan')}
);

CREATE TABLE common_aliases (
  alias   TEXT PRIMARY KEY,
  address TEXT NOT NULL REFERENCES commons (address)
);

CREATE TABLE channels (
  channel_id    TEXT PRIMARY KEY,
  from_id       TEXT NOT NULL,
  to_id         TEXT NOT NULL,
  from_address  TEXT NOT NULL,
  to_address    TEXT NOT NULL,
  to_common     INTEGER NOT NULL,
  ${u64('price_tokens')},
  price_power   INTEGER NOT NULL,
  ${u64('planned')},
  contract      TEXT NOT NULL,
  status        INTEGER NOT NULL,
  time_lock     BIGINT NOT NULL,
  opened_at     BIGINT NOT NULL,
  open_tx_id    TEXT NOT NULL,
  settlement    TEXT,
  expired       INTEGER NOT NULL DEFAULT 0,
  closed_at     BIGINT,
  close_tx_id   TEXT
);
CREATE INDEX channels_expiry ON channels (time_lock) WHERE status = 2;

-- The history's sequence: one row, updated (and so locked until commit) by every write that adds
-- transactions, so that they commit in seq order (docs/architecture.md, "PostgreSQL").
-- ts: the latest transaction timestamp, a floor for the next one (nodes' clocks differ).
CREATE TABLE tx_counter (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq BIGINT NOT NULL,
  ts  BIGINT NOT NULL
);
INSERT INTO tx_counter (id, seq, ts) VALUES (1, 0, 0);

CREATE TABLE transactions (
  seq                   BIGINT PRIMARY KEY,
  tx_id                 TEXT NOT NULL UNIQUE,
  parent_tx_id          TEXT NOT NULL,
  tx_type               INTEGER NOT NULL,
  from_address          TEXT NOT NULL,
  to_address            TEXT NOT NULL,
  ${u64('amount')},
  ${u64('volume')},
  ${u64('quantum_count')},
  contract_id           TEXT NOT NULL,
  ${u64('price_amount')},
  price_quantum_power   INTEGER NOT NULL,
  ${u64('planned_quantum_count')},
  timelock              BIGINT NOT NULL,
  timestamp             BIGINT NOT NULL,
  status                INTEGER NOT NULL,
  version               TEXT NOT NULL,
  sign                  TEXT
);
CREATE INDEX transactions_contract ON transactions (contract_id);
CREATE INDEX transactions_unsigned ON transactions (seq) WHERE sign IS NULL;

CREATE TABLE tx_parties (
  owner_id TEXT NOT NULL,
  seq      BIGINT NOT NULL REFERENCES transactions (seq),
  PRIMARY KEY (owner_id, seq)
);

-- History cursors, shared by every node (SPEC §4: TTL, per-key and global caps).
CREATE SEQUENCE cursor_use;
CREATE TABLE cursors (
  id          TEXT PRIMARY KEY,
  owner_id    TEXT NOT NULL,
  query       TEXT NOT NULL,
  page_size   INTEGER NOT NULL,
  total_count INTEGER NOT NULL,
  expires_at  BIGINT NOT NULL,
  last_used   BIGINT NOT NULL
);
CREATE INDEX cursors_owner ON cursors (owner_id, last_used);
CREATE INDEX cursors_used ON cursors (last_used);
CREATE INDEX cursors_expiry ON cursors (expires_at);
`;

export const PG_MIGRATIONS: readonly Migration[] = [{ version: 1, name: 'initial schema', sql: V1_INITIAL }];
