/** Tracker configuration: SPEC §5 environment variables, overridden by CLI flags. */
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseUint64 } from '../shared/protocol/amounts';

/** Where the ledger lives: a SQLite file (one node) or a PostgreSQL database (one or more nodes). */
export type DatabaseTarget =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      /** As given: what the URL leaves out comes from the PG* environment variables. */
      url: string;
      /** The URL without its password, for logs. */
      display: string;
    };

export interface LedgerConfig {
  host: string;
  port: number;
  database: DatabaseTarget;
  keyPath: string;
  /** Connections each node keeps to PostgreSQL for commands (another two for cursors and signatures). */
  dbPoolSize: number;
  amountInitial: bigint;
  amountSpend: bigint;
  priceAmountSpend: bigint;
  priceAmountIncome: bigint;
  quantumPower: number;
  spendLifetimeMs: number;
  incomeLifetimeMs: number;
  transferLifetimeMs: number;
  expiryIntervalMs: number;
  maxOpenAddressesPerPeer: number;
  maxFrameBytes: number;
  cursorTtlMs: number;
  maxCursorsPerKey: number;
  /** Live history cursors over all keys (the least recently used go first). */
  maxCursors: number;
  /** Open WebSocket connections; beyond, an upgrade is refused with HTTP 503. */
  maxConnections: number;
  /** A connection that sends no command for this long is closed (pings do not count). */
  idleTimeoutMs: number;
  /** Unsent output of one connection above which the tracker stops reading from it. */
  maxBufferedBytes: number;
  /** Requests per second one connection may send; the excess is answered RATE_LIMITED. */
  maxRequestsPerS: number;
  /** Origins whose pages may open a WebSocket (an upgrade without Origin is always accepted). */
  allowOrigins: string[];
  /** Crypto worker threads (0: sign and verify on the main thread). */
  workers: number;
  /** Longest a graceful shutdown waits for commands in flight before it exits anyway. */
  shutdownTimeoutMs: number;
  /** Log one JSON line per connection and command (off for benchmarks and embedded quiet mode). */
  log: boolean;
}

export class ConfigError extends Error {}

/** `--help`: not an error; the CLI prints the usage and exits 0. */
export class HelpRequested extends ConfigError {}

const MINUTE = 60_000;

function minutes(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number of minutes`);
  return Math.max(1, Math.round(n * MINUTE));
}

function positiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`${name} must be an integer ${min}–${max}`);
  return n;
}

function seconds(value: string, name: string, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max)
    throw new ConfigError(`${name} must be a number of seconds, 0–${max}`);
  return Math.max(1, Math.round(n * 1000));
}

/** An allowed Origin as browsers send it: scheme://host[:port], compared case-insensitively. */
function origin(value: string): string {
  const v = value.trim().toLowerCase();
  if (v === 'null') return v;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`allowed origin ${JSON.stringify(value)} is not an origin (scheme://host[:port])`);
  }
  if (url.origin === 'null' || url.origin !== v.replace(/\/$/, '')) {
    throw new ConfigError(`allowed origin ${JSON.stringify(value)} is not an origin (scheme://host[:port])`);
  }
  return url.origin;
}

const POSTGRES_SCHEMES = ['postgres:', 'postgresql:'];

/**
 * `--db`: a PostgreSQL URL, or else a SQLite file path. A value that starts like a URL
 * (`scheme:` then `//`, or a PostgreSQL scheme) must be a valid PostgreSQL URL: a typo must not
 * quietly create a SQLite file in a folder named `postgres:`.
 */
export function databaseTarget(value: string): DatabaseTarget {
  const scheme = /^([a-z][a-z0-9+.-]*:)(.*)$/i.exec(value);
  const looksLikeUrl =
    scheme && (scheme[2]!.startsWith('//') || POSTGRES_SCHEMES.includes(scheme[1]!.toLowerCase()));
  if (!looksLikeUrl) return { kind: 'sqlite', path: resolve(value) };
  const refuse = (why: string): never => {
    throw new ConfigError(
      `--db ${JSON.stringify(redact(value))} is not a valid database URL: ${why} ` +
        '(expected postgres://user[:password]@host[:port]/database, or a SQLite file path)',
    );
  };
  if (!POSTGRES_SCHEMES.includes(scheme[1]!.toLowerCase())) refuse(`unsupported scheme ${scheme[1]}`);
  if (!scheme[2]!.startsWith('//')) refuse('the scheme must be followed by //');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('it does not parse as a URL');
  }
  if (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535)) refuse('bad port');
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (path.includes('/')) refuse('the path must be one database name');
  if (url.hash) refuse('a URL fragment means nothing here');
  return { kind: 'postgres', url: value, display: redact(value) };
}

/** The URL with its password replaced (never logged or echoed). */
function redact(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/:[^:@/]*@/, ':***@');
  }
}

function amount(value: string, name: string): bigint {
  try {
    return parseUint64(value, name);
  } catch {
    throw new ConfigError(`${name} must be an unsigned 64-bit integer`);
  }
}

const USAGE = `Usage: npm run ledger -- [options]
  --host 127.0.0.1            listen address (TLPRT_LEDGER_HOST)
  --port 8787                 listen port, 0 = any free port (TLPRT_LEDGER_PORT)
  --db ./data/ledger.sqlite   database: a SQLite file, or postgres://user[:password]@host[:port]/database
                              (also postgresql://; PG* variables fill in what the URL leaves out) (TLPRT_LEDGER_DB)
  --key <file>                tracker key file (TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME): relative to the SQLite
                              file's folder; with PostgreSQL required, relative to the working directory, and
                              the same key for every node of one database
  --db-pool-size 10           PostgreSQL connections per node for commands (TLPRT_LEDGER_DB_POOL_SIZE)
  --expiry-interval-ms 30000  expiry job period (TLPRT_LEDGER_EXPIRY_INTERVAL_MS)
  --workers <cores>           crypto worker threads, 0 = none (TLPRT_LEDGER_WORKERS)
  --max-connections 1024      open WebSocket connections; beyond, HTTP 503 (TLPRT_LEDGER_MAX_CONNECTIONS)
  --idle-timeout-s 120        close a connection that sent no command for this long (TLPRT_LEDGER_IDLE_TIMEOUT_S)
  --max-buffered-bytes 8388608  unsent output per connection before the tracker stops reading it
                              (TLPRT_LEDGER_MAX_BUFFERED_BYTES)
  --max-requests-per-s 200    per connection; the excess is answered RATE_LIMITED (TLPRT_LEDGER_MAX_REQUESTS_PER_S)
  --max-cursors 10000         live history cursors over all keys, oldest dropped (TLPRT_LEDGER_MAX_CURSORS)
  --allow-origin <origin>     repeatable: web origins allowed to connect; an upgrade with any other
                              Origin header gets HTTP 403 (TLPRT_LEDGER_ALLOW_ORIGIN, comma-separated)
  --shutdown-timeout-s 10     longest wait for commands in flight on SIGTERM (TLPRT_LEDGER_SHUTDOWN_TIMEOUT_S)
  --quiet                     no log line per connection and command
  -h, --help                  this text
Environment (SPEC §5): TLPRT_LEDGER_AMOUNT_INITIAL, TLPRT_LEDGER_AMOUNT_SPEND,
  TLPRT_LEDGER_PRICE_AMOUNT_SPEND, TLPRT_LEDGER_PRICE_AMOUNT_INCOME, TLPRT_LEDGER_QUANTUM_POWER,
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME, TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME,
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME (minutes, fractions allowed),
  TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER. Flags win over the environment.
HTTP on the same port: GET /healthz (200 ready, 503 starting or stopping), GET /metrics (Prometheus).`;

export function usage(): string {
  return USAGE;
}

/** Builds the configuration from environment and argv (flags win). Throws ConfigError. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        db: { type: 'string' },
        key: { type: 'string' },
        'db-pool-size': { type: 'string' },
        'expiry-interval-ms': { type: 'string' },
        workers: { type: 'string' },
        'max-connections': { type: 'string' },
        'idle-timeout-s': { type: 'string' },
        'max-buffered-bytes': { type: 'string' },
        'max-requests-per-s': { type: 'string' },
        'max-cursors': { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'shutdown-timeout-s': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n${USAGE}`);
  }
  if (flags.help) throw new HelpRequested(USAGE);
  const e = (k: string): string | undefined => {
    const v = env[`TLPRT_LEDGER_${k}`];
    return v === undefined || v === '' ? undefined : v;
  };
  const database = databaseTarget(flags.db ?? e('DB') ?? './data/ledger.sqlite');
  const keyName = flags.key ?? e('PRIVATE_KEY_FILE_NAME');
  let keyPath: string;
  if (database.kind === 'sqlite') {
    keyPath = keyName
      ? resolve(dirname(database.path), keyName)
      : join(dirname(database.path), 'tracker-key.pem');
  } else if (keyName) {
    keyPath = resolve(keyName);
  } else {
    throw new ConfigError(
      'with a PostgreSQL --db, --key <file> (or TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME) must name the tracker ' +
        'key file: every node of one database signs with the same key',
    );
  }
  const port = Number(flags.port ?? e('PORT') ?? '8787');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port must be 0–65535');
  const quantumPower = Number(e('QUANTUM_POWER') ?? '20');
  if (!Number.isInteger(quantumPower) || quantumPower < 0 || quantumPower > 63) {
    throw new ConfigError('TLPRT_LEDGER_QUANTUM_POWER must be an integer 0–63');
  }
  return {
    host: flags.host ?? e('HOST') ?? '127.0.0.1',
    port,
    database,
    keyPath,
    dbPoolSize: positiveInt(flags['db-pool-size'] ?? e('DB_POOL_SIZE') ?? '10', 'db pool size', 1000),
    amountInitial: amount(e('AMOUNT_INITIAL') ?? '100000', 'TLPRT_LEDGER_AMOUNT_INITIAL'),
    amountSpend: amount(e('AMOUNT_SPEND') ?? '11000', 'TLPRT_LEDGER_AMOUNT_SPEND'),
    priceAmountSpend: amount(e('PRICE_AMOUNT_SPEND') ?? '1100', 'TLPRT_LEDGER_PRICE_AMOUNT_SPEND'),
    priceAmountIncome: amount(e('PRICE_AMOUNT_INCOME') ?? '900', 'TLPRT_LEDGER_PRICE_AMOUNT_INCOME'),
    quantumPower,
    spendLifetimeMs: minutes(e('SPEND_CHANNEL_LIFETIME') ?? '30', 'TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME'),
    incomeLifetimeMs: minutes(e('INCOME_CHANNEL_LIFETIME') ?? '30', 'TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME'),
    transferLifetimeMs: minutes(
      e('TRANSFER_CHANNEL_LIFETIME') ?? '5',
      'TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME',
    ),
    expiryIntervalMs: positiveInt(
      flags['expiry-interval-ms'] ?? e('EXPIRY_INTERVAL_MS') ?? '30000',
      'expiry interval (ms)',
      86_400_000,
    ),
    maxOpenAddressesPerPeer: positiveInt(
      e('MAX_OPEN_ADDRESSES_PER_PEER') ?? '8',
      'max open addresses',
      10_000,
    ),
    maxFrameBytes: 64 * 1024,
    cursorTtlMs: 5 * MINUTE,
    maxCursorsPerKey: 16,
    maxCursors: positiveInt(flags['max-cursors'] ?? e('MAX_CURSORS') ?? '10000', 'max cursors', 10_000_000),
    maxConnections: positiveInt(
      flags['max-connections'] ?? e('MAX_CONNECTIONS') ?? '1024',
      'max connections',
      1_000_000,
    ),
    idleTimeoutMs: seconds(flags['idle-timeout-s'] ?? e('IDLE_TIMEOUT_S') ?? '120', 'idle timeout', 86_400),
    maxBufferedBytes: positiveInt(
      flags['max-buffered-bytes'] ?? e('MAX_BUFFERED_BYTES') ?? String(8 * 1024 * 1024),
      'max buffered bytes',
      2 ** 40,
      64 * 1024,
    ),
    maxRequestsPerS: positiveInt(
      flags['max-requests-per-s'] ?? e('MAX_REQUESTS_PER_S') ?? '200',
      'max requests per second',
      1_000_000,
    ),
    allowOrigins: (flags['allow-origin'] ?? (e('ALLOW_ORIGIN') ?? '').split(','))
      .filter((o) => o.trim() !== '')
      .map(origin),
    workers: positiveInt(flags.workers ?? e('WORKERS') ?? String(availableParallelism()), 'workers', 256, 0),
    shutdownTimeoutMs: seconds(
      flags['shutdown-timeout-s'] ?? e('SHUTDOWN_TIMEOUT_S') ?? '10',
      'shutdown timeout',
      3600,
    ),
    log: !flags.quiet,
  };
}
