/**
 * Composes the main-process services into the API backend both transports serve: settings,
 * identities, tracker profiles and the connection (embedded tracker by default), the wallet
 * (addresses, channels, offer files, the watcher), the history cache and sync, and the one
 * reconciliation path that keeps them in step with the tracker. Imports nothing from `electron`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiEvents, type AppBackend } from '../api/backend';
import { WalletBackup, type BackupLabelsPort, type FileDialogs } from '../backup/wallet-backup';
import { AddressBook } from '../channels/address-book';
import { AddressStates } from '../channels/address-states';
import { ChannelBook } from '../channels/channel-book';
import { ChannelStates } from '../channels/channel-states';
import { Drafts } from '../channels/drafts';
import { TransferFiles } from '../channels/transfer-files';
import { WalletContext } from '../channels/wallet-context';
import { Watcher } from '../channels/watcher';
import { ContactBook } from '../contacts/contact-book';
import { ensurePrivateFile, securePrivateDataDir } from '../files/private';
import { HistoryCache } from '../history/cache';
import { LabelStore } from '../labels/label-store';
import { Labels } from '../labels/service';
import { AutoLock, type AutoLockOptions } from '../identities/auto-lock';
import type { KeyProtection } from '../identities/protection';
import { Identities } from '../identities/service';
import { AppSettings, createConfStore, type SettingsStoreLike } from '../settings/store';
import type { TrackerSessionOptions } from '../tracker/session';
import { apiHandlers } from './api-handlers';
import { CacheScopes } from './cache-scope';
import { ConnectionManager } from './connection';
import {
  embeddedTrackerArgs,
  launchEmbeddedTrackerNode,
  type EmbeddedTrackerLauncher,
} from './embedded-tracker';
import { HistoryService } from './history-service';
import { Reconciler } from './reconciler';
import { TrackerProfiles } from './tracker-profiles';

export interface CreateBackendOptions {
  dataDir: string;
  mode: 'electron' | 'serve';
  /** safeStorage in Electron when available; absent: keys are protected by the user's passphrase. */
  keyProtection?: KeyProtection | null;
  settingsStore?: SettingsStoreLike;
  launchEmbeddedTracker?: EmbeddedTrackerLauncher;
  sessionOptions?: Partial<TrackerSessionOptions>;
  version?: string;
  /** Start the watcher timers (expiry warnings, periodic refresh, auto-renew). Default true. */
  watch?: boolean;
  /** How often the watcher reconciles every unlocked identity (default DEFAULT_REFRESH_INTERVAL_MS). */
  refreshIntervalMs?: number;
  /** Auto-lock's clock and check period (tests); the idle time itself is a setting. */
  autoLock?: Pick<AutoLockOptions, 'now' | 'checkEveryMs'>;
  /** Electron's native save and open dialogs (backups); absent: the page's download and file input. */
  fileDialogs?: FileDialogs;
  /** The owner's labels, which backups carry (the labels service); absent: backups hold no labels. */
  labels?: BackupLabelsPort;
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
/** The owner's labels: a file of their own, kept when the cache is dropped and fetched again. */
const LABELS_FILE = 'labels.sqlite';
const SQLITE_SUFFIXES = ['', '-wal', '-shm', '-journal'];
/** What the backend keeps in the data folder (Electron adds its own files beside them). */
const PRIVATE_ENTRIES = [
  'settings.json',
  ...SQLITE_SUFFIXES.map((suffix) => `${CACHE_FILE}${suffix}`),
  ...SQLITE_SUFFIXES.map((suffix) => `${LABELS_FILE}${suffix}`),
  'exports',
  // The embedded tracker's database and key (embeddedTrackerArgs); the tracker creates them 0600.
  'tracker',
];

export async function createAppBackend(opts: CreateBackendOptions): Promise<AppBackend> {
  // Owner-only whatever the umask; entries an older version left readable are tightened.
  securePrivateDataDir(opts.dataDir, PRIVATE_ENTRIES);
  const events = new ApiEvents();
  const settings = new AppSettings(opts.settingsStore ?? createConfStore(opts.dataDir));
  const identities = new Identities(settings, opts.keyProtection ?? null, (list) =>
    events.emit('identities.changed', list),
  );
  const profiles = new TrackerProfiles(settings, events);
  const contacts = new ContactBook(settings, identities, (list) => events.emit('contacts.changed', list));
  const labelsPath = join(opts.dataDir, LABELS_FILE);
  ensurePrivateFile(labelsPath);
  const labelStore = new LabelStore(labelsPath);
  const labels = new Labels(labelStore, events);
  const cachePath = join(opts.dataDir, CACHE_FILE);
  ensurePrivateFile(cachePath);
  const cache = new HistoryCache(cachePath, { labelsPath });
  // A search by label counts again once labels change.
  labelStore.onChange(() => cache.labelsChanged());
  const connection = new ConnectionManager({
    settings,
    identities,
    profiles,
    events,
    launchEmbedded: opts.launchEmbeddedTracker ?? launchEmbeddedTrackerNode,
    embeddedArgs: embeddedTrackerArgs(opts.dataDir),
    ...(opts.sessionOptions ? { sessionOptions: opts.sessionOptions } : {}),
  });
  const scopes = new CacheScopes({ profiles, identities, viewProfileId: () => connection.viewProfileId });
  const scopeOf = (identityId: string) => scopes.of(identityId);
  const history = new HistoryService({
    cache,
    identities,
    events,
    connection,
    scopeOf,
    trackerKey: () => profiles.find(connection.viewProfileId)?.pinnedKey ?? null,
    exportsDir: join(opts.dataDir, 'exports'),
  });
  const wallet = new WalletContext({
    identities,
    store: cache.states,
    facts: cache.transactions,
    events,
    connection: () => connection.live(),
    generation: () => connection.generation,
    scopeOf,
    viewProfileId: () => connection.viewProfileId,
  });
  const reconciler = new Reconciler({
    ctx: wallet,
    addresses: new AddressStates(wallet),
    channels: new ChannelStates(wallet),
    syncHistory: (identityId) => history.sync(identityId),
  });
  // Coming online (also after a tracker switch or an accepted key): every unlocked identity.
  connection.onOnline(() => void reconciler.reconcileUnlocked('online'));
  const addresses = new AddressBook(wallet, reconciler);
  const channels = new ChannelBook(wallet, reconciler);
  const watcher = new Watcher({
    ctx: wallet,
    events,
    settings,
    addresses,
    reconcileUnlocked: (reason) => reconciler.reconcileUnlocked(reason),
    ...(opts.refreshIntervalMs !== undefined ? { refreshIntervalMs: opts.refreshIntervalMs } : {}),
  });
  if (opts.watch !== false) watcher.start();

  /** The tracker session keeps its identity's key for handshakes: a locked identity's session ends. */
  const lockAll = async () => {
    const list = identities.lockAll();
    await connection.endSessionIfLocked();
    return list;
  };
  const autoLock = new AutoLock({
    identities,
    lockAll,
    minutes: () => settings.get().autoLockMinutes,
    ...opts.autoLock,
  });
  autoLock.start();

  const version = opts.version ?? appVersion();
  const backup = new WalletBackup({
    settings,
    identities,
    contacts,
    profiles,
    events,
    labels: opts.labels ?? labels,
    appVersion: version,
    exportsDir: join(opts.dataDir, 'exports'),
    dialogs: opts.fileDialogs ?? null,
  });

  const handlers = apiHandlers({
    info: { version, mode: opts.mode, dataDir: opts.dataDir },
    settings,
    events,
    identities,
    contacts,
    backup,
    lockAll,
    profiles,
    connection,
    wallet,
    addresses,
    channels,
    drafts: new Drafts(wallet),
    files: new TransferFiles(wallet, channels),
    reconciler,
    history,
    labels,
  });

  return {
    handlers,
    events,
    noteRequest: (name) => autoLock.noteRequest(name),
    close: async () => {
      autoLock.stop();
      watcher.stop();
      await reconciler.idle();
      await history.close();
      await connection.close();
      cache.close();
      labelStore.close();
    },
  };
}
