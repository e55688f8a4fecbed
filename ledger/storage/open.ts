/** The storage adapter a configuration names: a SQLite file, or a PostgreSQL database. */
import type { LedgerConfig } from '../config';
import type { Logger } from '../log';
import type { LedgerStorage, StorageObserver } from './port';
import { MemoryCursorStore } from './memory-cursors';
import { SqliteStorage } from './sqlite/storage';

export async function openStorage(
  cfg: LedgerConfig,
  opts: { observer?: StorageObserver; log: Logger },
): Promise<LedgerStorage> {
  const cursorLimits = { ttlMs: cfg.cursorTtlMs, perKey: cfg.maxCursorsPerKey, total: cfg.maxCursors };
  if (cfg.database.kind === 'sqlite') {
    // One node: cursors live in its memory (a restart forgets them).
    return new SqliteStorage(cfg.database.path, {
      cursors: new MemoryCursorStore(cursorLimits),
      observer: opts.observer,
    });
  }
  // Loaded only when asked for: the app's embedded tracker (SQLite) never loads node-postgres.
  const { PgStorage } = await import('./postgres/storage');
  return PgStorage.open({
    url: cfg.database.url,
    cursorLimits,
    poolSize: cfg.dbPoolSize,
    observer: opts.observer,
    onError: (e) => opts.log.error('database_connection_error', { error: e.message }),
  });
}
