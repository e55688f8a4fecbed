/**
 * Composes the main-process services into the API backend both transports serve: settings,
 * identities, the tracker connection (embedded tracker by default), the wallet (addresses and
 * channels), the history cache and sync. Imports nothing from `electron`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprintOf } from '../../../shared/crypto/keys';
import { ApiEvents, AppError, type ApiHandlers, type AppBackend } from '../api/backend';
import type { KeyProtection } from '../identities/protection';
import { Identities } from '../identities/service';
import { AutoLock, type AutoLockOptions } from '../identities/auto-lock';
import { AppSettings, createConfStore, type SettingsStoreLike } from '../settings/store';
import { HistoryCache } from '../history/cache';
import { Wallet } from '../channels/wallet';
import type { TrackerSessionOptions } from '../tracker/session';
import { ConnectionManager } from './connection';
import {
  embeddedTrackerArgs,
  launchEmbeddedTrackerNode,
  type EmbeddedTrackerLauncher,
} from './embedded-tracker';
import { stateStoreOf } from './state-store';
import { ensurePrivateFile, securePrivateDataDir } from '../files/private';
import { HistoryService } from './history-service';

export interface CreateBackendOptions {
  dataDir: string;
  mode: 'electron' | 'serve';
  /** safeStorage in Electron when available; absent: keys are protected by the user's passphrase. */
  keyProtection?: KeyProtection | null;
  settingsStore?: SettingsStoreLike;
  launchEmbeddedTracker?: EmbeddedTrackerLauncher;
  sessionOptions?: Partial<TrackerSessionOptions>;
  version?: string;
  /** Start the watcher timers (expiry warnings, refresh, auto-renew). Default true. */
  watch?: boolean;
  /** Auto-lock's clock and check period (tests); the idle time itself is a setting. */
  autoLock?: Pick<AutoLockOptions, 'now' | 'checkEveryMs'>;
}

function appVersion(): string {
  try {
    const pkg = fileURLToPath(new URL('../../../package.json', import.meta.url));
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const CACHE_FILE = 'cache.sqlite';
/** What the backend keeps in the data folder (Electron adds its own files beside them). */
const PRIVATE_ENTRIES = [
  'settings.json',
  ...['', '-wal', '-shm', '-journal'].map((suffix) => `${CACHE_FILE}${suffix}`),
  'exports',
  // The embedded tracker's database and key (embeddedTrackerArgs); the tracker creates them 0600.
  'tracker',
];

export async function createAppBackend(opts: CreateBackendOptions): Promise<AppBackend> {
  // Owner-only whatever the umask; entries an older version left readable are tightened.
  securePrivateDataDir(opts.dataDir, PRIVATE_ENTRIES);
  const exportsDir = join(opts.dataDir, 'exports');
  const events = new ApiEvents();
  const settings = new AppSettings(opts.settingsStore ?? createConfStore(opts.dataDir));
  const identities = new Identities(settings, opts.keyProtection ?? null, (list) =>
    events.emit('identities.changed', list),
  );
  const cachePath = join(opts.dataDir, CACHE_FILE);
  ensurePrivateFile(cachePath);
  const cache = new HistoryCache(cachePath);

  // eslint-disable-next-line prefer-const -- assigned after the connection that calls back into it
  let wallet: Wallet;
  // eslint-disable-next-line prefer-const
  let history: HistoryService;
  const connection = new ConnectionManager({
    settings,
    identities,
    events,
    launchEmbedded: opts.launchEmbeddedTracker ?? launchEmbeddedTrackerNode,
    embeddedArgs: embeddedTrackerArgs(opts.dataDir),
    ...(opts.sessionOptions ? { sessionOptions: opts.sessionOptions } : {}),
    onOnline: (identityId) => {
      void wallet.refreshAddresses(identityId).catch(() => undefined);
      void wallet.refreshChannels(identityId).catch(() => undefined);
      void wallet.refreshCommon(identityId).catch(() => undefined);
      void history.sync(identityId).catch(() => undefined);
    },
  });

  const scopeOf = (identityId: string): string | null => {
    const pinned = connection.profile()?.pinnedKey;
    const identity = identities.list().find((i) => i.id === identityId);
    return pinned && identity ? `${fingerprintOf(pinned)}|${identity.fingerprint}` : null;
  };

  wallet = new Wallet({
    identities,
    store: stateStoreOf(cache),
    events,
    settings,
    connection: () => connection.live(),
    scopeOf,
    syncHistory: async (identityId) => {
      await history.sync(identityId);
    },
  });
  history = new HistoryService({ cache, identities, events, connection, scopeOf, exportsDir });

  /** The tracker session keeps its identity's key for handshakes: a locked identity's session ends. */
  const endSessionIfLocked = async (): Promise<void> => {
    const active = identities.list().find((i) => i.id === connection.activeIdentityId);
    if (active && !active.unlocked) await connection.disconnect();
  };
  const lockAll = async () => {
    const list = identities.lockAll();
    await endSessionIfLocked();
    return list;
  };
  const autoLock = new AutoLock({
    identities,
    lockAll,
    minutes: () => settings.get().autoLockMinutes,
    ...opts.autoLock,
  });
  autoLock.start();
  if (opts.watch !== false) wallet.start();

  const h: ApiHandlers = {
    'app.activity': async () => ({}),
    'app.info': async () => ({
      version: opts.version ?? appVersion(),
      mode: opts.mode,
      dataDir: opts.dataDir,
      keyProtection: identities.keyProtection,
    }),
    'settings.get': async () => settings.get(),
    'settings.update': async (patch) => {
      const next = settings.update(patch);
      events.emit('settings.changed', next);
      return next;
    },

    'identities.list': async () => identities.list(),
    'identities.create': async (a) => identities.create(a.name, a.passphrase),
    'identities.import': async (a) => identities.import(a.name, a.pem, a.pemPassphrase, a.passphrase),
    'identities.export': async (a) => identities.export(a.id, a.exportPassphrase, a.passphrase),
    'identities.rename': async (a) => identities.rename(a.id, a.name),
    'identities.delete': async (a) => {
      if (connection.activeIdentityId === a.id) await connection.disconnect();
      return { deleted: identities.delete(a.id) };
    },
    'identities.unlock': async (a) => identities.unlock(a.id, a.passphrase),
    'identities.lock': async (a) => {
      const info = identities.lock(a.id);
      await endSessionIfLocked();
      return info;
    },
    'identities.lockAll': lockAll,
    'identities.setAutoRenew': async (a) => identities.setAutoRenew(a.id, a.autoRenew),

    'trackers.list': async () => settings.trackers(),
    'trackers.add': async (a) => {
      if (!/^wss?:\/\//.test(a.url))
        throw new AppError('INVALID_ARGUMENT', 'the URL must start with ws:// or wss://');
      const profile = {
        id: `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
        name: a.name,
        url: a.url,
        embedded: false,
        pinnedKey: null,
        pinnedFingerprint: null,
      };
      const list = [...settings.trackers(), profile];
      settings.saveTrackers(list);
      events.emit('trackers.changed', list);
      return profile;
    },
    'trackers.update': async (a) => {
      const list = settings.trackers();
      const p = list.find((x) => x.id === a.id);
      if (!p) throw new AppError('PROFILE_NOT_FOUND', 'no such tracker profile');
      if (a.url !== undefined && p.embedded)
        throw new AppError('INVALID_ARGUMENT', 'the embedded tracker has no URL to edit');
      if (a.url !== undefined && !/^wss?:\/\//.test(a.url)) {
        throw new AppError('INVALID_ARGUMENT', 'the URL must start with ws:// or wss://');
      }
      // A new URL may be another tracker: its key is pinned afresh on the next connection.
      const urlChanged = a.url !== undefined && a.url !== p.url;
      const next = {
        ...p,
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.url !== undefined ? { url: a.url } : {}),
        ...(urlChanged ? { pinnedKey: null, pinnedFingerprint: null } : {}),
      };
      const updated = list.map((x) => (x.id === a.id ? next : x));
      settings.saveTrackers(updated);
      events.emit('trackers.changed', updated);
      return next;
    },
    'trackers.remove': async (a) => {
      const list = settings.trackers();
      const p = list.find((x) => x.id === a.id);
      if (!p) return { removed: false };
      if (p.embedded) throw new AppError('INVALID_ARGUMENT', 'the embedded tracker cannot be removed');
      if (connection.status.profileId === a.id) await connection.disconnect();
      const next = list.filter((x) => x.id !== a.id);
      settings.saveTrackers(next);
      events.emit('trackers.changed', next);
      return { removed: true };
    },
    'trackers.connect': async (a) => connection.connect(a.profileId, a.identityId),
    'trackers.disconnect': async () => connection.disconnect(),
    'trackers.status': async () => connection.status,
    'trackers.acceptKey': async (a) => connection.acceptKey(a.profileId, a.fingerprint),

    'addresses.list': async (a) => wallet.listAddresses(a.identityId),
    'addresses.open': async (a) => wallet.openAddress(a.identityId, a.kind),
    'addresses.close': async (a) => wallet.closeAddress(a.identityId, a.address),
    'addresses.refresh': async (a) => wallet.refreshAddresses(a.identityId),
    'common.state': async (a) =>
      connection.live() ? await wallet.refreshCommon(a.identityId) : wallet.cachedCommon(a.identityId),

    'channels.list': async (a) => wallet.listChannels(a.identityId),
    'channels.preview': async (a) => wallet.preview(a.identityId, a.draft),
    'channels.openLocal': async (a) => wallet.openLocal(a.payerId, a.payeeId, a.draft),
    'channels.previewClose': async (a) => wallet.previewClose(a.channelId, a.volume),
    'channels.closeLocal': async (a) => wallet.closeLocal(a.channelId, a.volume),
    'channels.createOffer': async (a) => wallet.createOffer(a.identityId, a.counterpartyPK, a.draft, a.role),
    'channels.createReceipt': async (a) => wallet.createReceipt(a.identityId, a.channelId, a.volume),
    'channels.reviewFile': async (a) => wallet.reviewFile(a.content),
    'channels.countersign': async (a) => wallet.countersign(a.content, a.identityId),
    'channels.submitFile': async (a) => wallet.submitFile(a.content),
    'channels.refresh': async (a) => wallet.refreshChannels(a.identityId),

    'history.query': async (a) => history.query(a),
    'history.item': async (a) => history.item(a.identityId, a.txId),
    'history.sync': async (a) => history.startSync(a.identityId),
    'history.syncStatus': async (a) => history.status(a.identityId),
    'history.exportCsv': async (a) => history.exportCsv(a.identityId, a.filter),
    'history.chart': async (a) => history.chart(a.identityId, a.buckets),
  };

  return {
    handlers: h,
    events,
    noteRequest: (name) => autoLock.noteRequest(name),
    close: async () => {
      autoLock.stop();
      wallet.stop();
      await history.close();
      await connection.close();
      cache.close();
    },
  };
}
