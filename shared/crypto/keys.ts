/** RSA key parsing, comparison by DER, PEM normalisation (SPEC §1). Node only. */
import {
  createHash,
  createPublicKey,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ProtocolError } from '../protocol/errors';
import { rsaShapeOfPem } from './rsa-spki';

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
/**
 * Verification costs grow with the public exponent: a 3071-bit exponent makes one check ~30× slower.
 * Keys are issued with 65537; anything odd from 3 to 2^32 is accepted, as common RSA stacks do.
 */
const MAX_RSA_EXPONENT = 2n ** 32n;
/** Parsing a PEM is the hot path of every request: keep the parsed keys of recent PEM strings. */
const CACHE_LIMIT = 512;
const cache = new Map<string, ParsedKey>();

export interface ParsedKey {
  key: KeyObject;
  /** SPKI DER bytes: the identity of the key. */
  der: Buffer;
  /** Canonical PEM: 64-column base64 with a trailing newline. */
  pem: string;
}

/**
 * Parses an SPKI PEM public key; throws BAD_KEY unless it is an RSA key of a sane size and exponent.
 * Callers verify nothing with a key before this check passed.
 */
export function parsePublicKey(pem: string): ParsedKey {
  const hit = cache.get(pem);
  if (hit) return hit;
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new ProtocolError('BAD_KEY', 'public key must be an SPKI PEM (-----BEGIN PUBLIC KEY-----)');
  }
  // Out-of-policy RSA keys are refused from a quick reading, before OpenSSL spends time on them.
  const shape = rsaShapeOfPem(pem);
  if (shape) checkRsaPolicy(shape.modulusBits, shape.exponent);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new ProtocolError('BAD_KEY', 'public key PEM does not parse');
  }
  if (key.asymmetricKeyType !== 'rsa') checkRsaPolicy(0, undefined);
  checkRsaPolicy(key.asymmetricKeyDetails?.modulusLength ?? 0, key.asymmetricKeyDetails?.publicExponent);
  const der = key.export({ type: 'spki', format: 'der' });
  const canonical = key.export({ type: 'spki', format: 'pem' }).toString();
  const parsed = { key, der, pem: canonical };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(pem, parsed);
  return parsed;
}

/** BAD_KEY unless the modulus is 2048–8192 bits and the exponent odd, from 3 to 2^32. */
function checkRsaPolicy(modulusBits: number, exponent: bigint | undefined): void {
  if (modulusBits < MIN_RSA_BITS || modulusBits > MAX_RSA_BITS) {
    throw new ProtocolError('BAD_KEY', `public key must be RSA of ${MIN_RSA_BITS}–${MAX_RSA_BITS} bits`);
  }
  const e = exponent ?? 0n;
  if (e < 3n || e > MAX_RSA_EXPONENT || e % 2n === 0n) {
    throw new ProtocolError('BAD_KEY', 'public key exponent must be odd, from 3 to 2^32 (normally 65537)');
  }
}

/** True when the two PEMs hold the same key (DER equality; never compare PEM strings). */
export function sameKey(a: string, b: string): boolean {
  try {
    return parsePublicKey(a).der.equals(parsePublicKey(b).der);
  } catch {
    return false;
  }
}

/** Canonical PEM of a public key (64-column base64, trailing newline). */
export function normalizePem(pem: string): string {
  return parsePublicKey(pem).pem;
}

export function parsePrivateKey(pem: string, passphrase?: string): KeyObject {
  try {
    const key = createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not rsa');
    return key;
  } catch (e) {
    const encrypted = pem.includes('ENCRYPTED');
    throw new ProtocolError(
      'BAD_KEY',
      encrypted && passphrase === undefined
        ? 'the private key is encrypted: a passphrase is needed'
        : encrypted
          ? 'wrong passphrase or damaged private key'
          : `private key does not parse (${(e as Error).message})`,
    );
  }
}

export function publicPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

export interface KeyPairPem {
  publicPem: string;
  privatePem: string;
}

/** A fresh RSA-2048 key pair (e = 65537): public SPKI PEM, private PKCS#8 PEM. */
export function generateRsaKeyPair(): KeyPairPem {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

/** SHA-256 of the SPKI DER in hex, grouped by four: what a user compares between two machines. */
export function fingerprintOf(pem: string): string {
  const hex = createHash('sha256').update(parsePublicKey(pem).der).digest('hex');
  return hex.match(/.{4}/g)!.join(':');
}
