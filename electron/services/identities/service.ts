/**
 * Identities: RSA-2048 key pairs with a name. Private keys are encrypted at rest (KeyProtection)
 * and, once unlocked, held only in this process's memory: the renderer sees name, public key,
 * fingerprint and common address, never a private key.
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import {
  generateRsaKeyPair,
  parsePrivateKey,
  publicPemOf,
  fingerprintOf,
  parsePublicKey,
  sameKey,
} from '../../../shared/crypto/keys';
import { commonAddressOf } from '../../../shared/crypto/address';
import type { Signer } from '../../../shared/crypto/signed-payload';
import type { IdentityInfo, TextFile } from '../../../shared/api/models';
import { AppError } from '../api/backend';
import {
  checkSealedKey,
  damaged,
  openWithPassphrase,
  sealWithPassphrase,
  type KeyBinding,
  type KeyProtection,
  type SealedKey,
} from './protection';
import { exportEncryptedPkcs8 } from './key-file';
import type { AppSettings, IdentityRecord } from '../settings/store';

export class Identities {
  private readonly unlocked = new Map<string, KeyObject>();

  constructor(
    private readonly settings: AppSettings,
    /** safeStorage where available; null means every key is protected by the user's passphrase. */
    private readonly protection: KeyProtection | null,
    private readonly onChange: (list: IdentityInfo[]) => void = () => undefined,
  ) {}

  get keyProtection(): 'safeStorage' | 'passphrase' {
    return this.protection ? 'safeStorage' : 'passphrase';
  }

  list(): IdentityInfo[] {
    return this.settings.identities().map((r) => this.info(r));
  }

  info(r: IdentityRecord): IdentityInfo {
    return {
      id: r.id,
      name: r.name,
      publicPem: r.publicPem,
      commonAddress: commonAddressOf(r.publicPem),
      fingerprint: fingerprintOf(r.publicPem),
      protection: r.protection,
      unlocked: r.protection === 'safeStorage' || this.unlocked.has(r.id),
      autoRenew: r.autoRenew,
      createdAt: r.createdAt,
      backedUpAt: r.backedUpAt,
    };
  }

  private record(id: string): IdentityRecord {
    const r = this.settings.identities().find((x) => x.id === id);
    if (!r) throw new AppError('IDENTITY_NOT_FOUND', 'no such identity');
    return r;
  }

  private save(mutate: (list: IdentityRecord[]) => IdentityRecord[]): void {
    this.settings.saveIdentities(mutate(this.settings.identities()));
    this.onChange(this.list());
  }

  private seal(
    privatePem: string,
    passphrase: string | undefined,
    binding: KeyBinding,
  ): Pick<IdentityRecord, 'protection' | 'sealed'> {
    if (this.protection) {
      return {
        protection: 'safeStorage',
        sealed: this.protection.encrypt(Buffer.from(privatePem)).toString('base64'),
      };
    }
    if (!passphrase) {
      throw new AppError(
        'PASSPHRASE_REQUIRED',
        'choose a passphrase to protect this key (at least 8 characters)',
      );
    }
    return {
      protection: 'passphrase',
      sealed: sealWithPassphrase(Buffer.from(privatePem), passphrase, binding),
    };
  }

  /** The decrypted key, refused unless it is the private half of the record's public key. */
  private checkedKey(privatePem: string, r: IdentityRecord): KeyObject {
    let key: KeyObject;
    try {
      key = parsePrivateKey(privatePem);
    } catch {
      throw damaged('the decrypted key does not parse');
    }
    if (!sameKey(publicPemOf(key), r.publicPem)) {
      throw damaged('the decrypted key does not belong to this identity’s public key');
    }
    return key;
  }

  /** Opens a passphrase record; one of the first format is re-sealed in the current one. */
  private openSealed(r: IdentityRecord, passphrase: string): KeyObject {
    const opened = openWithPassphrase(r.sealed, passphrase, r);
    const key = this.checkedKey(opened.plain.toString(), r);
    if (opened.legacy) {
      const sealed = sealWithPassphrase(opened.plain, passphrase, r);
      this.settings.saveIdentities(
        this.settings.identities().map((x) => (x.id === r.id ? { ...x, sealed } : x)),
      );
    }
    return key;
  }

  /** Names tell identities apart in every list and dialog: no two alike (case and spaces aside). */
  private checkNameFree(name: string, exceptId?: string): void {
    const wanted = name.trim().toLocaleLowerCase();
    const taken = this.settings
      .identities()
      .find((r) => r.id !== exceptId && r.name.trim().toLocaleLowerCase() === wanted);
    if (taken) throw new AppError('DUPLICATE_NAME', `an identity is already named “${taken.name}”`);
  }

  private add(name: string, privatePem: string, passphrase: string | undefined): IdentityInfo {
    this.checkNameFree(name);
    const key = parsePrivateKey(privatePem);
    const publicPem = publicPemOf(key);
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048)
      throw new AppError('KEY_TOO_SHORT', `the key has ${bits} bits; at least 2048 are needed`);
    const der = parsePublicKey(publicPem).der;
    const dup = this.settings.identities().find((r) => parsePublicKey(r.publicPem).der.equals(der));
    if (dup) throw new AppError('DUPLICATE_IDENTITY', `this key is already the identity “${dup.name}”`);
    const canonicalPrivate = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    const id = randomUUID();
    const record: IdentityRecord = {
      id,
      name: name.trim(),
      publicPem,
      ...this.seal(canonicalPrivate, passphrase, { id, publicPem }),
      autoRenew: false,
      createdAt: Date.now(),
      backedUpAt: null,
    };
    this.unlocked.set(record.id, key);
    this.save((list) => [...list, record]);
    return this.info(record);
  }

  create(name: string, passphrase?: string): IdentityInfo {
    this.checkNameFree(name); // before the key pair, which takes a while to make
    return this.add(name, generateRsaKeyPair().privatePem, passphrase);
  }

  import(name: string, pem: string, pemPassphrase?: string, passphrase?: string): IdentityInfo {
    if (!pem.includes('PRIVATE KEY-----')) {
      if (/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem))
        throw new AppError('NOT_PRIVATE_KEY', 'this is a public key; the identity needs its private key');
      throw new AppError('BAD_KEY', 'the file holds no private key (expected a PKCS#8 PEM)');
    }
    const key = parsePrivateKey(pem, pemPassphrase || undefined);
    return this.add(name, key.export({ type: 'pkcs8', format: 'pem' }).toString(), passphrase);
  }

  unlock(id: string, passphrase: string): IdentityInfo {
    const r = this.record(id);
    if (r.protection === 'passphrase') {
      this.unlocked.set(id, this.openSealed(r, passphrase));
      this.onChange(this.list());
    }
    return this.info(this.record(id));
  }

  lock(id: string): IdentityInfo {
    const r = this.record(id);
    this.unlocked.delete(id);
    this.onChange(this.list());
    return this.info(r);
  }

  /** Drops every decrypted key from memory (auto-lock, suspend, screen lock, "Lock all"). */
  lockAll(): IdentityInfo[] {
    const had = this.unlocked.size > 0;
    this.unlocked.clear();
    const list = this.list();
    if (had) this.onChange(list);
    return list;
  }

  /** True while some decrypted key is held in memory. */
  get anyUnlocked(): boolean {
    return this.unlocked.size > 0;
  }

  private privateKey(id: string): KeyObject {
    const r = this.record(id);
    const cached = this.unlocked.get(id);
    if (cached) return cached;
    if (r.protection === 'safeStorage') {
      if (!this.protection) throw new AppError('LOCKED', 'safeStorage is not available on this machine');
      const key = this.checkedKey(
        this.protection.decrypt(Buffer.from(r.sealed as string, 'base64')).toString(),
        r,
      );
      this.unlocked.set(id, key);
      return key;
    }
    throw new AppError('LOCKED', `identity “${r.name}” is locked: unlock it with its passphrase`);
  }

  /** The signing key of an identity (main process only). */
  signer(id: string): Signer {
    const r = this.record(id);
    return { publicPem: r.publicPem, privateKey: this.privateKey(id) };
  }

  /** A local identity holding this public key, if any. */
  findByKey(pem: string): IdentityInfo | null {
    let der: Buffer;
    try {
      der = parsePublicKey(pem).der;
    } catch {
      return null;
    }
    const r = this.settings.identities().find((x) => parsePublicKey(x.publicPem).der.equals(der));
    return r ? this.info(r) : null;
  }

  /**
   * An encrypted PKCS#8 PEM of the key (key-file.ts). A passphrase identity must give its
   * passphrase again, unlocked or not: whoever finds the app unlocked cannot walk away with the key.
   */
  async export(id: string, exportPassphrase: string, passphrase?: string): Promise<TextFile> {
    const r = this.record(id);
    let key: KeyObject;
    if (r.protection === 'passphrase') {
      if (!passphrase) {
        throw new AppError('PASSPHRASE_REQUIRED', 'enter this identity’s passphrase to export its key');
      }
      key = this.openSealed(r, passphrase);
    } else {
      key = this.privateKey(id);
    }
    const content = await exportEncryptedPkcs8(key, exportPassphrase);
    const safeName = r.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'identity';
    return { fileName: `${safeName}.key.pem`, content };
  }

  rename(id: string, name: string): IdentityInfo {
    this.record(id);
    this.checkNameFree(name, id);
    this.save((list) => list.map((r) => (r.id === id ? { ...r, name: name.trim() } : r)));
    return this.info(this.record(id));
  }

  setAutoRenew(id: string, autoRenew: boolean): IdentityInfo {
    this.record(id);
    this.save((list) => list.map((r) => (r.id === id ? { ...r, autoRenew } : r)));
    return this.info(this.record(id));
  }

  /** False when there is no such identity; throws NAME_MISMATCH unless `confirmName` is its name. */
  checkDeleteName(id: string, confirmName: string): boolean {
    const r = this.settings.identities().find((x) => x.id === id);
    if (!r) return false;
    if (confirmName.trim() !== r.name.trim()) {
      throw new AppError('NAME_MISMATCH', `type the identity’s name “${r.name}” to delete it`);
    }
    return true;
  }

  /**
   * Deleting takes the identity's name typed again (exactly, outer spaces aside): the key goes with
   * it, and without a backup so do the funds it controls.
   */
  delete(id: string, confirmName: string): boolean {
    if (!this.checkDeleteName(id, confirmName)) return false;
    const before = this.settings.identities().length;
    this.unlocked.delete(id);
    this.save((list) => list.filter((r) => r.id !== id));
    return this.settings.identities().length < before;
  }

  // Backups ---------------------------------------------------------------------------------------

  /** Marks the identities whose keys are among `publicPems` as backed up at `at`. */
  markBackedUp(publicPems: readonly string[], at: number): void {
    const ders = publicPems.flatMap((pem) => {
      try {
        return [parsePublicKey(pem).der];
      } catch {
        return [];
      }
    });
    const held = (r: IdentityRecord) => ders.some((d) => parsePublicKey(r.publicPem).der.equals(d));
    if (!this.settings.identities().some(held)) return;
    this.save((list) => list.map((r) => (held(r) ? { ...r, backedUpAt: at } : r)));
  }

  /**
   * An identity's key as a backup carries it, still sealed: a passphrase identity's record as it is
   * on disk (its own passphrase opens it); an OS-keychain key sealed with the backup's passphrase,
   * since the keychain's ciphertext cannot leave its machine.
   */
  sealedForBackup(
    id: string,
    backupPassphrase: string,
  ): { sealedWith: 'identity' | 'backup'; sealed: SealedKey } {
    const r = this.record(id);
    if (r.protection === 'passphrase') return { sealedWith: 'identity', sealed: checkSealedKey(r.sealed) };
    const pem = this.privateKey(id).export({ type: 'pkcs8', format: 'pem' }).toString();
    return { sealedWith: 'backup', sealed: sealWithPassphrase(Buffer.from(pem), backupPassphrase, r) };
  }

  /**
   * The record of an identity restored from a backup (same id: its sealed key is bound to it). A key
   * sealed with the backup's passphrase is opened and checked now; where this app has an OS keychain
   * it is sealed there, else it stays sealed with the backup's passphrase (which then unlocks it).
   */
  restoredRecord(
    b: Pick<IdentityRecord, 'id' | 'name' | 'publicPem' | 'autoRenew' | 'createdAt'> & {
      sealedWith: 'identity' | 'backup';
      sealed: SealedKey;
    },
    backupPassphrase: string,
    at: number,
  ): IdentityRecord {
    const base = {
      id: b.id,
      name: b.name,
      publicPem: b.publicPem,
      autoRenew: b.autoRenew,
      createdAt: b.createdAt,
      backedUpAt: at,
    };
    if (b.sealedWith === 'identity') return { ...base, protection: 'passphrase', sealed: b.sealed };
    const opened = openWithPassphrase(b.sealed, backupPassphrase, b);
    const key = this.checkedKey(opened.plain.toString(), {
      ...base,
      protection: 'passphrase',
      sealed: b.sealed,
    });
    if (!this.protection) return { ...base, protection: 'passphrase', sealed: b.sealed };
    const pem = key.export({ type: 'pkcs8', format: 'pem' }).toString();
    return {
      ...base,
      protection: 'safeStorage',
      sealed: this.protection.encrypt(Buffer.from(pem)).toString('base64'),
    };
  }

  /** Tells listeners the list changed (after a restore wrote it). */
  announce(): void {
    this.onChange(this.list());
  }
}
