/** Errors of the history cache: a stable code (listed in shared/api/errors.ts) and a plain message. */
export class HistoryCacheError extends Error {
  constructor(
    readonly code: 'BAD_CURSOR' | 'BAD_ARGUMENT' | 'CACHE_VERSION',
    message: string,
  ) {
    super(message);
    this.name = 'HistoryCacheError';
  }
}
