/**
 * The data the main process shows the renderer. Money and byte counts are decimal strings (uint64:
 * format them with bigint); times are epoch milliseconds. Pure: safe for the renderer.
 */
import { z } from 'zod';

const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/);
/** A balance computed from the cache: negative only while the cached history misses older items. */
const signedDecimal = z.string().regex(/^-?(0|[1-9][0-9]*)$/);
const id = z.string().min(1).max(128);

export const identityInfo = z.object({
  id,
  name: z.string(),
  publicPem: z.string(),
  commonAddress: z.string(),
  /** SHA-256 of the SPKI DER, hex, grouped: what a user compares. */
  fingerprint: z.string(),
  protection: z.enum(['safeStorage', 'passphrase']),
  /** A passphrase identity must be unlocked before it can sign. */
  unlocked: z.boolean(),
  autoRenew: z.boolean(),
  createdAt: z.number(),
  /**
   * When a wallet backup holding this identity's key was last proven to open (with its passphrase),
   * or it was restored from one; null: never backed up (the UI warns).
   */
  backedUpAt: z.number().nullable(),
});
export type IdentityInfo = z.infer<typeof identityInfo>;

export const trackerProfile = z.object({
  id,
  name: z.string().min(1).max(100),
  url: z.string(),
  embedded: z.boolean(),
  pinnedKey: z.string().nullable(),
  pinnedFingerprint: z.string().nullable(),
});
export type TrackerProfile = z.infer<typeof trackerProfile>;

export const connectionState = z.enum([
  'idle',
  'connecting',
  'online',
  'reconnecting',
  'offline',
  /** First connection to a remote tracker: its key awaits the owner's confirmation before it is pinned. */
  'key_new',
  'key_changed',
]);
export type ConnectionState = z.infer<typeof connectionState>;

export const connectionStatus = z.object({
  /** The profile whose data the app shows: the connected one, or the last one used. */
  profileId: z.string().nullable(),
  identityId: z.string().nullable(),
  state: connectionState,
  /** When reconnecting: the time of the next attempt. */
  nextAttemptAt: z.number().nullable(),
  lastOnlineAt: z.number().nullable(),
  /** The last connection problem in words (kept while retrying, cleared once online). */
  error: z.string().nullable(),
  /**
   * Its kind, for translation: REFUSED, HOST_NOT_FOUND, UNREACHABLE, TIMEOUT, NOT_A_TRACKER, TLS, LOST,
   * HANDSHAKE_REFUSED, BAD_SIGNATURE, KEY_CHANGED, BAD_URL, EMBEDDED_FAILED or OTHER.
   */
  errorKind: z.string().nullable(),
  /** When key_new or key_changed: the key the tracker presents, for the user to review. */
  offeredKey: z.string().nullable(),
  offeredFingerprint: z.string().nullable(),
});
export type ConnectionStatus = z.infer<typeof connectionStatus>;

export const addressView = z.object({
  address: z.string(),
  kind: z.enum(['spend', 'income']),
  identityId: id,
  status: z.enum(['open', 'expired', 'closed']),
  amount: decimal,
  limitAmount: decimal,
  quantumVolume: decimal,
  limitQuantumVolume: decimal,
  volume: decimal,
  /** Open transfer channels on this address known to this app. */
  openChannels: z.number().int().nonnegative(),
  priceAmount: decimal,
  pricePower: z.number().int(),
  timeLock: z.number(),
  openedAt: z.number().nullable(),
  closedAt: z.number().nullable(),
  /** When the state was read from the tracker (cached data shows its age). */
  readAt: z.number(),
});
export type AddressView = z.infer<typeof addressView>;

export const commonStateView = z.object({
  address: z.string(),
  fact: decimal,
  plan: decimal,
  profit: decimal,
  foreignFact: decimal,
  foreignPlan: decimal,
  readAt: z.number(),
});
export type CommonStateView = z.infer<typeof commonStateView>;

export const settlementView = z.object({ quantumCount: decimal, tokens: decimal, volume: decimal });

export const channelView = z.object({
  channelId: z.string(),
  identityId: id,
  role: z.enum(['payer', 'payee', 'both']),
  fromAddress: z.string(),
  toAddress: z.string(),
  fromPK: z.string(),
  toPK: z.string(),
  fromFingerprint: z.string(),
  toFingerprint: z.string(),
  /** The local identity on the other side of the channel, or null when the counterparty is remote. */
  counterpartyIdentityId: z.string().nullable(),
  priceTokens: decimal,
  pricePower: z.number().int(),
  plannedQuantumCount: decimal,
  reservation: decimal,
  /**
   * unknown: an offer not on the tracker yet; open; settling: closed on the tracker, its settlement
   * not synced yet; closed; expired: past its timeLock (settled at zero once the tracker closed it).
   */
  state: z.enum(['open', 'settling', 'closed', 'expired', 'unknown']),
  timeLock: z.number(),
  openedAt: z.number(),
  closedAt: z.number().nullable(),
  settlement: settlementView.nullable(),
  readAt: z.number(),
});
export type ChannelView = z.infer<typeof channelView>;

/**
 * Whose an address of a history item is, seen from the identity shown: its own spend, income or
 * common address, the tracker's own wallet, or someone else's.
 */
export const addressRole = z.enum(['spend', 'income', 'common', 'tracker', 'other']);
export type AddressRole = z.infer<typeof addressRole>;

/**
 * What an item does to the owner's money: in (+, earned or funded), out (−, paid or returned), self
 * (moved between the owner's own addresses, the tracker's forwarding of a closed income address's
 * earnings to the common address included: neutral), none (nothing moved, or not the owner's).
 */
export const itemFlow = z.enum(['in', 'out', 'self', 'none']);
export type ItemFlow = z.infer<typeof itemFlow>;

export const ownerView = z.object({ from: addressRole, to: addressRole, flow: itemFlow });
export type OwnerView = z.infer<typeof ownerView>;

export const historyItem = z.object({
  txId: z.string(),
  parentTxId: z.string(),
  txType: z.number().int(),
  from: z.string(),
  to: z.string(),
  amount: decimal,
  volume: decimal,
  quantumCount: decimal,
  contractId: z.string(),
  priceAmount: decimal,
  pricePower: z.number().int(),
  plannedQuantumCount: decimal,
  timelock: z.number(),
  timestamp: z.number(),
  status: z.number().int(),
  /** The item seen from the identity shown (set by the history service, not stored). */
  owner: ownerView.optional(),
  /** valid: the tracker's item signature verifies; invalid: it does not; unverifiable: none usable. */
  signature: z.enum(['valid', 'invalid', 'unverifiable']),
  /** The owner's labels of the item, its channel and its addresses (absent when there is none). */
  labels: z
    .object({
      tx: z.string().optional(),
      channel: z.string().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
    })
    .optional(),
});
export type HistoryItem = z.infer<typeof historyItem>;

export const historyFilter = z.object({
  types: z.array(z.number().int()).max(8).optional(),
  address: z.string().max(128).optional(),
  /** The channel id or its beginning (lists show ids cut). */
  channelId: z.string().max(128).optional(),
  fromTime: z.number().optional(),
  toTime: z.number().optional(),
  /**
   * The beginning of a tx id, parent id, channel id or address (exact case), or words of a label of
   * the item, its channel or its addresses (any case).
   */
  search: z.string().max(128).optional(),
});
export type HistoryFilter = z.infer<typeof historyFilter>;

export const historyQuery = z.object({
  identityId: id,
  filter: historyFilter.default({}),
  /** Keyset cursor returned by the previous page; absent for the newest page. */
  after: z.string().max(256).nullable().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type HistoryQuery = z.input<typeof historyQuery>;

export const historyPage = z.object({
  items: z.array(historyItem),
  next: z.string().nullable(),
  /** Items matching the filter in the cache. */
  total: z.number().int(),
});
export type HistoryPage = z.infer<typeof historyPage>;

export const syncStatus = z.object({
  identityId: id,
  running: z.boolean(),
  fetched: z.number().int(),
  /** Items the tracker reported for this sync (null until known). */
  total: z.number().int().nullable(),
  added: z.number().int(),
  lastSyncedAt: z.number().nullable(),
  error: z.string().nullable(),
});
export type SyncStatus = z.infer<typeof syncStatus>;

/** One own address's balance just before and just after an item (bigint sums over the cache). */
export const runningBalance = z.object({
  address: z.string(),
  role: addressRole,
  before: signedDecimal,
  after: signedDecimal,
});
export type RunningBalance = z.infer<typeof runningBalance>;

/**
 * One time bucket of the chart, from `t` (its start) to the next point's `t`. Sums are exact
 * decimals (bigint in the main process): the renderer turns them into numbers only to draw.
 * earned / paid: atoms of channel settlements to / from the owner's addresses; paidBytes: the
 * traffic those payments bought; balance: all the owner's addresses together at the bucket's end.
 */
export const chartPoint = z.object({
  t: z.number(),
  earned: decimal,
  paid: decimal,
  paidBytes: decimal,
  balance: signedDecimal,
});
export type ChartPoint = z.infer<typeof chartPoint>;

export const settings = z.object({
  expiryWarningLeadMs: z.number().int().min(0).max(86_400_000),
  language: z.enum(['en', 'ru']),
  theme: z.enum(['light', 'dark', 'system']),
  lastIdentityId: z.string().nullable(),
  lastProfileId: z.string().nullable(),
  notifications: z.boolean(),
  /** Minutes without user activity before every identity is locked; 0 = never. */
  autoLockMinutes: z.number().int().min(0).max(1440),
});
export type Settings = z.infer<typeof settings>;

/**
 * Why a draft, a close or a file cannot go ahead. `code` is an i18n key (problems.<code>) whose
 * numbers come in `params` (suffix Atoms: an amount, Power: a quantum size, Count: a count, At: a
 * time) so the renderer formats them in the UI language; `field` names the form field it is about;
 * `text` is the English sentence, for logs and error messages.
 */
export const problem = z.object({
  code: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  field: z.enum(['spend', 'to', 'price', 'planned', 'volume']).nullable(),
  text: z.string(),
});
export type Problem = z.infer<typeof problem>;

export const channelDraft = z.object({
  channelId: z.string().max(128).optional(),
  fromAddress: z.string().max(128),
  toAddress: z.string().max(128),
  priceTokens: decimal,
  pricePower: z.number().int().min(0).max(63),
  plannedQuantumCount: decimal,
});
export type ChannelDraft = z.infer<typeof channelDraft>;

export const channelPreview = z.object({
  reservation: decimal,
  plannedBytes: decimal,
  /** Problems with the draft (limit, price bounds, addresses); empty when it can be submitted. */
  problems: z.array(problem),
});
export type ChannelPreview = z.infer<typeof channelPreview>;

export const closePreview = z.object({
  quantumCount: decimal,
  tokens: decimal,
  volume: decimal,
  problems: z.array(problem),
});
export type ClosePreview = z.infer<typeof closePreview>;

export const signatureCheck = z.enum(['valid', 'invalid', 'missing']);

export const fileReview = z.object({
  kind: z.enum(['open', 'close']),
  channelId: z.string(),
  fromPK: z.string(),
  toPK: z.string(),
  fromFingerprint: z.string(),
  toFingerprint: z.string(),
  fromAddress: z.string(),
  toAddress: z.string(),
  priceTokens: decimal,
  pricePower: z.number().int(),
  plannedQuantumCount: decimal,
  reservation: decimal,
  settlement: settlementView.nullable(),
  fromSignature: signatureCheck,
  toSignature: signatureCheck,
  /** Local identity that can add the missing signature, if any. */
  signableBy: z.string().nullable(),
  complete: z.boolean(),
  createdAt: z.number(),
  expiresAt: z.number(),
  problems: z.array(problem),
});
export type FileReview = z.infer<typeof fileReview>;

export const textFile = z.object({ fileName: z.string(), content: z.string() });
export type TextFile = z.infer<typeof textFile>;
