/**
 * Everything the UI shows is scoped by (tracker, identity): the renderer's stores driven by a real
 * backend (in process, as the transports deliver it) and real trackers, through a switch to another
 * reachable tracker, to an unreachable one, and an edit of the active tracker's URL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { createPinia, setActivePinia } from 'pinia';
import { connectTrusting, startApp, until, record, type TestApp } from '../helpers/backend';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import type { ApiTransport } from '../../shared/api/contract';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import { useSettingsStore } from '../../renderer/src/stores/settings';
import { useAddressesStore } from '../../renderer/src/stores/addresses';
import { useChannelsStore } from '../../renderer/src/stores/channels';
import { useHistoryStore } from '../../renderer/src/stores/history';

const PASS = 'correct horse battery';

function inProcess(app: TestApp): ApiTransport {
  return {
    invoke: (name, args) => app.call(name, args),
    on: (event, listener) => app.backend.events.on(event, listener),
  };
}

/** A 127.0.0.1 port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The renderer's stores on a fresh Pinia, bound to the backend's events. */
async function renderer(app: TestApp) {
  setActivePinia(createPinia());
  setTransport(inProcess(app));
  const s = {
    session: useSessionStore(),
    settings: useSettingsStore(),
    addresses: useAddressesStore(),
    channels: useChannelsStore(),
    history: useHistoryStore(),
  };
  const offs = [
    s.settings.bindEvents(),
    s.session.bindEvents(),
    s.addresses.bindEvents(),
    s.channels.bindEvents(),
    s.history.bindEvents(),
  ];
  await s.session.init();
  // init reconnects to the last tracker and identity: let that finish before the test acts.
  await until(
    () => s.session.connecting,
    (busy) => !busy,
  );
  return { ...s, unbind: () => offs.forEach((off) => off()) };
}
type Ui = Awaited<ReturnType<typeof renderer>>;

/** The owner confirms a remote tracker's key at the first connection (the dialog's Trust button). */
async function trustFirstKey(ui: Ui): Promise<void> {
  expect(ui.session.status.state).toBe('key_new');
  await ui.session.acceptKey();
  await until(
    () => ui.session.status.state,
    (s) => s === 'online',
  );
}

/** Lets the stores finish what the last events started (their loads are in-process promises). */
async function settled(ui: Ui): Promise<void> {
  await until(
    () => ui.addresses.loading || ui.channels.loading || ui.history.loading,
    (busy) => !busy,
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

describe('a tracker switch shows only the new tracker’s data', () => {
  let t1: LedgerProcess;
  let t2: LedgerProcess;
  let app: TestApp;
  let ui: Ui | null = null;

  beforeAll(async () => {
    [t1, t2] = await Promise.all([startLedger(), startLedger()]);
    app = await startApp({ watch: false });
  });
  afterEach(() => {
    ui?.unbind();
    ui = null;
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([t1?.stop(), t2?.stop()]);
  });

  /** A fresh identity on T1 with one spend address, its card and history row on screen. */
  async function onFirstTracker(name: string) {
    ui = await renderer(app);
    const me = await ui.session.createIdentity(name, PASS);
    const first = await ui.session.addTracker(`T1 ${name}`, t1.url);
    await ui.session.connect(first.id, me.id);
    await trustFirstKey(ui);
    const spend = await ui.addresses.open('spend');
    await ui.history.sync();
    const u = ui;
    await until(
      () => u.history.items.length,
      (n) => n === 1,
    );
    expect(ui.addresses.list.map((a) => a.address)).toEqual([spend.address]);
    return { ui, me, spend, txId: ui.history.items[0]!.txId };
  }

  it('to a reachable tracker: no card or history row of the previous one', async () => {
    const { ui, me, spend, txId } = await onFirstTracker('Switcher');
    const second = await ui.session.addTracker('T2', t2.url);
    await ui.session.switchTracker(second.id);
    await trustFirstKey(ui);
    expect(ui.session.status).toMatchObject({ profileId: second.id, state: 'online' });
    // The new tracker's first sync ran (it has nothing for this identity yet).
    await until(
      () => app.call('history.syncStatus', { identityId: me.id }),
      (s) => !s.running && s.lastSyncedAt !== null,
    );
    await settled(ui);
    expect(ui.addresses.list.map((a) => a.address)).not.toContain(spend.address);
    expect(ui.history.items.map((i) => i.txId)).not.toContain(txId);
    expect(ui.history.total).toBe(0);
  });

  it('to an unreachable tracker: nothing of the previous one, also while it retries', async () => {
    const { ui, spend, txId } = await onFirstTracker('Stranded');
    const dead = await ui.session.addTracker('Gone', `ws://127.0.0.1:${await deadPort()}`);
    await ui.session.switchTracker(dead.id);
    await until(
      () => ui.session.status,
      (s) => s.profileId === dead.id && (s.state === 'reconnecting' || s.state === 'offline'),
    );
    await settled(ui);
    expect(ui.addresses.list.map((a) => a.address)).not.toContain(spend.address);
    expect(ui.addresses.common).toBeNull();
    expect(ui.history.items.map((i) => i.txId)).not.toContain(txId);
    expect(ui.history.items).toHaveLength(0);
  });
});

describe('the connection to the active tracker', () => {
  let t1: LedgerProcess;
  let t2: LedgerProcess;
  let app: TestApp;

  beforeAll(async () => {
    [t1, t2] = await Promise.all([startLedger(), startLedger()]);
    app = await startApp({ watch: false });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([t1?.stop(), t2?.stop()]);
  });

  it('editing the active tracker’s URL dials the new URL at once', async () => {
    const me = await app.call('identities.create', { name: 'Editor', passphrase: PASS });
    const profile = await app.call('trackers.add', { name: 'Moving', url: t1.url });
    expect((await connectTrusting(app, profile.id, me.id)).state).toBe('online');
    const oldPin = (await app.call('trackers.list', {})).find((p) => p.id === profile.id)!.pinnedFingerprint;
    const dialled = () => t2.logs.filter((l) => l.event === 'connection').length;
    const before = dialled();
    await app.call('trackers.update', { id: profile.id, url: t2.url });
    await until(dialled, (n) => n > before);
    // A new URL may be another tracker: its key is shown for confirmation again, not pinned silently.
    const offered = await until(
      () => app.call('trackers.status', {}),
      (s) => s.state === 'key_new',
    );
    expect(
      (await app.call('trackers.list', {})).find((p) => p.id === profile.id)!.pinnedFingerprint,
    ).toBeNull();
    await app.call('trackers.acceptKey', { profileId: profile.id, fingerprint: offered.offeredFingerprint! });
    const status = await until(
      () => app.call('trackers.status', {}),
      (s) => s.state === 'online',
    );
    expect(status.profileId).toBe(profile.id);
    const pinned = (await app.call('trackers.list', {})).find((p) => p.id === profile.id)!.pinnedFingerprint;
    expect(pinned).toBeTruthy();
    expect(pinned).not.toBe(oldPin);
  });

  it('the status keeps the last connection error, in words, while it retries', async () => {
    const me = await app.call('identities.create', { name: 'Retrier', passphrase: PASS });
    const profile = await app.call('trackers.add', {
      name: 'Nobody home',
      url: `ws://127.0.0.1:${await deadPort()}`,
    });
    const statuses = record(app.backend, 'connection');
    await app.call('trackers.connect', { profileId: profile.id, identityId: me.id });
    // Two failed attempts, so a retry's "connecting" came in between.
    await until(
      () => statuses.all.filter((s) => s.profileId === profile.id && s.state === 'reconnecting').length,
      (n) => n >= 2,
    );
    statuses.stop();
    const mine = statuses.all.filter((s) => s.profileId === profile.id);
    const firstFailure = mine.findIndex((s) => s.error !== null);
    expect(firstFailure).toBeGreaterThanOrEqual(0);
    for (const s of mine.slice(firstFailure)) {
      expect(s.error).toMatch(/refused/i);
      expect(s.error).not.toMatch(/^[A-Z_]+:/);
      expect(s.error).not.toMatch(/ECONNREFUSED/);
    }
    await app.call('trackers.disconnect', {});
  });
});
