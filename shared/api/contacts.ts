/**
 * Contacts: the owner's names for counterparties' public keys (issue 9 §3), and the pure resolver
 * that shows those names instead of fingerprints and truncated addresses. Pure: renderer-safe.
 *
 * A key's addresses are known from what the app has seen: its common address (derived from the key
 * by the main process) and the spend and income addresses of the channels it is a party of (a
 * channel names both keys and both addresses). History items carry addresses only: they are named
 * through those links.
 */
import { z } from 'zod';

const id = z.string().min(1).max(128);

export const contactName = z.string().trim().min(1, 'a name is needed').max(100);

export const contactInfo = z.object({
  id,
  name: z.string(),
  publicPem: z.string(),
  /** SHA-256 of the SPKI DER, hex, grouped (as every fingerprint the app shows). */
  fingerprint: z.string(),
  commonAddress: z.string(),
  createdAt: z.number(),
});
export type ContactInfo = z.infer<typeof contactInfo>;

/** Someone the app can name: a contact, or one of the owner's own identities. */
export interface NamedParty {
  kind: 'contact' | 'identity';
  id: string;
  name: string;
  fingerprint: string;
}

/** An address seen together with the key that owns it (a channel's side, an offer file's party). */
export interface KeyAddressLink {
  fingerprint: string;
  address: string;
}

export interface NameIndex {
  ofKey(fingerprint: string | null | undefined): NamedParty | null;
  ofAddress(address: string | null | undefined): NamedParty | null;
}

const norm = (s: string) => s.trim().toLowerCase();

/**
 * The index over `parties` (each with its common address) and `links` (more addresses of their
 * keys). A key named twice keeps its first party: list contacts before identities, or the other way
 * round, as the caller prefers.
 */
export function buildNameIndex(
  parties: readonly (NamedParty & { commonAddress: string })[],
  links: readonly KeyAddressLink[],
): NameIndex {
  const byKey = new Map<string, NamedParty>();
  const byAddress = new Map<string, NamedParty>();
  for (const p of parties) {
    const party: NamedParty = { kind: p.kind, id: p.id, name: p.name, fingerprint: p.fingerprint };
    if (!byKey.has(norm(p.fingerprint))) byKey.set(norm(p.fingerprint), party);
    if (p.commonAddress && !byAddress.has(norm(p.commonAddress))) byAddress.set(norm(p.commonAddress), party);
  }
  for (const l of links) {
    const party = byKey.get(norm(l.fingerprint));
    if (party && l.address && !byAddress.has(norm(l.address))) byAddress.set(norm(l.address), party);
  }
  return {
    ofKey: (fingerprint) => (fingerprint ? (byKey.get(norm(fingerprint)) ?? null) : null),
    ofAddress: (address) => (address ? (byAddress.get(norm(address)) ?? null) : null),
  };
}

/** Both sides of each channel (or offer file): whose key holds which address. */
export function channelLinks(
  channels: readonly {
    fromFingerprint: string;
    fromAddress: string;
    toFingerprint: string;
    toAddress: string;
  }[],
): KeyAddressLink[] {
  return channels.flatMap((c) => [
    { fingerprint: c.fromFingerprint, address: c.fromAddress },
    { fingerprint: c.toFingerprint, address: c.toAddress },
  ]);
}

/** Contacts matching a search text: by name (any case), fingerprint or common address. */
export function searchContacts<T extends ContactInfo>(list: readonly T[], text: string): T[] {
  const q = norm(text);
  if (!q) return list.slice();
  const hex = q.replace(/[^0-9a-f]/g, '');
  return list.filter(
    (c) =>
      c.name.toLowerCase().includes(q) ||
      norm(c.commonAddress).includes(q) ||
      (hex.length >= 4 && c.fingerprint.replace(/:/g, '').includes(hex)),
  );
}
