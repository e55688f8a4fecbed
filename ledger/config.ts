/** Tracker configuration: SPEC §5 environment variables, overridden by CLI flags. */
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

function positiveInt(value: string, name: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`${name} must be an integer 1–${max}`);
  return n;
}

function amount(value: string, name: string): bigint {
  try {
    return parseUint64(value, name);
  } catch {
    throw new ConfigError(`${name} must be an unsigned 64-bit integer`);
  }
}

const USAGE = `Usage: npm run ledger -- [--host 127.0.0.1] [--port 8787] [--db ./data/ledger.sqlite]
                      [--key <file>] [--expiry-interval-ms 30000] [--quiet]
Environment (SPEC §5): TLPRT_LEDGER_AMOUNT_INITIAL, TLPRT_LEDGER_AMOUNT_SPEND,
  TLPRT_LEDGER_PRICE_AMOUNT_SPEND, TLPRT_LEDGER_PRICE_AMOUNT_INCOME, TLPRT_LEDGER_QUANTUM_POWER,
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME, TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME,
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME (minutes, fractions allowed), TLPRT_LEDGER_PRIVATE_KEY_FILE_NAME,
  TLPRT_LEDGER_HOST, TLPRT_LEDGER_PORT, TLPRT_LEDGER_DB, TLPRT_LEDGER_EXPIRY_INTERVAL_MS,
  TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER`;

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
    log: !flags.quiet,
  };
}
