/** Address shape checks that need no hashing (SPEC §2). Pure: safe for the renderer. */

export const AddressPrefix = { COMMON: '0x0b', SPEND: '0x0c', INCOME: '0x0d' } as const;
export type AddressPrefixCode = (typeof AddressPrefix)[keyof typeof AddressPrefix];
export type AddressKind = 'common' | 'spend' | 'income';

export const PREFIX_OF_KIND: Readonly<Record<AddressKind, AddressPrefixCode>> = {
  common: '0x0b',
  spend: '0x0c',
  income: '0x0d',
};

/** Body = base64 (either alphabet: the 8192 example uses standard) of a SHA-224 digest. */
const BODY = /^[A-Za-z0-9+/_-]{38}==$/;
const CHECKSUM = /^[0-9a-f]{1,16}$/;
export const BODY_LENGTH = 40;
export const LEGACY_LENGTH = 44;

export interface AddressParts {
  kind: AddressKind;
  prefix: AddressPrefixCode;
  /** Lowercase hex checksum, or null for a legacy 44-character address. */
  checksum: string | null;
  body: string;
}

/** Splits an address into its parts when its shape is right (checksum not verified here). */
export function splitAddress(address: string): AddressParts | null {
  if (typeof address !== 'string' || address.length < LEGACY_LENGTH || address.length > 60) return null;
  const prefix = address.slice(0, 4);
  const kind = (Object.keys(PREFIX_OF_KIND) as AddressKind[]).find((k) => PREFIX_OF_KIND[k] === prefix);
  if (!kind) return null;
  const body = address.slice(-BODY_LENGTH);
  if (!BODY.test(body)) return null;
  const middle = address.slice(4, -BODY_LENGTH);
  if (middle !== '' && !CHECKSUM.test(middle)) return null;
  return { kind, prefix: prefix as AddressPrefixCode, checksum: middle === '' ? null : middle, body };
}

export function addressKind(address: string): AddressKind | null {
  return splitAddress(address)?.kind ?? null;
}
