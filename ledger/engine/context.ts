/** What every command handler of the tracker shares: database, configuration, key, clock. */
import { createHash, type KeyObject } from 'node:crypto';
import type { Db } from '../db/open';
import type { LedgerConfig } from '../config';
import type { ParsedKey } from '../../shared/crypto/keys';

export interface LedgerContext {
  db: Db;
  cfg: LedgerConfig;
  privateKey: KeyObject;
  /** Canonical tracker PEM: `pk` of every result and item. */
  trackerPem: string;
  /** The tracker's own wallet (common address of its key): holds undistributed funds. */
  trackerAddress: string;
  now: () => number;
}

/** A peer's identity inside the database: SHA-256 of its SPKI DER (equal keys, equal ids). */
export function ownerIdOf(key: ParsedKey): string {
  return createHash('sha256').update(key.der).digest('hex');
}
