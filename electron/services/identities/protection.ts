/**
 * How private keys are encrypted at rest. In Electron, `safeStorage` (the OS keychain) where it is
 * available; elsewhere (plain Node, the headless host, tests) a passphrase the user supplies,
 * stretched with scrypt and sealed with AES-256-GCM.
 *
 * A sealed record is bound to its identity: the record id and the SPKI DER of its public key are
 * the GCM additional data (format 2), so a record copied onto another identity does not open. The
 * tag is always the full 16 bytes, and the record's scrypt parameters are checked against bounds
 * before any work is done (a hand-edited settings file can neither weaken the check nor make
 * unlocking hang). Records of the first format (no additional data) still open; the identities
 * service re-seals them in format 2 on the next unlock.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { parsePublicKey } from '../../../shared/crypto/keys';
import { AppError } from '../api/backend';
import { scryptMemory, scryptProblem, type ScryptBounds } from '../crypto/scrypt-params';

export interface KeyProtection {
  kind: 'safeStorage' | 'passphrase';
  encrypt(plain: Buffer): Buffer;
  decrypt(data: Buffer): Buffer;
}

/** scrypt cost: ~100 ms and 32 MiB per derivation on a laptop; raised parameters are stored per key. */
export const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
/** What a stored record may ask for: up to 256 MiB of memory and 16× the default work. */
export const SCRYPT_BOUNDS: ScryptBounds = {
  minN: 1 << 14,
  maxN: 1 << 20,
  maxR: 32,
  maxP: 16,
  maxMemBytes: 256 * 1024 * 1024,
  maxWork: (1 << 15) * 8 * 16,
} as const;
const GCM_TAG_BYTES = 16;
const GCM_IV_BYTES = 12;
const AAD_LABEL = 'wallet-tracker/identity-key/2';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const sealedKeySchema = z.object({
  scheme: z.literal('scrypt-aes-256-gcm'),
  /** 2: record id and public key bound as GCM additional data; absent: the first format. */
  v: z.literal(2).optional(),
  N: z.number().int(),
  r: z.number().int(),
  p: z.number().int(),
  salt: base64.max(128),
  iv: base64.max(64),
  tag: base64.max(64),
  data: base64.max(64 * 1024),
});
export type SealedKey = z.infer<typeof sealedKeySchema>;

/** What a sealed key belongs to: its identity record's id and public key. */
export interface KeyBinding {
  id: string;
  publicPem: string;
}

export function damaged(detail: string): AppError {
  return new AppError('KEY_RECORD_DAMAGED', `the stored key record is damaged or was altered: ${detail}`);
}

function additionalData(binding: KeyBinding): Buffer {
  const der = parsePublicKey(binding.publicPem).der.toString('base64');
  return Buffer.from(JSON.stringify([AAD_LABEL, binding.id, der]), 'utf8');
}

function deriveKey(passphrase: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  try {
    return scryptSync(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: scryptMemory(N, r) });
  } catch (e) {
    // Out-of-range parameters are caught before this; anything left is still the record's fault.
    throw damaged(`its key derivation parameters are unusable (${(e as Error).message})`);
  }
}

/** Parses and bounds a stored record, or says in words what is wrong with it. */
export function checkSealedKey(raw: unknown): SealedKey {
  const parsed = sealedKeySchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw damaged(first ? `${first.path.join('.') || 'record'}: ${first.message}` : 'unknown shape');
  }
  const s = parsed.data;
  const problem = scryptProblem(s, SCRYPT_BOUNDS);
  if (problem) throw damaged(problem);
  if (Buffer.from(s.iv, 'base64').length !== GCM_IV_BYTES) throw damaged('the IV must be 12 bytes');
  if (Buffer.from(s.tag, 'base64').length !== GCM_TAG_BYTES) {
    throw damaged('the authentication tag must be 16 bytes');
  }
  return s;
}

export function sealWithPassphrase(plain: Buffer, passphrase: string, binding: KeyBinding): SealedKey {
  const salt = randomBytes(16);
  const iv = randomBytes(GCM_IV_BYTES);
  const key = deriveKey(passphrase, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(additionalData(binding));
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    scheme: 'scrypt-aes-256-gcm',
    v: 2,
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export interface OpenedKey {
  plain: Buffer;
  /** Sealed in the first format (no additional data): re-seal it. */
  legacy: boolean;
}

export function openWithPassphrase(raw: unknown, passphrase: string, binding: KeyBinding): OpenedKey {
  const sealed = checkSealedKey(raw);
  const key = deriveKey(passphrase, Buffer.from(sealed.salt, 'base64'), sealed.N, sealed.r, sealed.p);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'), {
    authTagLength: GCM_TAG_BYTES,
  });
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const legacy = sealed.v === undefined;
  if (!legacy) decipher.setAAD(additionalData(binding));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return { plain, legacy };
  } catch {
    throw new AppError('WRONG_PASSPHRASE', 'the passphrase is wrong');
  }
}
