/** Errors of the tracker client: the tracker's §8 codes plus the client's own transport codes. */
import { isErrorCode, type ErrorCode } from '../../../shared/protocol/errors';

import { CLIENT_ERROR_CODES } from '../../../shared/api/errors';

export { CLIENT_ERROR_CODES };

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
