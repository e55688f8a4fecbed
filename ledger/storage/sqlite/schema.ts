/**
 * The tracker's SQLite schema, as versioned migrations. Amounts are uint64 and SQLite integers are
 * signed 64-bit, so every amount and byte count is kept as a decimal TEXT and computed with bigint.
 */
import type { Migration } from '../migrations';

/** Version 1: the schema of the first releases (IF NOT EXISTS: such databases are its baseline). */
const V1_INITIAL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- The tracker's own wallet and every spend/income address.
CREATE TABLE IF NOT EXISTS addresses (
  address        TEXT PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('tracker', 'spend', 'income')),
  owner_id       TEXT NOT NULL,           -- hex SHA-256 of the owner's SPKI DER
  owner_pk       TEXT NOT NULL,           -- canonical PEM
  status         INTEGER NOT NULL,        -- 1 open, 2 closed
  opened_at      INTEGER NOT NULL,
  time_lock      INTEGER NOT NULL,
  amount         TEXT NOT NULL,
  quantum_volume TEXT NOT NULL,
  volume         TEXT NOT NULL,
  reserved       TEXT NOT NULL,           -- Σ reservations of open channels on this address
  planned_bytes  TEXT NOT NULL,           -- Σ planned bytes of open channels on this address
  price_amount   TEXT NOT NULL,
  price_power    INTEGER NOT NULL,
  open_channels  INTEGER NOT NULL,
  open_tx_id     TEXT NOT NULL,
  closed_at      INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS addresses_owner ON addresses (owner_id, kind, status);
CREATE INDEX IF NOT EXISTS addresses_expiry ON addresses (status, time_lock);

-- Common addresses (a peer's own wallet): balance = profit.
CREATE TABLE IF NOT EXISTS commons (
  address  TEXT PRIMARY KEY,              -- derived from the canonical PEM
  owner_id TEXT NOT NULL UNIQUE,
  owner_pk TEXT NOT NULL,
  profit   TEXT NOT NULL,                 -- atoms credited: direct payments + TX_FINANCIAL
  fact     TEXT NOT NULL,                 -- atoms earned by closed channels paying this peer
  plan     TEXT NOT NULL                  -- reservations of open channels paying this peer
) STRICT;

-- Other spellings of a common address (PEM without trailing newline, other line widths).
CREATE TABLE IF NOT EXISTS common_aliases (
  alias   TEXT PRIMARY KEY,
  address TEXT NOT NULL REFERENCES commons (address)
) STRICT;

CREATE TABLE IF NOT EXISTS channels (
  channel_id    TEXT PRIMARY KEY,
  from_id       TEXT NOT NULL,
  to_id         TEXT NOT NULL,
  from_address  TEXT NOT NULL,
  to_address    TEXT NOT NULL,
  to_common     INTEGER NOT NULL,         -- 1 when toAddress is the payee's common address
  price_tokens  TEXT NOT NULL,
  price_power   INTEGER NOT NULL,
  planned       TEXT NOT NULL,
  contract      TEXT NOT NULL,            -- canonical contract: identical-open check
  status        INTEGER NOT NULL,         -- 2 open, 4 closed
  time_lock     INTEGER NOT NULL,
  opened_at     INTEGER NOT NULL,
  open_tx_id    TEXT NOT NULL,
  settlement    TEXT,                     -- canonical close figures: identical-close check
  expired       INTEGER NOT NULL DEFAULT 0,
  closed_at     INTEGER,
  close_tx_id   TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS channels_expiry ON channels (status, time_lock);

CREATE TABLE IF NOT EXISTS transactions (
  seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
  tx_id                 TEXT NOT NULL UNIQUE,
  parent_tx_id          TEXT NOT NULL,
  tx_type               INTEGER NOT NULL,
  from_address          TEXT NOT NULL,
  to_address            TEXT NOT NULL,
  amount                TEXT NOT NULL,
  volume                TEXT NOT NULL,
  quantum_count         TEXT NOT NULL,
  contract_id           TEXT NOT NULL,
  price_amount          TEXT NOT NULL,
  price_quantum_power   INTEGER NOT NULL,
  planned_quantum_count TEXT NOT NULL,
  timelock              INTEGER NOT NULL,
  timestamp             INTEGER NOT NULL,
  status                INTEGER NOT NULL,
  version               TEXT NOT NULL,
  sign                  TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS transactions_contract ON transactions (contract_id);

-- Who a transaction concerns: the owners of its from/to addresses (history is per requester).
CREATE TABLE IF NOT EXISTS tx_parties (
  owner_id TEXT NOT NULL,
  seq      INTEGER NOT NULL REFERENCES transactions (seq),
  PRIMARY KEY (owner_id, seq)
) STRICT, WITHOUT ROWID;
`;

/**
 * Version 2: a history item is stored unsigned (sign NULL) by its command and signed after the
 * commit (ledger/engine/item-signer.ts). SQLite cannot drop a NOT NULL: the table is rebuilt.
 */
const V2_DEFERRED_SIGNATURES = `
CREATE TABLE transactions_v2 (
  seq                   INTEGER PRIMARY KEY AUTOINCREMENT,
  tx_id                 TEXT NOT NULL UNIQUE,
  parent_tx_id          TEXT NOT NULL,
  tx_type               INTEGER NOT NULL,
  from_address          TEXT NOT NULL,
  to_address            TEXT NOT NULL,
  amount                TEXT NOT NULL,
  volume                TEXT NOT NULL,
  quantum_count         TEXT NOT NULL,
  contract_id           TEXT NOT NULL,
  price_amount          TEXT NOT NULL,
  price_quantum_power   INTEGER NOT NULL,
  planned_quantum_count TEXT NOT NULL,
  timelock              INTEGER NOT NULL,
  timestamp             INTEGER NOT NULL,
  status                INTEGER NOT NULL,
  version               TEXT NOT NULL,
  sign                  TEXT                -- NULL until signed after the commit
) STRICT;
INSERT INTO transactions_v2 SELECT * FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_v2 RENAME TO transactions;
CREATE INDEX transactions_contract ON transactions (contract_id);
CREATE INDEX transactions_unsigned ON transactions (seq) WHERE sign IS NULL;
`;

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: V1_INITIAL },
  { version: 2, name: 'history items signed after the commit', sql: V2_DEFERRED_SIGNATURES },
];
