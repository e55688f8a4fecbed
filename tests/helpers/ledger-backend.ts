/**
 * The storage backend the tracker suites run on. Each suite is written once; the vitest project
 * `integration` runs it on SQLite, `integration-pg` (vitest.config.ts) on PostgreSQL, with
 * LEDGER_BACKEND=postgres and a throwaway cluster started by tests/helpers/pg-global-setup.ts, whose
 * URL arrives in LEDGER_PG_ADMIN_URL. Each tracker gets a database of its own.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase } from './pg-cluster';

export type LedgerBackendName = 'sqlite' | 'postgres';

export const LEDGER_BACKEND: LedgerBackendName =
  process.env.LEDGER_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

export interface BackendChoice {
  backend: LedgerBackendName;
  /** PostgreSQL: a URL of the cluster to create databases on (default LEDGER_PG_ADMIN_URL). */
  pgAdminUrl?: string;
}

export function pgAdminUrl(): string {
  const url = process.env.LEDGER_PG_ADMIN_URL;
  if (!url)
    throw new Error(
      'LEDGER_PG_ADMIN_URL is not set: run PostgreSQL suites through the integration-pg project',
    );
  return url;
}

/**
 * The database of a tracker whose files live in `dir`: `ledger.sqlite` there, or a PostgreSQL
 * database created on first use and remembered in the folder (a restart on the same `dir` finds the
 * same data, as with a file). `args` are the tracker's command-line flags for it.
 */
export async function databaseFor(
  dir: string,
  choice: BackendChoice = { backend: LEDGER_BACKEND },
): Promise<{ db: string; args: string[] }> {
  if (choice.backend === 'sqlite') {
    const db = join(dir, 'ledger.sqlite');
    return { db, args: ['--db', db] };
  }
  const remembered = join(dir, 'postgres-url');
  let db: string;
  if (existsSync(remembered)) db = readFileSync(remembered, 'utf8');
  else {
    db = await createDatabase(choice.pgAdminUrl ?? pgAdminUrl());
    writeFileSync(remembered, db);
  }
  return { db, args: ['--db', db, '--key', join(dir, 'tracker-key.pem')] };
}

export const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);
