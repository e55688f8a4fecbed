/**
 * The wallet backup file (electron/services/backup/backup-file.ts): a round trip keeps every part of
 * the wallet, nothing readable leaks into the file, and each refusal — wrong passphrase, damaged or
 * edited file, a file of a newer version, not a backup at all, too large — is its own clear AppError.
 * Real scrypt, real AES-GCM, real keys.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { gzipSync } from 'node:zlib';
import {
  BACKUP_SCRYPT,
  readBackupFile,
  sealEnvelope,
  writeBackupFile,
} from '../../electron/services/backup/backup-file';
import type { BackupPayload } from '../../electron/services/backup/backup-payload';
import { sealWithPassphrase } from '../../electron/services/identities/protection';
import { MAX_BACKUP_FILE_BYTES } from '../../shared/api/backup';
import { generateRsaKeyPair } from '../../shared/crypto/keys';

const PASS = 'a long backup passphrase';
/** scrypt at 128 MiB per attempt on a shared machine. */
const SLOW = 60_000;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? `not coded: ${String(e)}`;
  }
  return 'no error';
}

type Envelope = Record<string, unknown> & {
  kdf: Record<string, unknown>;
  cipher: Record<string, unknown>;
  data: string;
};

describe('the wallet backup file', () => {
  let payload: BackupPayload;
  let text: string;

  beforeAll(async () => {
    const me = generateRsaKeyPair();
    const friend = generateRsaKeyPair();
    const tracker = generateRsaKeyPair();
    payload = {
      app: 'wallet-tracker',
      appVersion: '0.1.0',
      createdAt: 1_795_000_000_000,
      identities: [
        {
          id: 'id-alice',
          name: 'Alice',
          publicPem: me.publicPem,
          createdAt: 1_794_000_000_000,
          autoRenew: true,
          sealedWith: 'identity',
          sealed: sealWithPassphrase(Buffer.from(me.privatePem), 'her own passphrase', {
            id: 'id-alice',
            publicPem: me.publicPem,
          }),
        },
      ],
      contacts: [{ id: 'c-1', name: 'Bob the peer', publicPem: friend.publicPem, createdAt: 5 }],
      labels: [
        { type: 'tx', ref: 'tx-123', label: 'rent for March' },
        { type: 'channel', ref: 'ch-9', label: 'video node' },
      ],
      trackers: [
        { id: 't-1', name: 'Shared', url: 'wss://tracker.example:8787', pinnedKey: tracker.publicPem },
      ],
      settings: { language: 'ru', theme: 'dark', autoLockMinutes: 7, lastIdentityId: 'id-alice' },
    };
    text = await writeBackupFile(payload, PASS);
  }, SLOW);

  it(
    'round-trips every part of the wallet',
    async () => {
      expect(await readBackupFile(text, PASS)).toEqual(payload);
    },
    SLOW,
  );

  it('is a versioned envelope with a strong KDF, and shows nothing of the wallet', () => {
    const e = JSON.parse(text) as Envelope;
    expect(e).toMatchObject({
      format: 'wallet-tracker/backup',
      version: 1,
      createdAt: payload.createdAt,
      kdf: { name: 'scrypt', N: 1 << 17, r: 8, p: 1 },
      cipher: { name: 'aes-256-gcm' },
    });
    expect(BACKUP_SCRYPT.N).toBeGreaterThanOrEqual(1 << 17);
    for (const secret of ['Alice', 'Bob the peer', 'rent for March', 'tracker.example', 'BEGIN PUBLIC KEY']) {
      expect(text).not.toContain(secret);
    }
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_BACKUP_FILE_BYTES);
  });

  it(
    'a wrong passphrase is WRONG_PASSPHRASE, not “damaged”',
    async () => {
      expect(await codeOf(readBackupFile(text, 'not the passphrase'))).toBe('WRONG_PASSPHRASE');
    },
    SLOW,
  );

  it(
    'a changed byte of the contents, or an edited date or parameter, is BACKUP_DAMAGED',
    async () => {
      const e = JSON.parse(text) as Envelope;
      const data = Buffer.from(e.data, 'base64');
      data[data.length >> 1]! ^= 0x01;
      const flipped = JSON.stringify({ ...e, data: data.toString('base64') });
      expect(await codeOf(readBackupFile(flipped, PASS))).toBe('BACKUP_DAMAGED');
      // The envelope is additional data of the cipher: its date cannot be moved.
      const redated = JSON.stringify({ ...e, createdAt: (e.createdAt as number) + 1 });
      expect(await codeOf(readBackupFile(redated, PASS))).toBe('BACKUP_DAMAGED');
      const shortTag = JSON.stringify({ ...e, cipher: { ...e.cipher, tag: 'AAAA' } });
      expect(await codeOf(readBackupFile(shortTag, PASS))).toBe('BACKUP_DAMAGED');
      const noData = JSON.stringify({ ...e, data: undefined });
      expect(await codeOf(readBackupFile(noData, PASS))).toBe('BACKUP_DAMAGED');
    },
    SLOW,
  );

  it('refuses key derivation parameters that would make the app hang, before deriving anything', async () => {
    const e = JSON.parse(text) as Envelope;
    for (const kdf of [
      { ...e.kdf, N: 1 << 30 },
      { ...e.kdf, N: 1000 },
      { ...e.kdf, r: 4096 },
      { ...e.kdf, p: 1 << 20 },
      { ...e.kdf, salt: 'AAAA' },
      { ...e.kdf, name: 'pbkdf2' },
    ]) {
      const started = Date.now();
      expect(await codeOf(readBackupFile(JSON.stringify({ ...e, kdf }), PASS))).toBe('BACKUP_DAMAGED');
      // Functional bound: a refused file costs no derivation (one takes ~0.5 s here).
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('a file of a newer format version is BACKUP_NEWER_VERSION, whatever else it holds', async () => {
    const e = JSON.parse(text) as Envelope;
    expect(await codeOf(readBackupFile(JSON.stringify({ ...e, version: 2 }), PASS))).toBe(
      'BACKUP_NEWER_VERSION',
    );
    expect(
      await codeOf(readBackupFile(JSON.stringify({ format: 'wallet-tracker/backup', version: 7 }), PASS)),
    ).toBe('BACKUP_NEWER_VERSION');
  });

  it('something else entirely is NOT_A_BACKUP; an oversized file is BACKUP_TOO_LARGE', async () => {
    expect(await codeOf(readBackupFile('not json at all', PASS))).toBe('NOT_A_BACKUP');
    expect(await codeOf(readBackupFile(text.slice(0, text.length / 2), PASS))).toBe('NOT_A_BACKUP');
    const offer = JSON.stringify({ format: 'wallet-tracker/transfer-file', version: 2, kind: 'open' });
    expect(await codeOf(readBackupFile(offer, PASS))).toBe('NOT_A_BACKUP');
    expect(await codeOf(readBackupFile('[1,2,3]', PASS))).toBe('NOT_A_BACKUP');
    const huge = JSON.stringify({
      ...(JSON.parse(text) as Envelope),
      pad: 'x'.repeat(MAX_BACKUP_FILE_BYTES),
    });
    expect(await codeOf(readBackupFile(huge, PASS))).toBe('BACKUP_TOO_LARGE');
  });

  it(
    'contents that decrypt but are not a valid wallet are BACKUP_DAMAGED (zod-checked on restore)',
    async () => {
      // A weaker KDF (still within the reader's bounds) only to keep this test quick.
      const weak = { N: 1 << 15, r: 8, p: 1 };
      const quick = JSON.parse(await writeBackupFile(payload, PASS, weak)) as Envelope;
      expect(quick.kdf.N).toBe(1 << 15);
      expect(await readBackupFile(JSON.stringify(quick), PASS)).toEqual(payload);

      const bad = { ...payload, identities: [{ ...payload.identities[0]!, publicPem: 'not a key' }] };
      await expect(writeBackupFile(bad as BackupPayload, PASS, weak)).rejects.toThrow();
      // A writer that skipped the check: the reader refuses the contents all the same.
      const seal = (plain: Buffer) => sealEnvelope(plain, payload.createdAt, PASS, weak);
      const gz = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v)));
      expect(await codeOf(readBackupFile(await seal(gz(bad)), PASS))).toBe('BACKUP_DAMAGED');
      const twice = { ...payload, identities: [payload.identities[0]!, payload.identities[0]!] };
      expect(await codeOf(readBackupFile(await seal(gz(twice)), PASS))).toBe('BACKUP_DAMAGED');
      const otherDate = { ...payload, createdAt: payload.createdAt + 1 };
      expect(await codeOf(readBackupFile(await seal(gz(otherDate)), PASS))).toBe('BACKUP_DAMAGED');
      expect(await codeOf(readBackupFile(await seal(Buffer.from('plain, not gzip')), PASS))).toBe(
        'BACKUP_DAMAGED',
      );
      // A compression bomb stops at the bound instead of filling memory.
      const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20), { level: 9 });
      expect(await codeOf(readBackupFile(await seal(bomb), PASS))).toBe('BACKUP_DAMAGED');
    },
    SLOW,
  );
});
