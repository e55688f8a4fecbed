/**
 * The data folder is the owner's alone, whatever the umask: under umask 022 (new files
 * world-readable by default) every folder in it is 0700 and every file 0600: settings with the
 * sealed keys, the history cache and its -wal/-shm, CSV exports, the embedded tracker's database
 * and key. A folder an older version left readable is tightened on start. Real files, the real
 * backend, the real embedded tracker child (which inherits the umask).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { startApp, type TestApp } from '../helpers/backend';
import { ensurePrivateDir, ensurePrivateFile, tightenTree } from '../../electron/services/files/private';
import { openDatabase } from '../../ledger/storage/sqlite/open';
import { until } from '../helpers/tracker-session';

const PASS = 'correct horse battery';
const posix = process.platform !== 'win32';

/** Every entry under `dir` with its permission bits, e.g. {'settings.json': 0o600}. */
function modes(dir: string): Record<string, number> {
  const out: Record<string, number> = { '.': lstatSync(dir).mode & 0o777 };
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      out[relative(dir, p)] = st.mode & 0o777;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function expectPrivate(dir: string): Record<string, number> {
  const found = modes(dir);
  for (const [path, mode] of Object.entries(found)) {
    const isDir = lstatSync(join(dir, path)).isDirectory();
    expect(`${path} ${mode.toString(8)}`).toBe(`${path} ${(isDir ? 0o700 : 0o600).toString(8)}`);
  }
  return found;
}

describe.skipIf(!posix)('private data folder under umask 022', () => {
  let saved: number;
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'wt-private-'));
    dirs.push(d);
    return d;
  };

  beforeAll(() => {
    saved = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(saved);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  describe('helpers', () => {
    it('make folders 0700 and files 0600, new or existing', () => {
      const root = tempDir();
      const dir = join(root, 'a', 'b');
      ensurePrivateDir(dir);
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      chmodSync(dir, 0o755);
      ensurePrivateDir(dir);
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      const file = join(dir, 'f');
      ensurePrivateFile(file);
      expect(lstatSync(file).mode & 0o777).toBe(0o600);
      chmodSync(file, 0o644);
      ensurePrivateFile(file);
      expect(lstatSync(file).mode & 0o777).toBe(0o600);
    });

    it('tighten a whole tree and leave symbolic links alone', () => {
      const root = tempDir();
      mkdirSync(join(root, 'x/y'), { recursive: true, mode: 0o755 });
      writeFileSync(join(root, 'x/y/data'), 'd', { mode: 0o644 });
      writeFileSync(join(root, 'x/run.sh'), 'd', { mode: 0o755 });
      tightenTree(join(root, 'x'));
      tightenTree(join(root, 'missing'));
      expect(modes(join(root, 'x'))).toEqual({ '.': 0o700, y: 0o700, 'y/data': 0o600, 'run.sh': 0o600 });
    });

    it('a SQLite database created after ensurePrivateFile has -wal and -shm 0600 too', () => {
      const dir = tempDir();
      const path = join(dir, 'db.sqlite');
      ensurePrivateFile(path);
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (x)');
      db.prepare('INSERT INTO t VALUES (1)').run();
      try {
        expect(modes(dir)).toEqual({
          '.': 0o700,
          'db.sqlite': 0o600,
          'db.sqlite-wal': 0o600,
          'db.sqlite-shm': 0o600,
        });
      } finally {
        db.close();
      }
    });

    it('the tracker database opens owner-only and tightens an older one', () => {
      const dir = tempDir();
      const fresh = openDatabase(join(dir, 'new/ledger.sqlite'));
      try {
        expect(modes(join(dir, 'new'))).toEqual({
          '.': 0o700,
          'ledger.sqlite': 0o600,
          'ledger.sqlite-wal': 0o600,
          'ledger.sqlite-shm': 0o600,
        });
      } finally {
        fresh.close();
      }
      const oldPath = join(dir, 'old.sqlite');
      const old = new Database(oldPath);
      old.pragma('journal_mode = WAL');
      old.close();
      chmodSync(oldPath, 0o644);
      openDatabase(oldPath).close();
      expect(lstatSync(oldPath).mode & 0o777).toBe(0o600);
    });
  });

  describe('the app backend', () => {
    let app: TestApp | null = null;
    beforeEach(() => {
      app = null;
    });
    afterEach(async () => {
      await app?.close();
    });

    it('keeps settings, cache, exports and the embedded tracker owner-only', async () => {
      const dataDir = join(tempDir(), 'data');
      app = await startApp({ dataDir });
      const alice = await app.call('identities.create', { name: 'Alice', passphrase: PASS });
      const embedded = (await app.call('trackers.list', {})).find((t) => t.embedded)!;
      expect(
        (await app.call('trackers.connect', { profileId: embedded.id, identityId: alice.id })).state,
      ).toBe('online');
      await app.call('addresses.open', { identityId: alice.id, kind: 'spend' });
      await app.call('history.sync', { identityId: alice.id });
      const a = app;
      await until(
        async () =>
          (await a.call('history.query', { identityId: alice.id, filter: {}, limit: 10 })).total > 0,
        20_000,
      );
      const exported = await app.call('history.exportCsv', { identityId: alice.id, filter: {} });
      expect(exported.rows).toBeGreaterThan(0);

      const running = expectPrivate(app.dataDir);
      for (const path of [
        'settings.json',
        'cache.sqlite',
        'cache.sqlite-wal',
        'cache.sqlite-shm',
        `exports/${exported.fileName}`,
        'tracker',
        'tracker/ledger.sqlite',
        'tracker/ledger.sqlite-wal',
        'tracker/tracker-key.pem',
      ]) {
        expect(Object.keys(running)).toContain(path);
      }
      await app.close();
      app = null;
      expect(Object.keys(expectPrivate(dataDir))).toContain('settings.json');
    });

    it('tightens what an older version left readable', async () => {
      const dataDir = join(tempDir(), 'old');
      mkdirSync(join(dataDir, 'exports'), { recursive: true, mode: 0o755 });
      mkdirSync(join(dataDir, 'tracker'), { mode: 0o755 });
      chmodSync(dataDir, 0o755);
      writeFileSync(join(dataDir, 'settings.json'), '{}', { mode: 0o644 });
      writeFileSync(join(dataDir, 'exports/old.csv'), 'tx_id\r\n', { mode: 0o644 });
      writeFileSync(join(dataDir, 'tracker/tracker-key.pem'), 'not read here', { mode: 0o644 });
      const old = new Database(join(dataDir, 'cache.sqlite'));
      old.pragma('journal_mode = WAL');
      old.close();
      chmodSync(join(dataDir, 'cache.sqlite'), 0o644);

      app = await startApp({ dataDir, watch: false });
      expectPrivate(dataDir);
      expect(modes(dataDir)['exports/old.csv']).toBe(0o600);
    });
  });
});
