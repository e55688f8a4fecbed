/**
 * Exported key files: an encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`, RFC 5958)
 * with PBES2 (RFC 8018): PBKDF2-HMAC-SHA256 at 600,000 iterations and AES-256-CBC. Node's own
 * `KeyObject.export({cipher, passphrase})` always uses OpenSSL's 2,048 PBKDF2 iterations, so the
 * structure is written here. PBKDF2 rather than scrypt: OpenSSL decodes scrypt PKCS#8 only up to
 * 32 MiB of scrypt memory, below the at-rest sealing's N = 2^15, r = 8. Any OpenSSL
 * (`openssl pkey -in key.pem`), Node's `createPrivateKey` and this app's import read the file.
 */
import { createCipheriv, pbkdf2, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

export const EXPORT_PBKDF2_ITERATIONS = 600_000;

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
};

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const derNull = (): Buffer => Buffer.from([0x05, 0x00]);

function integer(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The key as an encrypted PKCS#8 PEM that only `passphrase` opens. */
export async function exportEncryptedPkcs8(
  key: KeyObject,
  passphrase: string,
  iterations = EXPORT_PBKDF2_ITERATIONS,
): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const secret = await promisify(pbkdf2)(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', secret, iv);
  const plain = key.export({ type: 'pkcs8', format: 'der' });
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const algorithm = sequence(
    oid(OID.pbes2),
    sequence(
      sequence(
        oid(OID.pbkdf2),
        sequence(octets(salt), integer(iterations), sequence(oid(OID.hmacWithSHA256), derNull())),
      ),
      sequence(oid(OID.aes256Cbc), octets(iv)),
    ),
  );
  return pem('ENCRYPTED PRIVATE KEY', sequence(algorithm, octets(encrypted)));
}
