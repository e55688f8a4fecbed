/**
 * The wallet backup file: one JSON envelope around the encrypted, gzip-compressed payload
 * (backup-payload.ts). Versioned, strong and self-describing:
 *
 *   {"format": "wallet-tracker/backup", "version": 1, "createdAt": <ms>,
 *    "kdf": {"name": "scrypt", "N": 131072, "r": 8, "p": 1, "salt": "<b64, 16 bytes>"},
 *    "cipher": {"name": "aes-256-gcm", "iv": "<b64, 12 bytes>", "tag": "<b64, 16 bytes>"},
 *    "check": "<b64, 16 bytes>", "data": "<b64>"}
 *
 * scrypt (N = 2^17, r = 8, p = 1: 128 MiB, stronger than the at-rest sealing because the file may
 * leave the machine) stretches the passphrase into 64 bytes: the first 32 are the AES-256-GCM key,
 * the last 32 make `check` (HMAC-SHA256 of a fixed label, cut to 16 bytes), which tells a wrong
 * passphrase from a damaged file — GCM alone cannot. Everything in the envelope but `data` and the
 * tag is the GCM additional data: editing the date, the version or the parameters breaks the file.
 *
 * Reading checks, in order: size, JSON, format, version (a newer one is refused before anything
 * else is read), envelope shape, KDF bounds (a file cannot make the app hang or allocate without
 * limit), passphrase (`check`), tag, decompression (bounded), payload schema. Any failure is one
 * AppError with a stable code, never a crypto or zlib error.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { MAX_BACKUP_FILE_BYTES } from '../../../shared/api/backup';
import { AppError } from '../api/backend';
import { scryptMemory, scryptProblem, type ScryptBounds } from '../crypto/scrypt-params';
import { backupPayload, type BackupPayload } from './backup-payload';

export const BACKUP_FORMAT = 'wallet-tracker/backup';
export const BACKUP_VERSION = 1;
export const BACKUP_SCRYPT = { N: 1 << 17, r: 8, p: 1 } as const;
/** What a file may ask for: from the at-rest strength up to 256 MiB of memory and 4× the default work. */
export const BACKUP_SCRYPT_BOUNDS: ScryptBounds = {
  minN: 1 << 15,
  maxN: 1 << 20,
  maxR: 32,
  maxP: 16,
  maxMemBytes: 256 * 1024 * 1024,
  maxWork: (1 << 17) * 8 * 4,
} as const;
/** The payload uncompressed: far beyond any real wallet, small enough to never exhaust memory. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

const CHECK_LABEL = 'wallet-tracker/backup/1 passphrase check';
const TAG_BYTES = 16;
const IV_BYTES = 12;
const CHECK_BYTES = 16;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const envelope = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  createdAt: z.number().int().nonnegative(),
  kdf: z.object({
    name: z.literal('scrypt'),
    N: z.number().int(),
    r: z.number().int(),
    p: z.number().int(),
    salt: base64.max(128),
  }),
  cipher: z.object({ name: z.literal('aes-256-gcm'), iv: base64.max(64), tag: base64.max(64) }),
  check: base64.max(64),
  data: base64,
});
type Envelope = z.infer<typeof envelope>;

function damaged(detail: string): AppError {
  return new AppError('BACKUP_DAMAGED', `the backup file is damaged or was altered: ${detail}`);
}

function notABackup(): AppError {
  return new AppError('NOT_A_BACKUP', 'this file is not a Wallet Tracker backup');
}

/** 64 bytes from the passphrase: the cipher key and the passphrase-check key. */
async function derive(passphrase: string, kdf: Envelope['kdf']): Promise<{ key: Buffer; checkKey: Buffer }> {
  const salt = Buffer.from(kdf.salt, 'base64');
  const out = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      passphrase.normalize('NFC'),
      salt,
      64,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: scryptMemory(kdf.N, kdf.r) },
      (err, key) => (err ? reject(damaged(`its key derivation failed (${err.message})`)) : resolve(key)),
    ),
  );
  return { key: out.subarray(0, 32), checkKey: out.subarray(32) };
}

function checkOf(checkKey: Buffer): Buffer {
  return createHmac('sha256', checkKey).update(CHECK_LABEL).digest().subarray(0, CHECK_BYTES);
}

/** Everything but the ciphertext and the tag, in a fixed order: the GCM additional data. */
function additionalData(
  e: Omit<Envelope, 'data' | 'cipher'> & { cipher: { name: string; iv: string } },
): Buffer {
  return Buffer.from(
    JSON.stringify([
      e.format,
      e.version,
      e.createdAt,
      e.kdf.name,
      e.kdf.N,
      e.kdf.r,
      e.kdf.p,
      e.kdf.salt,
      e.cipher.name,
      e.cipher.iv,
      e.check,
    ]),
    'utf8',
  );
}

function checkKdf(kdf: Envelope['kdf']): void {
  const problem = scryptProblem(kdf, BACKUP_SCRYPT_BOUNDS);
  if (problem) throw damaged(problem);
}

function tooLarge(bytes: number): AppError {
  return new AppError(
    'BACKUP_TOO_LARGE',
    `the backup is ${bytes} bytes; at most ${MAX_BACKUP_FILE_BYTES} bytes are accepted`,
  );
}

/** The payload encrypted with `passphrase`: the text of a backup file. */
export async function writeBackupFile(
  payload: BackupPayload,
  passphrase: string,
  kdfParams: { N: number; r: number; p: number } = BACKUP_SCRYPT,
): Promise<string> {
  const plain = gzipSync(Buffer.from(JSON.stringify(backupPayload.parse(payload)), 'utf8'));
  return sealEnvelope(plain, payload.createdAt, passphrase, kdfParams);
}

/**
 * The envelope around already compressed contents (the layer under writeBackupFile; tests use it to
 * make files whose contents are wrong although they decrypt).
 */
export async function sealEnvelope(
  compressed: Buffer,
  createdAt: number,
  passphrase: string,
  kdfParams: { N: number; r: number; p: number },
): Promise<string> {
  const kdf = { name: 'scrypt' as const, ...kdfParams, salt: randomBytes(16).toString('base64') };
  checkKdf(kdf);
  const { key, checkKey } = await derive(passphrase, kdf);
  const iv = randomBytes(IV_BYTES);
  const head = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt,
    kdf,
    check: checkOf(checkKey).toString('base64'),
  } as const;
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData({ ...head, cipher: { name: 'aes-256-gcm', iv: iv.toString('base64') } }));
  const data = Buffer.concat([cipher.update(compressed), cipher.final()]);
  const file: Envelope = {
    ...head,
    cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') },
    data: data.toString('base64'),
  };
  const text = `${JSON.stringify(file, null, 1)}\n`;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BACKUP_FILE_BYTES) throw tooLarge(bytes);
  return text;
}

/** The envelope of a file, checked up to (not including) the passphrase. */
function readEnvelope(text: string): Envelope {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BACKUP_FILE_BYTES) throw tooLarge(bytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw notABackup();
  }
  if (!raw || typeof raw !== 'object' || (raw as { format?: unknown }).format !== BACKUP_FORMAT) {
    throw notABackup();
  }
  const version = (raw as { version?: unknown }).version;
  if (typeof version === 'number' && Number.isInteger(version) && version > BACKUP_VERSION) {
    throw new AppError(
      'BACKUP_NEWER_VERSION',
      `the backup was written by a newer version of the app (format ${version}; this app reads ${BACKUP_VERSION}): update the app to restore it`,
    );
  }
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw damaged(first ? `${first.path.join('.') || 'file'}: ${first.message}` : 'unknown shape');
  }
  const e = parsed.data;
  checkKdf(e.kdf);
  if (Buffer.from(e.cipher.iv, 'base64').length !== IV_BYTES) throw damaged('the IV must be 12 bytes');
  if (Buffer.from(e.cipher.tag, 'base64').length !== TAG_BYTES) {
    throw damaged('the authentication tag must be 16 bytes');
  }
  if (Buffer.from(e.check, 'base64').length !== CHECK_BYTES) throw damaged('the check must be 16 bytes');
  return e;
}

/** Opens a backup file with its passphrase: the payload, or one clear AppError. */
export async function readBackupFile(text: string, passphrase: string): Promise<BackupPayload> {
  const e = readEnvelope(text);
  const { key, checkKey } = await derive(passphrase, e.kdf);
  if (!timingSafeEqual(checkOf(checkKey), Buffer.from(e.check, 'base64'))) {
    throw new AppError('WRONG_PASSPHRASE', 'the passphrase of this backup is wrong');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.cipher.iv, 'base64'), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAuthTag(Buffer.from(e.cipher.tag, 'base64'));
  decipher.setAAD(additionalData(e));
  let compressed: Buffer;
  try {
    compressed = Buffer.concat([decipher.update(Buffer.from(e.data, 'base64')), decipher.final()]);
  } catch {
    throw damaged('its contents do not verify');
  }
  let json: string;
  try {
    json = gunzipSync(compressed, { maxOutputLength: MAX_PAYLOAD_BYTES }).toString('utf8');
  } catch (err) {
    throw damaged(`its contents do not decompress (${(err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw damaged('its contents are not JSON');
  }
  const parsed = backupPayload.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw damaged(first ? `${first.path.join('.') || 'contents'}: ${first.message}` : 'unknown contents');
  }
  if (parsed.data.createdAt !== e.createdAt) throw damaged('its dates disagree');
  return parsed.data;
}
