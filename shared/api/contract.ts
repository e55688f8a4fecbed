/**
 * The one API contract between the main process and the renderer. Both transports derive from it:
 * Electron IPC (preload + ipcMain.handle) and the WebSocket bridge of the plain-Node host. Every
 * argument and result is validated against these schemas on the main side. Pure: renderer-safe.
 */
import { z } from 'zod';
import {
  addressView,
  channelDraft,
  channelPreview,
  channelView,
  chartPoint,
  closePreview,
  commonStateView,
  connectionStatus,
  fileReview,
  historyFilter,
  historyItem,
  historyPage,
  historyQuery,
  identityInfo,
  runningBalance,
  settings,
  syncStatus,
  textFile,
  trackerProfile,
} from './models';
import { backupOpened, backupSaved, MAX_BACKUP_FILE_BYTES, restorePlan } from './backup';
import { contactInfo, contactName } from './contacts';
import { label, labelImportResult, labelRef, labelType, LABELS_FILE_MAX_BYTES } from './labels';

const id = z.string().min(1).max(128);
const name = z.string().trim().min(1, 'a name is needed').max(100);
const passphrase = z.string().min(8, 'at least 8 characters').max(1024);
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, 'a whole number of atoms or bytes');
const none = z.object({}).strict().default({});
const pemText = z
  .string()
  .min(1)
  .max(64 * 1024);
const fileText = z
  .string()
  .min(1)
  .max(256 * 1024);
const backupText = z.string().min(1).max(MAX_BACKUP_FILE_BYTES);

function method<A extends z.ZodType, R extends z.ZodType>(args: A, result: R) {
  return { args, result };
}

export const requests = {
  'app.info': method(
    none,
    z.object({
      version: z.string(),
      mode: z.enum(['electron', 'serve']),
      dataDir: z.string(),
      keyProtection: z.enum(['safeStorage', 'passphrase']),
    }),
  ),

  /** Sent by the renderer on keyboard and pointer input (throttled): the user is here (auto-lock). */
  'app.activity': method(none, z.object({})),

  'settings.get': method(none, settings),
  'settings.update': method(settings.partial().strict(), settings),

  'identities.list': method(none, z.array(identityInfo)),
  'identities.create': method(z.object({ name, passphrase: passphrase.optional() }), identityInfo),
  'identities.import': method(
    z.object({
      name,
      pem: pemText,
      /** Passphrase of an encrypted PKCS#8 PEM. */
      pemPassphrase: z.string().max(1024).optional(),
      /** Passphrase to protect the key at rest where safeStorage is unavailable. */
      passphrase: passphrase.optional(),
    }),
    identityInfo,
  ),
  /**
   * Writes a passphrase-encrypted PKCS#8 PEM; the key itself never reaches the renderer. A
   * passphrase identity must give its own passphrase again (`passphrase`), unlocked or not.
   */
  'identities.export': method(
    z.object({ id, passphrase: z.string().min(1).max(1024).optional(), exportPassphrase: passphrase }),
    textFile,
  ),
  'identities.rename': method(z.object({ id, name }), identityInfo),
  /** `confirmName`: the identity's name typed again by the owner (NAME_MISMATCH otherwise). */
  'identities.delete': method(
    z.object({ id, confirmName: z.string().max(200) }),
    z.object({ deleted: z.boolean() }),
  ),
  'identities.unlock': method(z.object({ id, passphrase: z.string().min(1).max(1024) }), identityInfo),
  'identities.lock': method(z.object({ id }), identityInfo),
  /** Drops every decrypted key from memory (what auto-lock does). */
  'identities.lockAll': method(none, z.array(identityInfo)),
  'identities.setAutoRenew': method(z.object({ id, autoRenew: z.boolean() }), identityInfo),

  'contacts.list': method(none, z.array(contactInfo)),
  'contacts.add': method(z.object({ name: contactName, publicPem: pemText }), contactInfo),
  'contacts.rename': method(z.object({ id, name: contactName }), contactInfo),
  'contacts.delete': method(z.object({ id }), z.object({ deleted: z.boolean() })),

  /**
   * Encrypts the whole wallet with `passphrase` into one file: saved through the native dialog in
   * Electron (`cancelled` when closed), else written to the exports folder for the page to download.
   */
  'backup.create': method(z.object({ passphrase }), backupSaved),
  /** Electron: a backup file chosen in the native open dialog (null: cancelled). */
  'backup.pickFile': method(none, z.object({ fileName: z.string(), content: z.string() }).nullable()),
  /**
   * Opens a backup file with its passphrase: its summary and what restoring it here would do. The
   * identities whose keys it holds count as backed up from then on.
   */
  'backup.open': method(
    z.object({ content: backupText, passphrase: z.string().min(1).max(1024) }),
    backupOpened,
  ),
  /** Restores what `backup.open` previewed in `mode` (RESTORE_CHANGED when the wallet changed since). */
  'backup.restore': method(
    z.object({
      content: backupText,
      passphrase: z.string().min(1).max(1024),
      mode: z.enum(['new', 'merge']),
    }),
    restorePlan,
  ),

  'trackers.list': method(none, z.array(trackerProfile)),
  'trackers.add': method(z.object({ name, url: z.string().url().max(2048) }), trackerProfile),
  'trackers.update': method(
    z.object({ id, name: name.optional(), url: z.string().url().max(2048).optional() }),
    trackerProfile,
  ),
  'trackers.remove': method(z.object({ id }), z.object({ removed: z.boolean() })),
  'trackers.connect': method(z.object({ profileId: id, identityId: id }), connectionStatus),
  'trackers.disconnect': method(none, connectionStatus),
  'trackers.status': method(none, connectionStatus),
  /**
   * Pins the key the tracker presents, after the owner reviewed it (first connection to a remote
   * tracker, or a changed key), and reconnects.
   */
  'trackers.acceptKey': method(z.object({ profileId: id, fingerprint: z.string() }), connectionStatus),

  'addresses.list': method(z.object({ identityId: id }), z.array(addressView)),
  'addresses.open': method(z.object({ identityId: id, kind: z.enum(['spend', 'income']) }), addressView),
  'addresses.close': method(z.object({ identityId: id, address: z.string().max(128) }), addressView),
  'addresses.refresh': method(z.object({ identityId: id }), z.array(addressView)),
  'common.state': method(z.object({ identityId: id }), commonStateView.nullable()),

  'channels.list': method(z.object({ identityId: id }), z.array(channelView)),
  'channels.preview': method(z.object({ identityId: id, draft: channelDraft }), channelPreview),
  /** Both identities are local: sign both sides and submit. */
  'channels.openLocal': method(z.object({ payerId: id, payeeId: id, draft: channelDraft }), channelView),
  'channels.previewClose': method(z.object({ channelId: z.string(), volume: decimal }), closePreview),
  'channels.closeLocal': method(z.object({ channelId: z.string(), volume: decimal }), channelView),
  /** Offer file for a counterparty: the contract signed by this identity. */
  'channels.createOffer': method(
    z.object({
      identityId: id,
      counterpartyPK: pemText,
      draft: channelDraft,
      role: z.enum(['payer', 'payee']),
    }),
    textFile,
  ),
  /** Receipt file closing a channel: the close message signed by this identity. */
  'channels.createReceipt': method(
    z.object({ identityId: id, channelId: z.string(), volume: decimal }),
    textFile,
  ),
  'channels.reviewFile': method(z.object({ content: fileText }), fileReview),
  'channels.countersign': method(z.object({ content: fileText, identityId: id }), textFile),
  'channels.submitFile': method(z.object({ content: fileText }), channelView),
  'channels.refresh': method(z.object({ identityId: id }), z.array(channelView)),

  'history.query': method(historyQuery, historyPage),
  'history.item': method(
    z.object({ identityId: id, txId: z.string().max(128) }),
    z.object({
      item: historyItem.nullable(),
      parent: historyItem.nullable(),
      children: z.array(historyItem),
      /** Each own address of the item: its balance before and after it, over the cached history. */
      balances: z.array(runningBalance),
      /** Whether the cache holds the whole history (else balances count only what is cached). */
      complete: z.boolean(),
    }),
  ),
  'history.sync': method(z.object({ identityId: id }), syncStatus),
  'history.syncStatus': method(z.object({ identityId: id }), syncStatus),
  'history.exportCsv': method(
    z.object({ identityId: id, filter: historyFilter.default({}) }),
    z.object({ fileName: z.string(), path: z.string(), rows: z.number().int() }),
  ),
  /** Buckets over the cached history, or over [fromTime, toTime] (the chart zoomed in). */
  'history.chart': method(
    z
      .object({
        identityId: id,
        buckets: z.number().int().min(2).max(1000).default(30),
        fromTime: z.number().int().nonnegative().optional(),
        toTime: z.number().int().nonnegative().optional(),
      })
      .refine((a) => a.fromTime === undefined || a.toTime === undefined || a.fromTime <= a.toTime, {
        message: 'fromTime must not be after toTime',
      }),
    z.array(chartPoint),
  ),

  /** The owner's labels (shared/api/labels.ts): of one type, of some refs, or all of them. */
  'labels.list': method(
    z.object({ type: labelType.optional(), refs: z.array(labelRef).max(1000).optional() }).strict(),
    z.array(label),
  ),
  /** Adds or replaces a label (trimmed); returns it as stored. */
  'labels.set': method(label, label),
  'labels.clear': method(z.object({ type: labelType, ref: labelRef }), z.object({ cleared: z.boolean() })),
  /** Every label as BIP-329 JSON lines. */
  'labels.export': method(none, textFile),
  /** A JSON-lines file: all or nothing (see labelImportResult). */
  'labels.import': method(z.object({ content: z.string().max(LABELS_FILE_MAX_BYTES) }), labelImportResult),
} as const;

export type RequestName = keyof typeof requests;

/**
 * Reads the renderer makes on its own (loading a screen, reacting to an event): they are not the
 * user's intent, so they do not hold off auto-lock. Every other request is.
 */
export const PASSIVE_REQUESTS: ReadonlySet<RequestName> = new Set<RequestName>([
  'app.info',
  'settings.get',
  'identities.list',
  'contacts.list',
  'trackers.list',
  'trackers.status',
  'addresses.list',
  'common.state',
  'channels.list',
  'history.query',
  'history.item',
  'history.syncStatus',
  'history.chart',
  'labels.list',
]);
export type RequestArgs<N extends RequestName> = z.input<(typeof requests)[N]['args']>;
export type ParsedArgs<N extends RequestName> = z.output<(typeof requests)[N]['args']>;
export type RequestResult<N extends RequestName> = z.output<(typeof requests)[N]['result']>;

/**
 * Data events name the identity and the tracker profile they are about: the renderer shows only the
 * pair it displays (everything shown is scoped by tracker and identity).
 */
const scoped = { identityId: id, profileId: z.string().nullable() };

/** Every event is emitted once; the Electron shell maps some of them to native notifications. */
export const events = {
  connection: connectionStatus,
  'addresses.changed': z.object({ ...scoped, addresses: z.array(addressView) }),
  'channels.changed': z.object({ ...scoped, channels: z.array(channelView) }),
  'common.changed': z.object({ ...scoped, state: commonStateView }),
  'expiry.warning': z.object({
    identityId: id,
    kind: z.enum(['spend', 'income', 'channel']),
    target: z.string(),
    timeLock: z.number(),
  }),
  'expiry.expired': z.object({
    identityId: id,
    kind: z.enum(['spend', 'income', 'channel']),
    target: z.string(),
  }),
  'autoRenew.renewed': z.object({
    identityId: id,
    kind: z.enum(['spend', 'income']),
    closed: z.string(),
    opened: z.string(),
  }),
  'autoRenew.failed': z.object({
    identityId: id,
    kind: z.enum(['spend', 'income']),
    address: z.string(),
    error: z.string(),
  }),
  'sync.progress': syncStatus.extend({ profileId: z.string().nullable() }),
  'identities.changed': z.array(identityInfo),
  'contacts.changed': z.array(contactInfo),
  'trackers.changed': z.array(trackerProfile),
  'settings.changed': settings,
  /** Labels were set, cleared, imported or restored; `count`: how many there are now. */
  'labels.changed': z.object({ count: z.number().int() }),
} as const;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export function isRequestName(n: unknown): n is RequestName {
  return typeof n === 'string' && Object.hasOwn(requests, n);
}

export function isEventName(n: unknown): n is EventName {
  return typeof n === 'string' && Object.hasOwn(events, n);
}

/** An error crossing the boundary: a stable code the renderer translates, and the plain text. */
export const apiError = z.object({ code: z.string(), message: z.string() });
export type ApiErrorShape = z.infer<typeof apiError>;

/** What the renderer sees as `window.api` in Electron and as the bridge client in a browser. */
export interface ApiTransport {
  invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Envelope of the WebSocket bridge. */
export const bridgeRequest = z.object({
  id: z.number().int(),
  method: z.string().max(64),
  args: z.unknown(),
});
export const bridgeMessage = z.union([
  z.object({ id: z.number().int(), result: z.unknown() }),
  z.object({ id: z.number().int(), error: apiError }),
  z.object({ event: z.string(), payload: z.unknown() }),
]);
