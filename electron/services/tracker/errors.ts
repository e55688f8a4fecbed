/** Errors of the tracker client: the tracker's §8 codes plus the client's own transport codes. */
import { isErrorCode, type ErrorCode } from '../../../shared/protocol/errors';

/** Codes the client raises itself (never sent by a tracker). */
export const CLIENT_ERROR_CODES = [
  /** No answer within the request timeout (outcome unknown for writes). */
  'TIMEOUT',
  /** The connection dropped while a non-repeatable write was in flight: outcome unknown. */
  'CONNECTION_LOST',
  /** A response whose signature or tracker key does not match the pinned key: never used as data. */
  'BAD_RESPONSE_SIGNATURE',
  /** The tracker at this URL answers with another key; the user must accept it first. */
  'KEY_CHANGED',
  /** The session is stopped (or was never started). */
  'OFFLINE',
  /** A response that is not what the command returns (shape, JSON, wrong address, …). */
  'BAD_RESPONSE',
  /** An error frame whose text carries no §8 code (the original server's plain-text errors). */
  'TRACKER_ERROR',
] as const;

export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];
export type TrackerErrorCode = ErrorCode | ClientErrorCode;

export class TrackerError extends Error {
  readonly code: TrackerErrorCode;
  /** The command of the failed request, when there was one. */
  readonly cmd: number | undefined;

  constructor(code: TrackerErrorCode, message: string, cmd?: number) {
    super(message);
    this.name = 'TrackerError';
    this.code = code;
    this.cmd = cmd;
  }

  /** True for a tracker refusal (§8 code): the tracker received the request and changed nothing. */
  get fromTracker(): boolean {
    return isErrorCode(this.code) || this.code === 'TRACKER_ERROR';
  }
}

export function isTrackerError(e: unknown, code?: TrackerErrorCode): e is TrackerError {
  return e instanceof TrackerError && (code === undefined || e.code === code);
}
