/**
 * The data folder holds sealed keys, the history cache, exports and the embedded tracker: only its
 * owner may read any of it, whatever the process umask. Folders 0700, files 0600, set explicitly
 * rather than left to the umask (the default 022 makes new files world-readable). On Windows
 * chmod only toggles read-only; the user profile's ACLs keep other users out there.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Creates `dir` (and missing parents) and makes `dir` itself 0700, also when it already existed. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Creates `file` empty with mode 0600 when missing, and makes an existing one 0600. Done before
 * SQLite opens a database: its -wal and -shm files are created with the database file's mode.
 */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Folders 0700 and regular files 0600 at and under `path` (what an older version or a wide umask
 * left readable). Symbolic links and other special files are left alone; a missing path is fine.
 */
export function tightenTree(path: string): void {
  const st = lstatOrNull(path);
  if (!st) return;
  if (st.isDirectory()) {
    if ((st.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
    for (const name of readdirSync(path)) tightenTree(join(path, name));
  } else if (st.isFile() && (st.mode & 0o777) !== PRIVATE_FILE_MODE) {
    chmodSync(path, PRIVATE_FILE_MODE);
  }
}

/** The data folder made private, with the named entries in it tightened (see tightenTree). */
export function securePrivateDataDir(dataDir: string, entries: readonly string[]): void {
  ensurePrivateDir(dataDir);
  for (const name of entries) tightenTree(join(dataDir, name));
}
