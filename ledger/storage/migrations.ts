/**
 * Versioned schema migrations, shared by both adapters: each adapter lists its own steps (SQL
 * differs) and applies the pending ones at start, each in a transaction with its row in
 * `schema_migrations`. A database migrated by a newer tracker is refused rather than guessed at.
 */

export interface Migration {
  version: number;
  name: string;
  /** The SQL of the step (run in one transaction with the row that records it). */
  sql: string;
}

export class SchemaTooNewError extends Error {
  constructor(found: number, known: number) {
    super(
      `the database schema is at version ${found}, newer than this tracker knows (${known}): ` +
        'run the tracker version that migrated it, or a newer one',
    );
    this.name = 'SchemaTooNewError';
  }
}

/** The steps still to apply, in order; throws SchemaTooNewError when the database is ahead. */
export function pendingMigrations(applied: number, known: readonly Migration[]): Migration[] {
  known.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name}: versions must run 1, 2, 3…`);
  });
  const latest = known.length;
  if (applied > latest) throw new SchemaTooNewError(applied, latest);
  return known.slice(applied);
}

export function latestVersion(known: readonly Migration[]): number {
  return known.length;
}
