/**
 * The owner's labels, in their own SQLite file beside the history cache (`labels.sqlite`): the cache
 * may be dropped and fetched again (a schema change, a new tracker key), labels never are. Labels are
 * keyed by (type, ref) for the whole data folder, like a BIP-329 file: the same transaction seen by
 * two local identities has one label.
 *
 * `label_words` is an FTS5 index of the labels (words, case and diacritics folded) kept in step by
 * triggers; the history cache ATTACHes this file to search items by label (`labelSearchSql`).
 */
import Database, { type Database as Db } from 'better-sqlite3';
import { label as labelSchema, type Label, type LabelType } from '../../../shared/api/labels';
import { AppError } from '../api/backend';

/** Bumped with a change of layout; labels are migrated, never dropped. */
const LABELS_SCHEMA_VERSION = 1;

/** The tables, in schema `db` (`main` for the store's own connection, `lb` when attached). */
export function labelsSchema(db: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${db}.labels (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  ref TEXT NOT NULL,
  label TEXT NOT NULL,
  -- what is indexed: the label with ё as е (see foldWords)
  words TEXT NOT NULL,
  UNIQUE (type, ref)
);
CREATE VIRTUAL TABLE IF NOT EXISTS ${db}.label_words USING fts5(
  words, content = 'labels', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);`;
}

const TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS labels_added AFTER INSERT ON labels BEGIN
  INSERT INTO label_words (rowid, words) VALUES (new.id, new.words);
END;
CREATE TRIGGER IF NOT EXISTS labels_removed AFTER DELETE ON labels BEGIN
  INSERT INTO label_words (label_words, rowid, words) VALUES ('delete', old.id, old.words);
END;
CREATE TRIGGER IF NOT EXISTS labels_changed AFTER UPDATE ON labels BEGIN
  INSERT INTO label_words (label_words, rowid, words) VALUES ('delete', old.id, old.words);
  INSERT INTO label_words (rowid, words) VALUES (new.id, new.words);
END;`;

/**
 * Text as indexed and searched: the tokenizer folds case and Latin diacritics; Russian writers
 * often type е for ё, so ё is folded here too.
 */
export function foldWords(text: string): string {
  return text.replace(/ё/g, 'е').replace(/Ё/g, 'Е');
}

/**
 * An FTS5 query matching labels holding every word of `text` (each word also as the beginning of a
 * longer one), or null when `text` has no word. Words are quoted: nothing in them is FTS syntax.
 */
export function labelWordsQuery(text: string): string | null {
  const words = foldWords(text)
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w));
  if (words.length === 0 || words.length > 16) return null;
  return words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' ');
}

export interface MergeCounts {
  added: number;
  updated: number;
  unchanged: number;
}

export class LabelStore {
  private readonly db: Db;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly path: string) {
    if (path === ':memory:' || path === '') {
      throw new AppError('BAD_ARGUMENT', 'the label store needs a file path');
    }
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > LABELS_SCHEMA_VERSION) {
        throw new AppError(
          'LABELS_VERSION',
          `the labels file was written by a newer version of the app (layout ${version})`,
        );
      }
      this.db.exec(labelsSchema('main') + TRIGGERS);
      this.db.pragma(`user_version = ${LABELS_SCHEMA_VERSION}`);
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` after every change (set, clear, merge, replace). */
  onChange(fn: () => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  get(type: LabelType, ref: string): string | null {
    const row = this.db.prepare(`SELECT label FROM labels WHERE type = ? AND ref = ?`).get(type, ref) as
      { label: string } | undefined;
    return row?.label ?? null;
  }

  /** Labels of one type (all, or those of `refs`), or every label; sorted by type and ref. */
  list(opts: { type?: LabelType; refs?: readonly string[] } = {}): Label[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.type) {
      where.push('type = ?');
      params.push(opts.type);
    }
    if (opts.refs) {
      where.push('ref IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(opts.refs));
    }
    const sql = `SELECT type, ref, label FROM labels ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY type, ref`;
    return this.db.prepare(sql).all(...params) as Label[];
  }

  /** Every label (what a wallet backup carries). */
  all(): Label[] {
    return this.list();
  }

  count(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM labels`).get() as { n: number }).n;
  }

  /** Sets (adds or replaces) one label; returns it as stored (trimmed). */
  set(input: Label): Label {
    const l = labelSchema.parse(input);
    this.merge([l]);
    return l;
  }

  /** Removes one label; false when there was none. */
  clear(type: LabelType, ref: string): boolean {
    const removed =
      this.db.prepare(`DELETE FROM labels WHERE type = ? AND ref = ?`).run(type, ref).changes > 0;
    if (removed) this.changed();
    return removed;
  }

  /** Sets every given label in one transaction (labels not given stay); counts what changed. */
  merge(labels: readonly Label[]): MergeCounts {
    const checked = labels.map((l) => labelSchema.parse(l));
    const counts: MergeCounts = { added: 0, updated: 0, unchanged: 0 };
    const find = this.db.prepare(`SELECT label FROM labels WHERE type = ? AND ref = ?`);
    const insert = this.db.prepare(`INSERT INTO labels (type, ref, label, words) VALUES (?, ?, ?, ?)`);
    const update = this.db.prepare(`UPDATE labels SET label = ?, words = ? WHERE type = ? AND ref = ?`);
    this.db.transaction(() => {
      for (const l of checked) {
        const old = find.get(l.type, l.ref) as { label: string } | undefined;
        if (!old) {
          insert.run(l.type, l.ref, l.label, foldWords(l.label));
          counts.added++;
        } else if (old.label !== l.label) {
          update.run(l.label, foldWords(l.label), l.type, l.ref);
          counts.updated++;
        } else counts.unchanged++;
      }
    })();
    if (counts.added + counts.updated > 0) this.changed();
    return counts;
  }

  /** Makes the labels exactly `labels` (a wallet restore), in one transaction. */
  replaceAll(labels: readonly Label[]): void {
    const checked = labels.map((l) => labelSchema.parse(l));
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM labels`).run();
      const insert = this.db.prepare(
        `INSERT INTO labels (type, ref, label, words) VALUES (?, ?, ?, ?)
         ON CONFLICT (type, ref) DO UPDATE SET label = excluded.label, words = excluded.words`,
      );
      for (const l of checked) insert.run(l.type, l.ref, l.label, foldWords(l.label));
    })();
    this.changed();
  }
}
