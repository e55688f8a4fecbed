/**
 * A minimal reader of an RSA SPKI PEM (RFC 5280 SubjectPublicKeyInfo, RFC 8017 RSAPublicKey): the
 * modulus size and the exponent, in microseconds. OpenSSL takes up to a millisecond to import a key
 * with a huge exponent, so the tracker refuses such keys from this reading first; anything this
 * reader does not recognise goes to OpenSSL, which stays the authority on what a key is.
 */

const RSA_ENCRYPTION_OID = Buffer.from('2a864886f70d010101', 'hex');

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

/** The tag-length-value at `pos` (DER definite lengths only), or undefined. */
function tlv(buf: Buffer, pos: number): Tlv | undefined {
  if (pos + 2 > buf.length) return undefined;
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  const end = start + len;
  return end <= buf.length ? { tag, start, end } : undefined;
}

/** Bit length of an unsigned big-endian integer (leading zero bytes ignored). */
function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

export interface RsaShape {
  modulusBits: number;
  exponentBits: number;
  /** The exponent when it has at most 64 bits. */
  exponent: bigint | undefined;
}

/** Modulus size and exponent of the first `PUBLIC KEY` PEM block, when it is an RSA key. */
export function rsaShapeOfPem(pem: string): RsaShape | undefined {
  const begin = pem.indexOf('-----BEGIN PUBLIC KEY-----');
  const end = pem.indexOf('-----END PUBLIC KEY-----', begin);
  if (begin < 0 || end < 0) return undefined;
  const body = pem.slice(begin + 26, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  const der = Buffer.from(body, 'base64');
  const spki = tlv(der, 0);
  if (!spki || spki.tag !== 0x30) return undefined;
  const algorithm = tlv(der, spki.start);
  if (!algorithm || algorithm.tag !== 0x30) return undefined;
  const oid = tlv(der, algorithm.start);
  if (!oid || oid.tag !== 0x06 || !der.subarray(oid.start, oid.end).equals(RSA_ENCRYPTION_OID))
    return undefined;
  const bits = tlv(der, algorithm.end);
  if (!bits || bits.tag !== 0x03 || der[bits.start] !== 0) return undefined;
  const rsa = tlv(der, bits.start + 1);
  if (!rsa || rsa.tag !== 0x30) return undefined;
  const n = tlv(der, rsa.start);
  if (!n || n.tag !== 0x02) return undefined;
  const e = tlv(der, n.end);
  if (!e || e.tag !== 0x02) return undefined;
  const exponentBytes = der.subarray(e.start, e.end);
  const exponentBits = bitLength(exponentBytes);
  return {
    modulusBits: bitLength(der.subarray(n.start, n.end)),
    exponentBits,
    exponent: exponentBits <= 64 ? BigInt(`0x${exponentBytes.toString('hex') || '0'}`) : undefined,
  };
}
