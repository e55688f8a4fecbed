/**
 * Every error code the renderer can receive from an API call: the tracker's (SPEC §8), the tracker
 * client's, and the app's own. The renderer translates each; a test checks none is missing.
 */
import { ERROR_CODES } from '../protocol/errors';

/** Raised by the tracker client itself (never sent by a tracker). */
export const CLIENT_ERROR_CODES = [
  /** No answer within the request timeout (outcome unknown for writes). */
  'TIMEOUT',
  /** The connection dropped while a non-repeatable write was in flight: outcome unknown. */
  'CONNECTION_LOST',
  /** A response whose signature or tracker key does not match the pinned key: never used as data. */
  'BAD_RESPONSE_SIGNATURE',
  /** The tracker at this URL answers with another key; the user must accept it first. */
  'KEY_CHANGED',
  /** First contact with a remote tracker: its key awaits the owner's confirmation (TOFU). */
  'KEY_UNCONFIRMED',
  /** The session is stopped (or was never started). */
  'OFFLINE',
  /** A response that is not what the command returns (shape, JSON, wrong address, …). */
  'BAD_RESPONSE',
  /** An error frame whose text carries no §8 code (the original server's plain-text errors). */
  'TRACKER_ERROR',
] as const;

/** Raised by the main process's services and transports. */
export const APP_ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNKNOWN_METHOD',
  'INTERNAL',
  'UNTRUSTED_SENDER',
  'BAD_REQUEST',
  'BUSY',
  'LOCKED',
  'WRONG_PASSPHRASE',
  /** A sealed key record that fails its checks (bounds, tag length, key/public key mismatch). */
  'KEY_RECORD_DAMAGED',
  'PASSPHRASE_REQUIRED',
  'DUPLICATE_IDENTITY',
  'DUPLICATE_NAME',
  /** An import given a public key, or an RSA key shorter than 2048 bits. */
  'NOT_PRIVATE_KEY',
  'KEY_TOO_SHORT',
  'IDENTITY_NOT_FOUND',
  'PROFILE_NOT_FOUND',
  'NO_TRACKER',
  'NO_KEY_CHANGE',
  'EMBEDDED_FAILED',
  'BAD_FILE',
  'INCOMPLETE_FILE',
  'NOT_A_PARTY',
  'NOT_LOCAL',
  /** A replayed offer of a channel that closed: it can never open again. */
  'CHANNEL_CLOSED',
  /** From the history cache: a malformed page cursor or query. */
  'BAD_CURSOR',
  'BAD_ARGUMENT',
  'CACHE_VERSION',
  /** Deleting an identity: the typed name is not the identity's. */
  'NAME_MISMATCH',
  /** Contacts: a key already named, a name already used, a private or own key given. */
  'DUPLICATE_CONTACT',
  'CONTACT_NOT_FOUND',
  'NOT_PUBLIC_KEY',
  'OWN_KEY',
  /** Wallet backups: not one, damaged or altered, from a newer app, too large; a stale preview. */
  'NOT_A_BACKUP',
  'BACKUP_DAMAGED',
  'BACKUP_NEWER_VERSION',
  'BACKUP_TOO_LARGE',
  'RESTORE_CHANGED',
  /** A native file dialog was asked for where there is none (the served app uses the browser's). */
  'NO_FILE_DIALOG',
  /** The labels file was written by a newer version of the app (labels are never dropped). */
  'LABELS_VERSION',
  /** From the transports themselves (preload, bridge client). */
  'TRANSPORT',
  'UNKNOWN_EVENT',
  'DISCONNECTED',
  'UNAUTHORIZED',
] as const;

export const API_ERROR_CODES: readonly string[] = [
  ...new Set<string>([...ERROR_CODES, ...CLIENT_ERROR_CODES, ...APP_ERROR_CODES]),
];
