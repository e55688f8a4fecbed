/** Starts our tracker the way a user does (`npm run ledger -- …`: node --import tsx ledger/cli.ts) on a free port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { databaseFor, isPostgres, type BackendChoice } from './ledger-backend';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface LedgerProcess {
  url: string;
  port: number;
  dir: string;
  /** The SQLite file, or the PostgreSQL URL (tests/helpers/ledger-backend.ts). */
  db: string;
  child: ChildProcess;
  /** Every JSON log line seen so far. */
  logs: Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  dir?: string;
  port?: number;
  env?: Record<string, string>;
  args?: string[];
  expiryIntervalMs?: number;
  /** Default: the suite's backend (LEDGER_BACKEND). */
  backend?: BackendChoice;
}

export function tempDir(prefix = 'wt-ledger-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startLedger(opts: StartOptions = {}): Promise<LedgerProcess> {
  const dir = opts.dir ?? tempDir();
  const database = await databaseFor(dir, opts.backend);
  const args = [
    '--import',
    'tsx',
    join(root, 'ledger/cli.ts'),
    '--port',
    String(opts.port ?? 0),
    ...database.args,
    ...(opts.expiryIntervalMs ? ['--expiry-interval-ms', String(opts.expiryIntervalMs)] : []),
    // Command suites fire refusals back to back, far above the default 200 per second of one
    // connection; the rate-limit tests pass their own (the last flag wins).
    '--max-requests-per-s',
    '1000000',
    ...(opts.args ?? []),
  ];
  // One process, as `npm run ledger` starts it: signals reach the server itself.
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<{ url: string; port: number }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.event === 'listening') resolve({ url: entry.url as string, port: entry.port as number });
      } catch {
        /* not a log line */
      }
    });
    void exited.then((code) => reject(new Error(`ledger exited (${code}) before listening: ${stderr}`)));
  });
  const { url, port } = await listening;
  return {
    url,
    port,
    dir,
    db: database.db,
    child,
    logs,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

/**
 * `n` tracker nodes on one database and one key file (PostgreSQL; with SQLite only one node), all
 * started at once as an operator's several machines would be.
 */
export async function startNodes(n: number, opts: StartOptions = {}): Promise<LedgerProcess[]> {
  const dir = opts.dir ?? tempDir();
  const { db } = await databaseFor(dir, opts.backend);
  if (n > 1 && !isPostgres(db)) throw new Error('several nodes need a PostgreSQL database');
  return Promise.all(Array.from({ length: n }, () => startLedger({ ...opts, dir })));
}
