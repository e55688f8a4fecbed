/** The tracker's RSA key: created once beside the database (mode 0600), reused afterwards, never logged. */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
  chmodSync,
  statSync,
  linkSync,
  unlinkSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { generateRsaKeyPair, parsePrivateKey, publicPemOf } from '../shared/crypto/keys';

export interface TrackerKey {
  privateKey: KeyObject;
  /** Canonical SPKI PEM: the `pk` of every response. */
  publicPem: string;
  created: boolean;
}

/**
 * Writes `data` to `path` unless the file exists by then; false when another process created it
 * first (several tracker nodes sharing one key file may start at once: they must end with one key).
 */
function createDurably(path: string, data: string): boolean {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    // A hard link never replaces an existing file, unlike rename.
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    unlinkSync(tmp);
  }
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return true;
}

export function loadOrCreateTrackerKey(path: string): TrackerKey {
  let pem: string | null = null;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (pem === null) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const pair = generateRsaKeyPair();
    if (createDurably(path, pair.privatePem)) {
      const privateKey = parsePrivateKey(pair.privatePem);
      return { privateKey, publicPem: publicPemOf(privateKey), created: true };
    }
    pem = readFileSync(path, 'utf8');
  }
  // A key readable by others is tightened rather than refused: the file is ours.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const privateKey = parsePrivateKey(pem);
  return { privateKey, publicPem: publicPemOf(privateKey), created: false };
}
