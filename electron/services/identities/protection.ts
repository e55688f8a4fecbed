/**
 * How private keys are encrypted at rest. In Electron, `safeStorage` (the OS keychain) where it is
 * available; elsewhere (plain Node, the headless host, tests) a passphrase the user supplies,
 * stretched with scrypt and sealed with AES-256-GCM.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { AppError } from '../api/backend';

export interface KeyProtection {
  kind: 'safeStorage' | 'passphrase';
  encrypt(plain: Buffer): Buffer;
  decrypt(data: Buffer): Buffer;
}

/** scrypt cost: ~100 ms and 32 MiB per derivation on a laptop; raised parameters are stored per key. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export interface SealedKey {
  scheme: 'scrypt-aes-256-gcm';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

export function sealWithPassphrase(plain: Buffer, passphrase: string): SealedKey {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase.normalize('NFC'), salt, 32, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    scheme: 'scrypt-aes-256-gcm',
    N: SCRYPT.N,
    r: SCRYPT.r,
    p: SCRYPT.p,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function openWithPassphrase(sealed: SealedKey, passphrase: string): Buffer {
  const key = scryptSync(passphrase.normalize('NFC'), Buffer.from(sealed.salt, 'base64'), 32, {
    N: sealed.N,
    r: sealed.r,
    p: sealed.p,
    maxmem: SCRYPT.maxmem,
  });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  } catch {
    throw new AppError('WRONG_PASSPHRASE', 'the passphrase is wrong');
  }
}
