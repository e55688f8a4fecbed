/** The tracker's RSA key: created once beside the database (mode 0600), reused afterwards, never logged. */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
  chmodSync,
  statSync,
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

function writeDurably(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dirname(path), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
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
    writeDurably(path, pair.privatePem);
    const privateKey = parsePrivateKey(pair.privatePem);
    return { privateKey, publicPem: publicPemOf(privateKey), created: true };
  }
  // A key readable by others is tightened rather than refused: the file is ours.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const privateKey = parsePrivateKey(pem);
  return { privateKey, publicPem: publicPemOf(privateKey), created: false };
}
