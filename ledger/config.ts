/** Tracker configuration: SPEC §5 environment variables, overridden by CLI flags. */
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseUint64 } from '../shared/protocol/amounts';

export interface LedgerConfig {
  host: string;
  port: number;
  dbPath: string;
  keyPath: string;
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
  --db ./data/ledger.sqlite   database file (TLPRT_LEDGER_DB)
  --key <file>                tracker key, relative to the database folder (TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME)
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
  const dbPath = resolve(flags.db ?? e('DB') ?? './data/ledger.sqlite');
  const keyName = flags.key ?? e('PRIVATE_KEY_FILE_NAME');
  const keyPath = keyName ? resolve(dirname(dbPath), keyName) : join(dirname(dbPath), 'tracker-key.pem');
  const port = Number(flags.port ?? e('PORT') ?? '8787');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('port must be 0–65535');
  const quantumPower = Number(e('QUANTUM_POWER') ?? '20');
  if (!Number.isInteger(quantumPower) || quantumPower < 0 || quantumPower > 63) {
    throw new ConfigError('TLPRT_LEDGER_QUANTUM_POWER must be an integer 0–63');
  }
  return {
    host: flags.host ?? e('HOST') ?? '127.0.0.1',
    port,
    dbPath,
    keyPath,
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
