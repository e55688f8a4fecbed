/** The tracker's key policy (issue 8): RSA, 2048–8192-bit modulus, odd exponent from 3 to 2^32. */
import { describe, expect, it } from 'vitest';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { parsePublicKey } from '../../shared/crypto/keys';
import { rsaShapeOfPem } from '../../shared/crypto/rsa-spki';
import { ProtocolError } from '../../shared/protocol/errors';
import { hugeExponent, rsaPublicPem } from '../helpers/rsa-keys';

function codeOf(pem: string): string {
  try {
    parsePublicKey(pem);
    return 'OK';
  } catch (e) {
    return e instanceof ProtocolError ? e.code : String(e);
  }
}

describe('public key policy', () => {
  it('accepts RSA keys of 2048 to 8192 bits with an odd exponent from 3 to 2^32', () => {
    expect(
      codeOf(
        generateKeyPairSync('rsa', { modulusLength: 2048 })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      ),
    ).toBe('OK');
    for (const [bits, e] of [
      [2048, 65537n],
      [2048, 3n],
      [3072, 2n ** 32n - 1n],
      [8192, 65537n],
    ] as const) {
      expect(codeOf(rsaPublicPem(bits, e)), `${bits} bits, e = ${e}`).toBe('OK');
    }
  });

  it('refuses other sizes and exponents with BAD_KEY', () => {
    for (const [bits, e] of [
      [1024, 65537n],
      [2047, 65537n],
      [8200, 65537n],
      [2048, 1n],
      [2048, 65536n],
      [2048, 2n ** 32n + 1n],
      [2048, 2n ** 33n + 1n],
      [3072, hugeExponent(3063)],
      [4096, hugeExponent(65)],
    ] as const) {
      expect(codeOf(rsaPublicPem(bits, e)), `${bits} bits, e of ${e.toString(2).length} bits`).toBe(
        'BAD_KEY',
      );
    }
  });

  it('the quick reader agrees with OpenSSL on size and exponent, and leaves other keys to it', () => {
    for (const [bits, e] of [
      [2048, 65537n],
      [3000, 3n],
      [8192, 2n ** 32n - 1n],
      [1024, 17n],
    ] as const) {
      const pem = rsaPublicPem(bits, e);
      const details = createPublicKey(pem).asymmetricKeyDetails!;
      expect(rsaShapeOfPem(pem)).toMatchObject({
        modulusBits: details.modulusLength,
        exponent: details.publicExponent,
      });
    }
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(rsaShapeOfPem(ec.toString())).toBeUndefined();
    expect(codeOf(ec.toString())).toBe('BAD_KEY');
    expect(
      rsaShapeOfPem('-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n'),
    ).toBeUndefined();
  });
});
