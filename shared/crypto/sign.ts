/** RSASSA-PKCS1-v1_5 / SHA-256 signatures over the exact message bytes, base64 (SPEC §1). Node only. */
import { sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { parsePublicKey } from './keys';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function signMessage(message: string, privateKey: KeyObject | string): string {
  return nodeSign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

/** True when `sign` is a valid signature of `message` by `publicKey`; never throws. */
export function verifyMessage(message: string, sign: string, publicKey: string | KeyObject): boolean {
  if (typeof sign !== 'string' || !BASE64.test(sign)) return false;
  try {
    const key = typeof publicKey === 'string' ? parsePublicKey(publicKey).key : publicKey;
    return nodeVerify('sha256', Buffer.from(message, 'utf8'), key, Buffer.from(sign, 'base64'));
  } catch {
    return false;
  }
}
