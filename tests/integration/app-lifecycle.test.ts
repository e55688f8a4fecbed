/**
 * The app backend over time: identities management, a remote tracker that goes away and comes back,
 * a tracker whose key changed, restart with the same data folder, expiry events and auto-renew.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectTrusting, startApp, nextEvent, until, type TestApp } from '../helpers/backend';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import type { ConnectionStatus, IdentityInfo } from '../../shared/api/models';
import { fingerprintOf, parsePrivateKey, publicPemOf } from '../../shared/crypto/keys';

const PASS = 'correct horse battery';

describe('identities', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ watch: false });
  });
  afterAll(() => app?.close());

  it('imports plain and encrypted PKCS#8, exports encrypted, renames, deletes', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const plain = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const enc = privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'file pass 1' })
      .toString();
    const a = await app.call('identities.import', { name: 'Imported', pem: plain, passphrase: PASS });
    expect(a.unlocked).toBe(true);
    await expect(
      app.call('identities.import', {
        name: 'Again',
        pem: enc,
        pemPassphrase: 'file pass 1',
        passphrase: PASS,
      }),
    ).rejects.toMatchObject({
      code: 'DUPLICATE_IDENTITY',
    });
    await app.call('identities.delete', { id: a.id, confirmName: a.name });
    await expect(
      app.call('identities.import', { name: 'Enc', pem: enc, passphrase: PASS }),
    ).rejects.toMatchObject({ code: 'BAD_KEY' });
    await expect(
      app.call('identities.import', { name: 'Enc', pem: enc, pemPassphrase: 'wrong', passphrase: PASS }),
    ).rejects.toMatchObject({
      code: 'BAD_KEY',
    });
    await expect(
      app.call('identities.import', {
        name: 'Pub',
        pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
        passphrase: PASS,
      }),
    ).rejects.toMatchObject({
      // A public key where the private one belongs is named as such (issue 7, defect 3).
      code: 'NOT_PRIVATE_KEY',
    });
    const b = await app.call('identities.import', {
      name: 'Enc',
      pem: enc,
      pemPassphrase: 'file pass 1',
      passphrase: PASS,
    });
    expect(b.publicPem).toBe(a.publicPem);

    const exported = await app.call('identities.export', {
      id: b.id,
      passphrase: PASS,
      exportPassphrase: 'export pass 2',
    });
    expect(exported.content).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    expect(() => parsePrivateKey(exported.content)).toThrow();
    const back = parsePrivateKey(exported.content, 'export pass 2');
    expect(back.export({ type: 'pkcs8', format: 'pem' }).toString()).toBe(plain);

    const renamed = await app.call('identities.rename', { id: b.id, name: '  Renamed  ' });
    expect(renamed.name).toBe('Renamed');
    await expect(app.call('identities.rename', { id: b.id, name: '   ' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    // Deleting takes the name typed again: another text deletes nothing.
    await expect(app.call('identities.delete', { id: b.id, confirmName: 'renamed' })).rejects.toMatchObject({
      code: 'NAME_MISMATCH',
    });
    expect((await app.call('identities.list', {})).map((i) => i.id)).toContain(b.id);
    expect(await app.call('identities.delete', { id: b.id, confirmName: ' Renamed ' })).toEqual({
      deleted: true,
    });
    expect((await app.call('identities.list', {})).map((i) => i.publicPem)).not.toContain(a.publicPem);
  });

  it('locks and unlocks with the passphrase', async () => {
    const c = await app.call('identities.create', { name: 'Lockable', passphrase: PASS });
    const locked = await app.call('identities.lock', { id: c.id });
    expect(locked.unlocked).toBe(false);
    // Exporting asks for the identity's passphrase whether it is locked or not.
    await expect(
      app.call('identities.export', { id: c.id, exportPassphrase: 'export pass 2' }),
    ).rejects.toMatchObject({ code: 'PASSPHRASE_REQUIRED' });
    await expect(
      app.call('identities.unlock', { id: c.id, passphrase: 'not the passphrase' }),
    ).rejects.toMatchObject({
      code: 'WRONG_PASSPHRASE',
    });
    expect((await app.call('identities.unlock', { id: c.id, passphrase: PASS })).unlocked).toBe(true);
  });
});

describe('a remote tracker that goes away, comes back, and changes its key', () => {
  /** Each test's own app, identity and standalone tracker (stopped and removed after it). */
  interface Remote {
    app: TestApp;
    tracker: LedgerProcess;
    dir: string;
    me: IdentityInfo;
    profileId: string;
  }
  const started: Remote[] = [];

  async function remote(): Promise<Remote> {
    const dir = tempDir();
    const tracker = await startLedger({ dir });
    const app = await startApp({ watch: false });
    const me = await app.call('identities.create', { name: 'Me', passphrase: PASS });
    const profileId = (await app.call('trackers.add', { name: 'Remote', url: tracker.url })).id;
    const r = { app, tracker, dir, me, profileId };
    started.push(r);
    return r;
  }

  afterEach(async () => {
    for (const r of started.splice(0)) {
      await r.app.close();
      await r.tracker.stop();
    }
  });

  it('rejects a non-WebSocket URL', async () => {
    const { app } = await remote();
    await expect(
      app.call('trackers.add', { name: 'Web', url: 'http://example.invalid/' }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('works online, keeps cached data offline and reconnects', async () => {
    const r = await remote();
    const { app, me, profileId, dir } = r;
    expect((await connectTrusting(app, profileId, me.id)).state).toBe('online');
    const spend = await app.call('addresses.open', { identityId: me.id, kind: 'spend' });
    await app.call('history.sync', { identityId: me.id });
    await until(
      () => app.call('history.query', { identityId: me.id, filter: {}, limit: 10 }),
      (p) => p.total === 1,
    );

    const reconnecting = nextEvent<ConnectionStatus>(
      app.backend,
      'connection',
      (s) => s.state === 'reconnecting',
    );
    await r.tracker.stop('SIGKILL');
    const st = await reconnecting;
    expect(st.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);
    // Offline: the cache still answers, with the time the data was read.
    const cached = await app.call('addresses.list', { identityId: me.id });
    expect(cached[0]).toMatchObject({ address: spend.address, amount: '11000' });
    expect(cached[0]!.readAt).toBeLessThanOrEqual(Date.now());
    expect((await app.call('history.query', { identityId: me.id, filter: {}, limit: 10 })).total).toBe(1);
    await expect(app.call('addresses.open', { identityId: me.id, kind: 'income' })).rejects.toMatchObject({
      code: 'OFFLINE',
    });

    const online = nextEvent<ConnectionStatus>(
      app.backend,
      'connection',
      (s) => s.state === 'online',
      30_000,
    );
    r.tracker = await startLedger({ dir, port: r.tracker.port });
    await online;
    const refreshed = await app.call('addresses.refresh', { identityId: me.id });
    expect(refreshed[0]).toMatchObject({ address: spend.address, status: 'open' });
    // One more write after the restart, then a sync: the cache holds both, nothing twice.
    await app.call('addresses.open', { identityId: me.id, kind: 'income' });
    await app.call('history.sync', { identityId: me.id });
    const after = await until(
      () => app.call('history.query', { identityId: me.id, filter: {}, limit: 10 }),
      (p) => p.total === 2,
    );
    expect(new Set(after.items.map((i) => i.txId)).size).toBe(2);
    expect(after.items.map((i) => i.txType).sort()).toEqual([2, 4]);
  });

  it('pins a remote tracker’s key at the first connection only once the owner confirmed it', async () => {
    const { app, me, profileId, dir } = await remote();
    const first = await app.call('trackers.connect', { profileId, identityId: me.id });
    // The key the tracker proved in its handshake, shown by fingerprint before anything is pinned.
    const trackerKey = publicPemOf(parsePrivateKey(readFileSync(join(dir, 'tracker-key.pem'), 'utf8')));
    expect(first).toMatchObject({
      state: 'key_new',
      error: null,
      offeredFingerprint: fingerprintOf(trackerKey),
    });
    const profile = () => app.call('trackers.list', {}).then((l) => l.find((p) => p.id === profileId)!);
    expect((await profile()).pinnedFingerprint).toBeNull();
    await expect(app.call('addresses.open', { identityId: me.id, kind: 'spend' })).rejects.toMatchObject({
      code: 'OFFLINE',
    });
    // Refused (the dialog's "Do not trust"): nothing pinned, and the next connection asks again.
    expect((await app.call('trackers.disconnect', {})).state).toBe('idle');
    expect((await profile()).pinnedFingerprint).toBeNull();
    const again = await app.call('trackers.connect', { profileId, identityId: me.id });
    expect(again.state).toBe('key_new');
    await expect(app.call('trackers.acceptKey', { profileId, fingerprint: 'ffff' })).rejects.toMatchObject({
      code: 'KEY_MISMATCH',
    });
    const online = nextEvent<ConnectionStatus>(app.backend, 'connection', (s) => s.state === 'online');
    await app.call('trackers.acceptKey', { profileId, fingerprint: again.offeredFingerprint! });
    await online;
    expect((await profile()).pinnedFingerprint).toBe(fingerprintOf(trackerKey));
    await app.call('addresses.open', { identityId: me.id, kind: 'spend' });
    // Pinned: later connections go straight online.
    await app.call('trackers.disconnect', {});
    expect((await app.call('trackers.connect', { profileId, identityId: me.id })).state).toBe('online');
  });

  it('blocks a changed tracker key until the user accepts it', async () => {
    const r = await remote();
    const { app, me, profileId } = r;
    expect((await connectTrusting(app, profileId, me.id)).state).toBe('online');
    await app.call('addresses.open', { identityId: me.id, kind: 'spend' });
    const port = r.tracker.port;
    const before = (await app.call('trackers.list', {})).find((p) => p.id === profileId)!;
    const changed = nextEvent<ConnectionStatus>(
      app.backend,
      'connection',
      (s) => s.state === 'key_changed',
      30_000,
    );
    await r.tracker.stop();
    r.tracker = await startLedger({ port }); // another data folder: another key
    const st = await changed;
    expect(st.offeredFingerprint).toBeTruthy();
    expect(st.offeredFingerprint).not.toBe(before.pinnedFingerprint);
    await expect(app.call('addresses.refresh', { identityId: me.id })).rejects.toMatchObject({
      code: 'OFFLINE',
    });
    await expect(app.call('trackers.acceptKey', { profileId, fingerprint: 'ffff' })).rejects.toMatchObject({
      code: 'KEY_MISMATCH',
    });
    const online = nextEvent<ConnectionStatus>(app.backend, 'connection', (s) => s.state === 'online');
    await app.call('trackers.acceptKey', { profileId, fingerprint: st.offeredFingerprint! });
    await online;
    const after = (await app.call('trackers.list', {})).find((p) => p.id === profileId)!;
    expect(after.pinnedFingerprint).toBe(st.offeredFingerprint);
    // A new tracker is a new ledger: the old tracker's cache is not shown as this one's.
    expect(await app.call('addresses.list', { identityId: me.id })).toEqual([]);
  });

  it('survives a restart with the same data folder (identities and cache)', async () => {
    const r = await remote();
    const { me, profileId } = r;
    let app = r.app;
    expect((await connectTrusting(app, profileId, me.id)).state).toBe('online');
    await app.call('addresses.open', { identityId: me.id, kind: 'income' });
    await app.call('history.sync', { identityId: me.id });
    await until(
      () => app.call('history.query', { identityId: me.id, filter: {}, limit: 10 }),
      (p) => p.total === 1,
    );
    await app.close();
    app = r.app = await startApp({ dataDir: app.dataDir, watch: false });
    const ids = await app.call('identities.list', {});
    expect(ids.map((i) => [i.name, i.unlocked])).toEqual([['Me', false]]);
    // Offline, without unlocking: cached states and history from the last tracker.
    expect((await app.call('addresses.list', { identityId: me.id }))[0]).toMatchObject({ kind: 'income' });
    const page = await app.call('history.query', { identityId: me.id, filter: {}, limit: 10 });
    expect(page.total).toBe(1);
    expect((await app.call('settings.get', {})).lastProfileId).toBe(profileId);
  });
});

describe('expiry events and auto-renew', () => {
  let app: TestApp;
  beforeAll(async () => {
    process.env.TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME = '0.12'; // 7.2 s
    process.env.TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME = '0.12';
    process.env.TLPRT_LEDGER_EXPIRY_INTERVAL_MS = '300';
    app = await startApp();
    await app.call('settings.update', { expiryWarningLeadMs: 5000 });
  });
  afterAll(async () => {
    await app?.close();
    delete process.env.TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME;
    delete process.env.TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME;
    delete process.env.TLPRT_LEDGER_EXPIRY_INTERVAL_MS;
  });

  it('warns before a timeLock and reports the expiry', async () => {
    const id = await app.call('identities.create', { name: 'Short', passphrase: PASS });
    const embedded = (await app.call('trackers.list', {})).find((p) => p.embedded)!;
    await app.call('trackers.connect', { profileId: embedded.id, identityId: id.id });
    const mine = (p: { identityId: string }) => p.identityId === id.id;
    const warned = nextEvent<{ identityId: string; target: string; kind: string }>(
      app.backend,
      'expiry.warning',
      mine,
      15_000,
    );
    const expired = nextEvent<{ identityId: string; target: string; kind: string }>(
      app.backend,
      'expiry.expired',
      mine,
      20_000,
    );
    const spend = await app.call('addresses.open', { identityId: id.id, kind: 'spend' });
    expect((await warned).target).toBe(spend.address);
    expect(await expired).toMatchObject({ target: spend.address, kind: 'spend' });
    // The tracker's job then closes it; a refresh learns so.
    const list = await until(
      () => app.call('addresses.refresh', { identityId: id.id }),
      (l) => l[0]?.status === 'closed',
    );
    expect(list[0]!.address).toBe(spend.address);
  });

  it('renews an address near expiry that has no open channel', async () => {
    const id = await app.call('identities.create', { name: 'Renewer', passphrase: PASS });
    await app.call('identities.setAutoRenew', { id: id.id, autoRenew: true });
    const embedded = (await app.call('trackers.list', {})).find((p) => p.embedded)!;
    await app.call('trackers.connect', { profileId: embedded.id, identityId: id.id });
    const renewed = nextEvent<{ identityId: string; closed: string; opened: string; kind: string }>(
      app.backend,
      'autoRenew.renewed',
      (p) => p.identityId === id.id,
      20_000,
    );
    const income = await app.call('addresses.open', { identityId: id.id, kind: 'income' });
    const r = await renewed;
    expect(r).toMatchObject({ closed: income.address, kind: 'income' });
    const list = await app.call('addresses.list', { identityId: id.id });
    expect(list.find((a) => a.address === income.address)?.status).toBe('closed');
    expect(list.find((a) => a.address === r.opened)?.status).toBe('open');
  });
});

describe('two apps co-signing through files on one tracker', () => {
  let tracker: LedgerProcess;
  let appA: TestApp;
  let appB: TestApp;
  beforeAll(async () => {
    tracker = await startLedger();
    appA = await startApp({ watch: false });
    appB = await startApp({ watch: false });
  });
  afterAll(async () => {
    await appA?.close();
    await appB?.close();
    await tracker?.stop();
  });

  it('the party that did not submit learns the timeLock and the settlement from the tracker', async () => {
    const alice = await appA.call('identities.create', { name: 'Alice', passphrase: PASS });
    const bob = await appB.call('identities.create', { name: 'Bob', passphrase: PASS });
    const pa = (await appA.call('trackers.add', { name: 'T', url: tracker.url })).id;
    const pb = (await appB.call('trackers.add', { name: 'T', url: tracker.url })).id;
    await connectTrusting(appA, pa, alice.id);
    await connectTrusting(appB, pb, bob.id);
    const spend = await appA.call('addresses.open', { identityId: alice.id, kind: 'spend' });
    const income = await appB.call('addresses.open', { identityId: bob.id, kind: 'income' });
    const draft = {
      channelId: 'two-apps',
      fromAddress: spend.address,
      toAddress: income.address,
      priceTokens: '1000',
      pricePower: 20,
      plannedQuantumCount: '3',
    };
    const offer = await appA.call('channels.createOffer', {
      identityId: alice.id,
      counterpartyPK: bob.publicPem,
      draft,
      role: 'payer',
    });
    const signed = await appB.call('channels.countersign', { content: offer.content, identityId: bob.id });
    expect((await appB.call('channels.list', { identityId: bob.id }))[0]).toMatchObject({
      channelId: 'two-apps',
      state: 'unknown',
      counterpartyIdentityId: null,
    });
    const opened = await appB.call('channels.submitFile', { content: signed.content });
    expect(opened.state).toBe('open');

    await appA.call('history.sync', { identityId: alice.id });
    await until(
      () => appA.call('history.query', { identityId: alice.id, filter: { channelId: 'two-apps' }, limit: 5 }),
      (p) => p.total === 1,
    );
    const [seen] = await appA.call('channels.refresh', { identityId: alice.id });
    expect(seen).toMatchObject({ channelId: 'two-apps', state: 'open', timeLock: opened.timeLock });

    const receipt = await appA.call('channels.createReceipt', {
      identityId: alice.id,
      channelId: 'two-apps',
      volume: '2000000',
    });
    const both = await appB.call('channels.countersign', { content: receipt.content, identityId: bob.id });
    await appB.call('channels.submitFile', { content: both.content });
    await appA.call('history.sync', { identityId: alice.id });
    await until(
      () => appA.call('history.query', { identityId: alice.id, filter: { channelId: 'two-apps' }, limit: 5 }),
      (p) => p.total === 2,
    );
    const [closed] = await appA.call('channels.refresh', { identityId: alice.id });
    // 2,000,000 bytes need 2 quanta of 2^20: 2,000 atoms.
    expect(closed).toMatchObject({
      state: 'closed',
      settlement: { quantumCount: '2', tokens: '2000', volume: '2000000' },
    });
  });
});
