/** RSA public keys of any modulus and exponent (no private half): for the key checks of the tracker. */
import { createPublicKey, randomBytes } from 'node:crypto';

/** A random odd integer of exactly `bits` bits, big-endian. */
function oddOfBits(bits: number): Buffer {
  const b = randomBytes(Math.ceil(bits / 8));
  const top = bits % 8 || 8;
  b[0] = (b[0]! & ((1 << top) - 1)) | (1 << (top - 1));
  b[b.length - 1]! |= 1;
  return b;
}

/** SPKI PEM of an RSA public key with a random `modulusBits` modulus and the given exponent. */
export function rsaPublicPem(modulusBits: number, exponent: bigint | number): string {
  let hex = BigInt(exponent).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const key = createPublicKey({
    key: {
      kty: 'RSA',
      n: oddOfBits(modulusBits).toString('base64url'),
      e: Buffer.from(hex, 'hex').toString('base64url'),
    },
    format: 'jwk',
  });
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** An exponent of exactly `bits` bits (odd). */
export function hugeExponent(bits: number): bigint {
  return BigInt(`0x${oddOfBits(bits).toString('hex')}`);
}

/** A one-signer payload (cmd 1: the message is the PEM) with a random signature of the key's size. */
export function forgedPemPayload(pem: string, modulusBits: number) {
  return { message: pem, pk: pem, sign: randomBytes(modulusBits / 8).toString('base64') };
}
