/**
 * Contacts: the owner's names for counterparties' public keys, kept in the settings file (0600,
 * beside the identities) under `contacts`. A key is named once, and a name is used once (case and
 * outer spaces aside), so that a name on screen always means one key.
 */
import { randomUUID } from 'node:crypto';
import { commonAddressOf } from '../../../shared/crypto/address';
import { fingerprintOf, parsePublicKey } from '../../../shared/crypto/keys';
import type { ContactInfo } from '../../../shared/api/contacts';
import { AppError } from '../api/backend';
import type { Identities } from '../identities/service';
import type { AppSettings, ContactRecord } from '../settings/store';

const sameName = (a: string, b: string) => a.trim().toLocaleLowerCase() === b.trim().toLocaleLowerCase();

/** The canonical PEM of a public key a user pasted, or a clear refusal of anything else. */
export function counterpartyKey(pem: string): string {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new AppError(
      'NOT_PUBLIC_KEY',
      'this is a private key: never hand it to anyone; a contact needs the public key',
    );
  }
  try {
    return parsePublicKey(pem.trim()).pem;
  } catch (e) {
    throw new AppError('BAD_KEY', (e as Error).message);
  }
}

export class ContactBook {
  constructor(
    private readonly settings: AppSettings,
    private readonly identities: Identities,
    private readonly onChange: (list: ContactInfo[]) => void = () => undefined,
  ) {}

  static info(r: ContactRecord): ContactInfo {
    return {
      id: r.id,
      name: r.name,
      publicPem: r.publicPem,
      fingerprint: fingerprintOf(r.publicPem),
      commonAddress: commonAddressOf(r.publicPem),
      createdAt: r.createdAt,
    };
  }

  list(): ContactInfo[] {
    return this.settings
      .contacts()
      .flatMap((r) => {
        try {
          return [ContactBook.info(r)];
        } catch {
          return []; // a hand-edited key that no longer parses names nothing
        }
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private save(list: ContactRecord[]): void {
    this.settings.saveContacts(list);
    this.onChange(this.list());
  }

  private record(id: string): ContactRecord {
    const r = this.settings.contacts().find((c) => c.id === id);
    if (!r) throw new AppError('CONTACT_NOT_FOUND', 'no such contact');
    return r;
  }

  private checkNameFree(name: string, exceptId?: string): void {
    const taken = this.settings.contacts().find((c) => c.id !== exceptId && sameName(c.name, name));
    if (taken) throw new AppError('DUPLICATE_NAME', `a contact is already named “${taken.name}”`);
  }

  add(name: string, pem: string): ContactInfo {
    const publicPem = counterpartyKey(pem);
    const own = this.identities.findByKey(publicPem);
    if (own) throw new AppError('OWN_KEY', `this is the key of your identity “${own.name}”`);
    const der = parsePublicKey(publicPem).der;
    const known = this.settings.contacts().find((c) => {
      try {
        return parsePublicKey(c.publicPem).der.equals(der);
      } catch {
        return false;
      }
    });
    if (known) throw new AppError('DUPLICATE_CONTACT', `this key is already the contact “${known.name}”`);
    this.checkNameFree(name);
    const record: ContactRecord = { id: randomUUID(), name: name.trim(), publicPem, createdAt: Date.now() };
    this.save([...this.settings.contacts(), record]);
    return ContactBook.info(record);
  }

  rename(id: string, name: string): ContactInfo {
    this.record(id);
    this.checkNameFree(name, id);
    this.save(this.settings.contacts().map((c) => (c.id === id ? { ...c, name: name.trim() } : c)));
    return ContactBook.info(this.record(id));
  }

  delete(id: string): boolean {
    const before = this.settings.contacts();
    if (!before.some((c) => c.id === id)) return false;
    this.save(before.filter((c) => c.id !== id));
    return true;
  }

  /** Tells listeners the list changed (after a restore wrote it). */
  announce(): void {
    this.onChange(this.list());
  }
}
