/** What every command handler of the tracker shares: configuration, tracker key, crypto, clock. */
import { createHash } from 'node:crypto';
import type { LedgerConfig } from '../config';
import type { ParsedKey } from '../../shared/crypto/keys';
import type { TrackerCrypto } from '../crypto/service';

export interface LedgerContext {
  cfg: LedgerConfig;
  /** Signs answers and history items with the tracker key; checks peers' signatures. */
  crypto: TrackerCrypto;
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
