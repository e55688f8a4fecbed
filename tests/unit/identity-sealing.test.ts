/**
 * Private keys at rest (electron/services/identities/protection.ts and the identities service):
 * a full 16-byte GCM tag, the record id and public key bound as additional data, the decrypted key
 * checked against the stored public key, scrypt parameters bounded with a clear app error, and
 * records of the first format still opening (re-sealed on unlock). Real crypto, a real settings
 * file in a temporary folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkSealedKey,
  openWithPassphrase,
  sealWithPassphrase,
  type KeyBinding,
  type SealedKey,
} from '../../electron/services/identities/protection';
import { Identities } from '../../electron/services/identities/service';
import { AppSettings, createConfStore, type IdentityRecord } from '../../electron/services/settings/store';
import { generateRsaKeyPair } from '../../shared/crypto/keys';
import { AppError } from '../../electron/services/api/backend';

const PASS = 'correct horse battery';
const dirs: string[] = [];

function settingsIn(): AppSettings {
  const dir = mkdtempSync(join(tmpdir(), 'wt-sealing-'));
  dirs.push(dir);
  return new AppSettings(createConfStore(dir));
}

/** What the first version wrote: scrypt + AES-256-GCM, no additional data. */
function legacySeal(plain: Buffer, passphrase: string): SealedKey {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase.normalize('NFC'), salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 << 20 });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    scheme: 'scrypt-aes-256-gcm',
    N: 1 << 15,
    r: 8,
    p: 1,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return (e as AppError).code;
  }
  throw new Error('expected an error');
}

function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('sealing a private key at rest', () => {
  let a: { privatePem: string; publicPem: string };
  let b: { privatePem: string; publicPem: string };
  let bindA: KeyBinding;
  let sealed: SealedKey;

  beforeAll(() => {
    a = generateRsaKeyPair();
    b = generateRsaKeyPair();
    bindA = { id: 'id-a', publicPem: a.publicPem };
    sealed = sealWithPassphrase(Buffer.from(a.privatePem), PASS, bindA);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('opens with the passphrase and the same identity, and says the format is current', () => {
    expect(sealed.v).toBe(2);
    const opened = openWithPassphrase(sealed, PASS, bindA);
    expect(opened.plain.toString()).toBe(a.privatePem);
    expect(opened.legacy).toBe(false);
    expect(codeOf(() => openWithPassphrase(sealed, 'wrong passphrase', bindA))).toBe('WRONG_PASSPHRASE');
  });

  it('refuses a truncated or lengthened tag (a 4-byte tag opened a key before)', () => {
    const tag = Buffer.from(sealed.tag, 'base64');
    for (const bad of [tag.subarray(0, 4), tag.subarray(0, 12), Buffer.concat([tag, Buffer.from([0])])]) {
      const record = { ...sealed, tag: bad.toString('base64') };
      expect(codeOf(() => openWithPassphrase(record, PASS, bindA))).toBe('KEY_RECORD_DAMAGED');
      expect(messageOf(() => openWithPassphrase(record, PASS, bindA))).toContain('16 bytes');
    }
    const legacy = legacySeal(Buffer.from(a.privatePem), PASS);
    const short = { ...legacy, tag: Buffer.from(legacy.tag, 'base64').subarray(0, 4).toString('base64') };
    expect(codeOf(() => openWithPassphrase(short, PASS, bindA))).toBe('KEY_RECORD_DAMAGED');
  });

  it('binds the record id and the public key: a record moved to another identity does not open', () => {
    expect(codeOf(() => openWithPassphrase(sealed, PASS, { id: 'id-b', publicPem: a.publicPem }))).toBe(
      'WRONG_PASSPHRASE',
    );
    expect(codeOf(() => openWithPassphrase(sealed, PASS, { id: 'id-a', publicPem: b.publicPem }))).toBe(
      'WRONG_PASSPHRASE',
    );
    // The same key in another PEM layout is the same binding (keys compare by DER).
    const reflowed = a.publicPem.replace(/\n/g, '\r\n');
    expect(openWithPassphrase(sealed, PASS, { id: 'id-a', publicPem: reflowed }).plain.toString()).toBe(
      a.privatePem,
    );
  });

  it('bounds the scrypt parameters with a clear app error, never ERR_CRYPTO_…', () => {
    const cases: [Partial<SealedKey>, string][] = [
      [{ N: 1 << 30 }, 'power of two'],
      [{ N: 3 }, 'power of two'],
      [{ N: 1 << 10 }, 'power of two'],
      [{ N: 1 << 20, r: 8 }, '256 MiB'],
      [{ r: 0 }, 'scrypt r'],
      [{ r: 1000 }, 'scrypt r'],
      [{ p: 0 }, 'scrypt p'],
      [{ p: 1 << 20 }, 'scrypt p'],
      [{ N: 1 << 18, r: 8, p: 16 }, 'too much work'],
      [{ N: 1.5 }, 'N'],
      [{ salt: 'AAAA' }, 'salt'],
      [{ iv: 'AAAA' }, 'IV'],
      [{ data: '***' }, 'base64'],
    ];
    for (const [patch, words] of cases) {
      const record = { ...sealed, ...patch };
      let error: unknown;
      try {
        openWithPassphrase(record, PASS, bindA);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(patch)).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('KEY_RECORD_DAMAGED');
      expect((error as AppError).message).toContain(words);
      expect((error as AppError).message).not.toContain('ERR_CRYPTO');
    }
    expect(codeOf(() => checkSealedKey('a string'))).toBe('KEY_RECORD_DAMAGED');
    expect(codeOf(() => checkSealedKey({ ...sealed, scheme: 'rot13' }))).toBe('KEY_RECORD_DAMAGED');
  });

  describe('the identities service', () => {
    it('re-seals a record of the first format on unlock, and it still opens afterwards', () => {
      const settings = settingsIn();
      const record: IdentityRecord = {
        id: 'legacy-1',
        name: 'Old',
        publicPem: a.publicPem,
        protection: 'passphrase',
        sealed: legacySeal(Buffer.from(a.privatePem), PASS),
        autoRenew: false,
        createdAt: 1,
        backedUpAt: null,
      };
      settings.saveIdentities([record]);
      const ids = new Identities(settings, null);
      expect(codeOf(() => ids.unlock('legacy-1', 'wrong passphrase'))).toBe('WRONG_PASSPHRASE');
      expect((settings.identities()[0]!.sealed as SealedKey).v).toBeUndefined();
      expect(ids.unlock('legacy-1', PASS).unlocked).toBe(true);
      const resealed = settings.identities()[0]!.sealed as SealedKey;
      expect(resealed.v).toBe(2);
      expect(openWithPassphrase(resealed, PASS, record).plain.toString()).toBe(a.privatePem);
      ids.lock('legacy-1');
      const again = new Identities(settings, null);
      expect(again.unlock('legacy-1', PASS).unlocked).toBe(true);
      expect(again.signer('legacy-1').publicPem).toBe(a.publicPem);
      // Five scrypt derivations: generous on a machine several test runs share.
    }, 60_000);

    it('refuses a decrypted key that is not the stored public key’s private half', () => {
      const settings = settingsIn();
      // A first-format record (no binding) copied onto an identity with another public key.
      settings.saveIdentities([
        {
          id: 'swapped',
          name: 'Swapped',
          publicPem: b.publicPem,
          protection: 'passphrase',
          sealed: legacySeal(Buffer.from(a.privatePem), PASS),
          autoRenew: false,
          createdAt: 1,
          backedUpAt: null,
        },
      ]);
      const ids = new Identities(settings, null);
      expect(codeOf(() => ids.unlock('swapped', PASS))).toBe('KEY_RECORD_DAMAGED');
      expect(ids.list()[0]!.unlocked).toBe(false);
    });

    it('checks a safeStorage-protected key against the public key too', () => {
      const settings = settingsIn();
      // Stands in for the OS keychain (no Electron here): a no-op cipher is enough for this check.
      const protection = {
        kind: 'safeStorage' as const,
        encrypt: (d: Buffer) => d,
        decrypt: (d: Buffer) => d,
      };
      settings.saveIdentities([
        {
          id: 'os',
          name: 'OS',
          publicPem: b.publicPem,
          protection: 'safeStorage',
          sealed: Buffer.from(a.privatePem).toString('base64'),
          autoRenew: false,
          createdAt: 1,
          backedUpAt: null,
        },
      ]);
      const ids = new Identities(settings, protection);
      expect(codeOf(() => ids.signer('os'))).toBe('KEY_RECORD_DAMAGED');
    });

    it('lockAll drops every decrypted key and says so once', () => {
      const settings = settingsIn();
      let changes = 0;
      const ids = new Identities(settings, null, () => changes++);
      const x = ids.import('X', a.privatePem, undefined, PASS);
      expect(x.unlocked).toBe(true);
      changes = 0;
      expect(ids.lockAll().map((i) => i.unlocked)).toEqual([false]);
      expect(changes).toBe(1);
      expect(codeOf(() => ids.signer(x.id))).toBe('LOCKED');
      ids.lockAll();
      expect(changes).toBe(1);
    });
  });
});
