/** Address derivation and validation (SPEC §2): SHA-224 + URL-safe base64, xxHash64 checksum. Node only. */
import { createHash } from 'node:crypto';
import xxhash from 'xxhash-wasm';
import { splitAddress, PREFIX_OF_KIND, LEGACY_LENGTH, type AddressKind } from '../protocol/address-format';
import { normalizePem } from './keys';

const CHECKSUM_SEED = 0x2018caddn;
// The wasm module is tiny; instantiating it once at load keeps every call below synchronous.
const { h64 } = await xxhash();

/** H(x): URL-safe base64 (with padding) of SHA-224 of the UTF-8 bytes of x: 40 characters. */
export function hashBody(x: string): string {
  return createHash('sha224').update(x, 'utf8').digest('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** C(prefix, h): lowercase hex, no zero padding, of xxHash64 (seed 0x2018CADD) of prefix + h. */
export function checksum(prefix: string, body: string): string {
  return h64(prefix + body, CHECKSUM_SEED).toString(16);
}

function assemble(kind: AddressKind, body: string): string {
  const prefix = PREFIX_OF_KIND[kind];
  return prefix + checksum(prefix, body) + body;
}

/** The common address of a key, derived from the PEM exactly as given. */
export function commonAddressOf(pkPem: string): string {
  return assemble('common', hashBody(pkPem));
}

/** Spend or income address, from canonical PEMs of tracker and peer and the opening time. */
export function channelAddressOf(
  kind: 'spend' | 'income',
  trackerPkPem: string,
  peerPkPem: string,
  openedAtMs: number,
): string {
  return assemble(kind, hashBody(`${trackerPkPem};${peerPkPem};${kind};${openedAtMs.toString(16)}`));
}

/** Every common address a key may be known by: as sent and in canonical form. */
export function commonAddressesOf(pkPem: string): string[] {
  const out = new Set([commonAddressOf(pkPem)]);
  try {
    const canonical = normalizePem(pkPem);
    out.add(commonAddressOf(canonical));
    out.add(commonAddressOf(canonical.trimEnd()));
  } catch {
    /* an unparsable key has only the literal form */
  }
  return [...out];
}

export interface AddressCheck {
  valid: boolean;
  kind?: AddressKind;
  legacy?: boolean;
  reason?: string;
}

/** Validates an address: right prefix and shape, and a matching checksum unless legacy (44 chars). */
export function checkAddress(address: string, expected?: AddressKind): AddressCheck {
  const parts = splitAddress(address);
  if (!parts) return { valid: false, reason: 'not an address (prefix 0x0b/0x0c/0x0d, 40-character body)' };
  if (expected && parts.kind !== expected) {
    return { valid: false, kind: parts.kind, reason: `expected a ${expected} address, got ${parts.kind}` };
  }
  if (address.length === LEGACY_LENGTH) return { valid: true, kind: parts.kind, legacy: true };
  if (parts.checksum !== checksum(parts.prefix, parts.body)) {
    return { valid: false, kind: parts.kind, reason: 'checksum does not match' };
  }
  return { valid: true, kind: parts.kind, legacy: false };
}

export function isValidAddress(address: string, expected?: AddressKind): boolean {
  return checkAddress(address, expected).valid;
}
