/** Turns an error from `invoke` into words for the user: a translated sentence per code, else the message. */

export interface CodedError {
  code: string;
  message: string;
}

export function toCoded(e: unknown): CodedError {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown };
    const code = typeof o.code === 'string' && o.code ? o.code : 'UNKNOWN';
    const message = typeof o.message === 'string' ? o.message : String(e);
    return { code, message };
  }
  return { code: 'UNKNOWN', message: String(e) };
}

type Translate = (key: string, params?: Record<string, unknown>) => string;
type Has = (key: string) => boolean;

/** "You do not own this address. (NOT_OWNER: spend address belongs to another key)". */
export function describeError(e: unknown, t: Translate, te: Has): string {
  const { code, message } = toCoded(e);
  const key = `errors.${code}`;
  if (te(key)) {
    const sentence = t(key);
    return message && message !== sentence ? `${sentence} (${message})` : sentence;
  }
  return message || t('errors.UNKNOWN');
}
