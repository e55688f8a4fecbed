/**
 * Auto-lock over the real backend (createAppBackend, real settings file, the embedded tracker): after
 * `autoLockMinutes` (default 15) without user intent every identity is locked: its decrypted key is
 * dropped and the tracker session holding it ends. Reads the renderer makes on its own do not count
 * as intent; actions and the renderer's activity pings do. The clock is injected; the check runs
 * on its own short timer, as in the app.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus, IdentityInfo } from '../../shared/api/models';
import { nextEvent, startApp, type TestApp } from '../helpers/backend';

const PASS = 'correct horse battery';
const MINUTE = 60_000;
const CHECK_MS = 20;

/** Long enough for the check timer to have run several times. */
const severalChecks = (): Promise<void> => new Promise((r) => setTimeout(r, CHECK_MS * 10));

describe('auto-lock after idle time', () => {
  let app: TestApp;
  let clock: number;
  let alice: IdentityInfo;

  const unlocked = async (): Promise<boolean> => (await app.call('identities.list', {}))[0]!.unlocked;
  const lockedEvent = () =>
    nextEvent<IdentityInfo[]>(app.backend, 'identities.changed', (list) => list.every((i) => !i.unlocked));

  beforeEach(async () => {
    clock = 1_800_000_000_000;
    app = await startApp({ watch: false, autoLock: { now: () => clock, checkEveryMs: CHECK_MS } });
    alice = await app.call('identities.create', { name: 'Alice', passphrase: PASS });
  });
  afterEach(async () => {
    await app?.close();
  });

  it('locks after 15 idle minutes by default; the renderer’s own reads do not hold it off', async () => {
    expect((await app.call('settings.get', {})).autoLockMinutes).toBe(15);
    expect(alice.unlocked).toBe(true);
    clock += 14 * MINUTE;
    for (const read of ['identities.list', 'settings.get', 'trackers.status', 'app.info'] as const) {
      await app.call(read, {});
    }
    await app.call('history.query', { identityId: alice.id, filter: {}, limit: 10 });
    await severalChecks();
    expect(await unlocked()).toBe(true);

    const locked = lockedEvent();
    clock += MINUTE + 1000;
    await locked;
    expect(await unlocked()).toBe(false);
    // Signing needs the passphrase again.
    await expect(
      app.call('trackers.connect', { profileId: 'embedded', identityId: alice.id }),
    ).rejects.toMatchObject({ code: 'LOCKED' });
  });

  it('an action or an activity ping counts as the user being there', async () => {
    clock += 10 * MINUTE;
    await app.call('app.activity', {});
    clock += 10 * MINUTE;
    await severalChecks();
    expect(await unlocked()).toBe(true);
    await app.call('settings.update', { theme: 'dark' });
    clock += 14 * MINUTE;
    await severalChecks();
    expect(await unlocked()).toBe(true);
    const locked = lockedEvent();
    clock += 2 * MINUTE;
    await locked;
  });

  it('follows the setting: 0 never locks, 1 locks after a minute', async () => {
    await app.call('settings.update', { autoLockMinutes: 0 });
    clock += 30 * 24 * 60 * MINUTE;
    await severalChecks();
    expect(await unlocked()).toBe(true);

    await app.call('settings.update', { autoLockMinutes: 1 });
    const locked = lockedEvent();
    clock += MINUTE;
    await locked;
    await expect(app.call('settings.update', { autoLockMinutes: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('ends the tracker session that holds the key, and comes back after unlocking', async () => {
    const status = await app.call('trackers.connect', { profileId: 'embedded', identityId: alice.id });
    expect(status.state).toBe('online');
    const idle = nextEvent<ConnectionStatus>(app.backend, 'connection', (s) => s.state === 'idle');
    const locked = lockedEvent();
    clock += 16 * MINUTE;
    await locked;
    await idle;
    expect((await app.call('trackers.status', {})).state).toBe('idle');

    await app.call('identities.unlock', { id: alice.id, passphrase: PASS });
    const again = await app.call('trackers.connect', { profileId: 'embedded', identityId: alice.id });
    expect(again.state).toBe('online');
  });

  it('“Lock all” does the same at once', async () => {
    const list = await app.call('identities.lockAll', {});
    expect(list.map((i) => i.unlocked)).toEqual([false]);
    expect(await unlocked()).toBe(false);
  });
});
