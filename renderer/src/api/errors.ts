/**
 * The one error type API calls reject with, whichever transport carried them: a stable `code`
 * (an i18n key, e.g. INVALID_ARGUMENT, WRONG_PASSPHRASE, DISCONNECTED) and the plain message.
 */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** Electron's contextBridge keeps only an Error's message, so the preload sends `[CODE] message`. */
const ENCODED = /^\[([A-Za-z0-9_.-]{1,64})\] ([\s\S]*)$/;

export function toApiCallError(e: unknown): ApiCallError {
  if (e instanceof ApiCallError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : null;
  const encoded = ENCODED.exec(message);
  if (encoded) return new ApiCallError(code ?? encoded[1]!, encoded[2]!);
  return new ApiCallError(code ?? 'TRANSPORT', message);
}
