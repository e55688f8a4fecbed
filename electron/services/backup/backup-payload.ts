/**
 * What a wallet backup holds (inside the encrypted envelope of backup-file.ts), checked with zod
 * when it is read as strictly as when it is written:
 *
 * - `identities`: id, name, public key, dates, auto-renew, and the private key still sealed
 *   (`sealedWith: "identity"`: the identity's own passphrase record, format 2 of
 *   identities/protection.ts, bound to its id and public key; `"backup"`: an OS-keychain key sealed
 *   the same way with the backup's passphrase);
 * - `contacts`: names of counterparties' public keys;
 * - `labels`: `{type, ref, label}` (BIP-329 shape: tx, addr, channel);
 * - `trackers`: remote tracker profiles with their pinned keys (the embedded tracker is this app's
 *   own ledger, not part of the wallet: its profile and key are not carried);
 * - `settings`: the preferences (language, theme, warnings, auto-lock) and the last identity and
 *   tracker used.
 */
import { z } from 'zod';
import { settings } from '../../../shared/api/models';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { checkSealedKey, type SealedKey } from '../identities/protection';

const MAX_PEM = 16 * 1024;
const id = z.string().min(1).max(128);
const name = z.string().trim().min(1).max(100);

const publicPem = z
  .string()
  .min(1)
  .max(MAX_PEM)
  .refine((pem) => {
    try {
      parsePublicKey(pem);
      return true;
    } catch {
      return false;
    }
  }, 'not an RSA public key the app accepts');

const sealedKey = z.custom<SealedKey>((v) => {
  try {
    checkSealedKey(v);
    return true;
  } catch {
    return false;
  }
}, 'not a sealed key record within bounds');

export const backupIdentity = z.object({
  id,
  name,
  publicPem,
  createdAt: z.number().int().nonnegative(),
  autoRenew: z.boolean(),
  sealedWith: z.enum(['identity', 'backup']),
  sealed: sealedKey,
});
export type BackupIdentity = z.infer<typeof backupIdentity>;

export const backupContact = z.object({ id, name, publicPem, createdAt: z.number().int().nonnegative() });
export type BackupContact = z.infer<typeof backupContact>;

/** The labels service's record (shared/api/labels.ts on the labels branch): BIP-329's shape. */
export const backupLabel = z.object({
  type: z.enum(['tx', 'addr', 'channel']),
  ref: z.string().min(1).max(256),
  label: z.string().trim().min(1).max(255),
});
export type BackupLabel = z.infer<typeof backupLabel>;

export const backupTracker = z.object({
  id,
  name,
  url: z
    .string()
    .max(2048)
    .regex(/^wss?:\/\//, 'a ws:// or wss:// URL'),
  pinnedKey: publicPem.nullable(),
});
export type BackupTracker = z.infer<typeof backupTracker>;

function unique<T>(list: readonly T[], keyOf: (x: T) => string): boolean {
  return new Set(list.map(keyOf)).size === list.length;
}
/** The key's identity; a key that does not parse has its own issue already and equals nothing. */
function derOf(pem: string): string {
  try {
    return parsePublicKey(pem).der.toString('base64');
  } catch {
    return `unparsable:${Math.random()}`;
  }
}

export const backupPayload = z
  .object({
    app: z.literal('wallet-tracker'),
    appVersion: z.string().max(64),
    createdAt: z.number().int().nonnegative(),
    identities: z.array(backupIdentity).max(1000),
    contacts: z.array(backupContact).max(10_000),
    labels: z.array(backupLabel).max(200_000),
    trackers: z.array(backupTracker).max(1000),
    settings: settings.partial(),
  })
  .superRefine((p, ctx) => {
    const dup = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (!unique(p.identities, (i) => i.id)) dup('identities', 'two identities share an id');
    if (!unique(p.identities, (i) => derOf(i.publicPem))) dup('identities', 'two identities share a key');
    if (!unique(p.contacts, (c) => derOf(c.publicPem))) dup('contacts', 'two contacts share a key');
    if (!unique(p.trackers, (t) => t.id)) dup('trackers', 'two trackers share an id');
    if (!unique(p.labels, (l) => `${l.type}\n${l.ref}`)) dup('labels', 'two labels of one thing');
  });
export type BackupPayload = z.infer<typeof backupPayload>;
