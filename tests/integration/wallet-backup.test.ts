/**
 * Whole-wallet backup and restore, and contacts (issue 9 §2–3), through the app's API over a real
 * remote tracker, real scrypt/AES-GCM files and real settings files in fresh data folders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCipheriv, createDecipheriv, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { connectTrusting, startApp, until, type TestApp } from '../helpers/backend';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import type { IdentityInfo } from '../../shared/api/models';
import type { KeyProtection } from '../../electron/services/identities/protection';

const PASS = 'correct horse battery';
const BACKUP_PASS = 'a different backup passphrase';
/** scrypt at 128 MiB per file on a shared machine, plus a tracker round trip or two. */
const SLOW = 120_000;

function rsaPublic(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    type: 'spki',
    format: 'pem',
  }) as string;
}

/**
 * A machine-bound key store in the role of Electron's safeStorage (which needs Electron): AES-GCM
 * under a key that never leaves this object, so its ciphertext opens only on "this machine".
 */
function machineKeychain(): KeyProtection {
  const key = randomBytes(32);
  return {
    kind: 'safeStorage',
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([c.update(plain), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), data]);
    },
    decrypt(box) {
      const d = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
      d.setAuthTag(box.subarray(12, 28));
      return Buffer.concat([d.update(box.subarray(28)), d.final()]);
    },
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return 'no error';
}

describe('a whole-wallet backup restored into a fresh data folder', () => {
  let tracker: LedgerProcess;
  const apps: TestApp[] = [];
  let original: TestApp;
  let alice: IdentityInfo;
  let profileId: string;
  let spendAddress: string;
  let backupText: string;
  const bobKey = rsaPublic();

  beforeAll(async () => {
    tracker = await startLedger();
    original = await startApp({ watch: false });
    apps.push(original);
    alice = await original.call('identities.create', { name: 'Alice', passphrase: PASS });
    profileId = (await original.call('trackers.add', { name: 'Shared', url: tracker.url })).id;
    expect((await connectTrusting(original, profileId, alice.id)).state).toBe('online');
    spendAddress = (await original.call('addresses.open', { identityId: alice.id, kind: 'spend' })).address;
    await original.call('history.sync', { identityId: alice.id });
    await until(
      () => original.call('history.query', { identityId: alice.id }),
      (p) => p.items.length > 0,
    );
    await original.call('contacts.add', { name: 'Bob the peer', publicPem: bobKey });
    await original.call('settings.update', { language: 'ru', theme: 'dark', autoLockMinutes: 7 });
    await original.call('labels.set', { type: 'addr', ref: spendAddress, label: 'video budget' });
    await original.call('labels.set', { type: 'tx', ref: 'tx-1', label: 'first payment' });
  }, SLOW);

  afterAll(async () => {
    for (const a of apps) await a.close();
    await tracker?.stop();
  });

  it(
    'a new identity is not backed up; a backup proven to open marks it backed up',
    async () => {
      expect(alice.backedUpAt).toBeNull();
      const saved = await original.call('backup.create', { passphrase: BACKUP_PASS });
      expect(saved).toMatchObject({ cancelled: false });
      expect(saved.fileName).toMatch(/^wallet-backup-.*\.wtbackup$/);
      // Owner-only, like everything else in the data folder.
      expect(statSync(saved.path!).mode & 0o777).toBe(0o600);
      backupText = readFileSync(saved.path!, 'utf8');
      for (const plain of ['Alice', 'Bob the peer', tracker.url, 'BEGIN', 'video budget'])
        expect(backupText).not.toContain(plain);
      // Saving alone proves nothing: the identity counts as backed up once the file opened.
      expect((await original.call('identities.list', {}))[0]!.backedUpAt).toBeNull();

      expect(await codeOf(original.call('backup.open', { content: backupText, passphrase: 'wrong' }))).toBe(
        'WRONG_PASSPHRASE',
      );
      expect((await original.call('identities.list', {}))[0]!.backedUpAt).toBeNull();

      const opened = await original.call('backup.open', { content: backupText, passphrase: BACKUP_PASS });
      expect(opened.summary).toMatchObject({
        identities: [{ name: 'Alice', fingerprint: alice.fingerprint }],
        contacts: 1,
        labels: 2,
        trackers: [{ name: 'Shared', url: tracker.url }],
      });
      // Restoring into this very wallet would add nothing.
      expect(opened.plan).toMatchObject({
        mode: 'merge',
        identities: { add: [], keep: ['Alice'] },
        contacts: { add: 0, keep: 1 },
        trackers: { add: [], keep: 1, conflicts: [] },
      });
      expect((await original.call('identities.list', {}))[0]!.backedUpAt).toBe(opened.summary.createdAt);
    },
    SLOW,
  );

  it(
    'restores the same wallet on an empty data folder, then syncs its history again',
    async () => {
      const fresh = await startApp({ watch: false });
      apps.push(fresh);
      const opened = await fresh.call('backup.open', { content: backupText, passphrase: BACKUP_PASS });
      expect(opened.plan).toMatchObject({ mode: 'new', settings: true, labels: { add: 2, keep: 0 } });
      expect(opened.plan.identities.add).toEqual([
        { name: 'Alice', fingerprint: alice.fingerprint, renamedFrom: null, sealedWith: 'identity' },
      ]);
      const done = await fresh.call('backup.restore', {
        content: backupText,
        passphrase: BACKUP_PASS,
        mode: 'new',
      });
      expect(done.identities.add.map((i) => i.name)).toEqual(['Alice']);

      const [restored] = await fresh.call('identities.list', {});
      expect(restored).toMatchObject({
        id: alice.id,
        name: 'Alice',
        publicPem: alice.publicPem,
        commonAddress: alice.commonAddress,
        protection: 'passphrase',
        unlocked: false,
      });
      expect(restored!.backedUpAt).not.toBeNull();
      // The key is still sealed with the identity's own passphrase, not the backup's.
      expect(await codeOf(fresh.call('identities.unlock', { id: alice.id, passphrase: BACKUP_PASS }))).toBe(
        'WRONG_PASSPHRASE',
      );
      expect((await fresh.call('identities.unlock', { id: alice.id, passphrase: PASS })).unlocked).toBe(true);

      expect((await fresh.call('contacts.list', {})).map((c) => c.name)).toEqual(['Bob the peer']);
      // The real labels service of each app: what one labelled, the other has.
      const sorted = (l: { type: string; ref: string }[]) =>
        [...l].sort((a, b) => `${a.type}${a.ref}`.localeCompare(`${b.type}${b.ref}`));
      const originalLabels = await original.call('labels.list', {});
      expect(originalLabels).toHaveLength(2);
      expect(sorted(await fresh.call('labels.list', {}))).toEqual(sorted(originalLabels));
      expect(await fresh.call('settings.get', {})).toMatchObject({
        language: 'ru',
        theme: 'dark',
        autoLockMinutes: 7,
        lastIdentityId: alice.id,
      });
      const profiles = await fresh.call('trackers.list', {});
      const shared = profiles.find((p) => p.url === tracker.url)!;
      const originalProfile = (await original.call('trackers.list', {})).find((p) => p.id === profileId)!;
      expect(shared.pinnedFingerprint).toBe(originalProfile.pinnedFingerprint);
      expect(shared.pinnedFingerprint).not.toBeNull();
      expect(profiles.filter((p) => p.embedded)).toHaveLength(1);

      // The pinned key came with the backup: no first-use question, straight online.
      const status = await fresh.call('trackers.connect', { profileId: shared.id, identityId: alice.id });
      expect(status.state).toBe('online');
      await fresh.call('history.sync', { identityId: alice.id });
      const page = await until(
        () => fresh.call('history.query', { identityId: alice.id }),
        (p) => p.items.some((i) => JSON.stringify(i).includes(spendAddress)),
      );
      const before = await original.call('history.query', { identityId: alice.id });
      expect(page.items.map((i) => i.txId).sort()).toEqual(before.items.map((i) => i.txId).sort());
      expect(
        (await fresh.call('addresses.refresh', { identityId: alice.id })).map((a) => a.address),
      ).toContain(spendAddress);
    },
    SLOW,
  );

  it(
    'restoring into a wallet that has identities merges, keeps what is there, and refuses a stale preview',
    async () => {
      const other = await startApp({ watch: false });
      apps.push(other);
      const carol = await other.call('identities.create', { name: 'Alice', passphrase: 'carol pass 1' });
      const carolsContact = await other.call('contacts.add', {
        name: 'Bob the peer',
        publicPem: rsaPublic(),
      });
      await other.call('settings.update', { language: 'en' });
      const opened = await other.call('backup.open', { content: backupText, passphrase: BACKUP_PASS });
      expect(opened.plan).toMatchObject({
        mode: 'merge',
        settings: false,
        identities: { add: [{ name: 'Alice 2', renamedFrom: 'Alice' }], keep: [] },
        contacts: { add: 1, keep: 0 },
      });
      expect(
        await codeOf(
          other.call('backup.restore', { content: backupText, passphrase: BACKUP_PASS, mode: 'new' }),
        ),
      ).toBe('RESTORE_CHANGED');
      await other.call('backup.restore', { content: backupText, passphrase: BACKUP_PASS, mode: 'merge' });
      const ids = await other.call('identities.list', {});
      expect(ids.map((i) => [i.id, i.name]).sort()).toEqual(
        [
          [carol.id, 'Alice'],
          [alice.id, 'Alice 2'],
        ].sort(),
      );
      const contacts = await other.call('contacts.list', {});
      expect(contacts.map((c) => c.name).sort()).toEqual(['Bob the peer', 'Bob the peer 2']);
      expect(contacts.find((c) => c.id === carolsContact.id)!.name).toBe('Bob the peer');
      expect((await other.call('settings.get', {})).language).toBe('en');
    },
    SLOW,
  );

  it(
    'a damaged or foreign file changes nothing',
    async () => {
      const fresh = await startApp({ watch: false });
      apps.push(fresh);
      const envelope = JSON.parse(backupText) as { data: string };
      const data = Buffer.from(envelope.data, 'base64');
      data[10]! ^= 0xff;
      const damaged = JSON.stringify({ ...envelope, data: data.toString('base64') });
      expect(
        await codeOf(
          fresh.call('backup.restore', { content: damaged, passphrase: BACKUP_PASS, mode: 'new' }),
        ),
      ).toBe('BACKUP_DAMAGED');
      expect(
        await codeOf(fresh.call('backup.open', { content: '{"hello":"world"}', passphrase: BACKUP_PASS })),
      ).toBe('NOT_A_BACKUP');
      // Bad arguments never reach the service.
      expect(
        await codeOf(fresh.call('backup.restore', { content: backupText, passphrase: '', mode: 'new' })),
      ).toBe('INVALID_ARGUMENT');
      expect(await fresh.call('identities.list', {})).toEqual([]);
      expect(await fresh.call('contacts.list', {})).toEqual([]);
    },
    SLOW,
  );
});

describe('an identity protected by the OS keychain', () => {
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
  });

  it(
    'travels sealed with the backup passphrase, and is sealed by the keychain of the machine it lands on',
    async () => {
      const home = await startApp({ watch: false, keyProtection: machineKeychain() });
      apps.push(home);
      const kept = await home.call('identities.create', { name: 'Keychain' });
      expect(kept.protection).toBe('safeStorage');
      const saved = await home.call('backup.create', { passphrase: BACKUP_PASS });
      const text = readFileSync(saved.path!, 'utf8');
      const opened = await home.call('backup.open', { content: text, passphrase: BACKUP_PASS });
      expect(opened.summary.identities).toEqual([{ name: 'Keychain', fingerprint: kept.fingerprint }]);

      // Another machine with a keychain: the key is sealed there, usable at once.
      const laptop = await startApp({ watch: false, keyProtection: machineKeychain() });
      apps.push(laptop);
      const plan = await laptop.call('backup.open', { content: text, passphrase: BACKUP_PASS });
      expect(plan.plan.identities.add).toMatchObject([{ name: 'Keychain', sealedWith: 'backup' }]);
      await laptop.call('backup.restore', { content: text, passphrase: BACKUP_PASS, mode: 'new' });
      expect((await laptop.call('identities.list', {}))[0]).toMatchObject({
        id: kept.id,
        publicPem: kept.publicPem,
        protection: 'safeStorage',
        unlocked: true,
      });
      const exported = await laptop.call('identities.export', {
        id: kept.id,
        exportPassphrase: 'export pass 1',
      });
      expect(exported.content).toContain('ENCRYPTED PRIVATE KEY');

      // The served app has no keychain: the backup's passphrase keeps protecting the key.
      const served = await startApp({ watch: false });
      apps.push(served);
      await served.call('backup.restore', { content: text, passphrase: BACKUP_PASS, mode: 'new' });
      expect((await served.call('identities.list', {}))[0]).toMatchObject({
        protection: 'passphrase',
        unlocked: false,
      });
      expect(
        (await served.call('identities.unlock', { id: kept.id, passphrase: BACKUP_PASS })).unlocked,
      ).toBe(true);
    },
    SLOW,
  );
});

describe('contacts', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ watch: false });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('names a pasted public key once, refuses private and own keys, renames, deletes, and persists', async () => {
    const me = await app.call('identities.create', { name: 'Me', passphrase: PASS });
    const key = rsaPublic();
    const bob = await app.call('contacts.add', { name: '  Bob  ', publicPem: `\n${key}\n` });
    expect(bob).toMatchObject({ name: 'Bob' });
    expect(bob.fingerprint).toMatch(/^[0-9a-f:]+$/);
    expect(bob.commonAddress).toMatch(/^0x0b/);
    expect(await codeOf(app.call('contacts.add', { name: 'Bobby', publicPem: key }))).toBe(
      'DUPLICATE_CONTACT',
    );
    expect(await codeOf(app.call('contacts.add', { name: 'bob', publicPem: rsaPublic() }))).toBe(
      'DUPLICATE_NAME',
    );
    const priv = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(await codeOf(app.call('contacts.add', { name: 'Secret', publicPem: priv }))).toBe(
      'NOT_PUBLIC_KEY',
    );
    expect(await codeOf(app.call('contacts.add', { name: 'Self', publicPem: me.publicPem }))).toBe('OWN_KEY');
    expect(
      await codeOf(
        app.call('contacts.add', {
          name: 'Junk',
          publicPem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        }),
      ),
    ).toBe('BAD_KEY');
    expect(await codeOf(app.call('contacts.add', { name: '   ', publicPem: key }))).toBe('INVALID_ARGUMENT');

    expect((await app.call('contacts.rename', { id: bob.id, name: 'Robert' })).name).toBe('Robert');
    expect(await codeOf(app.call('contacts.rename', { id: 'nope', name: 'X' }))).toBe('CONTACT_NOT_FOUND');
    const carol = await app.call('contacts.add', { name: 'Carol', publicPem: rsaPublic() });
    expect((await app.call('contacts.list', {})).map((c) => c.name)).toEqual(['Carol', 'Robert']);

    // The settings file keeps them across a restart.
    await app.close();
    app = await startApp({ watch: false, dataDir: app.dataDir });
    expect((await app.call('contacts.list', {})).map((c) => c.name)).toEqual(['Carol', 'Robert']);
    expect(await app.call('contacts.delete', { id: carol.id })).toEqual({ deleted: true });
    expect(await app.call('contacts.delete', { id: carol.id })).toEqual({ deleted: false });
    expect((await app.call('contacts.list', {})).map((c) => c.name)).toEqual(['Robert']);
  });
});
