/**
 * Turns an error from `invoke` into words for the user: one plain translated sentence per code, and
 * the developer's detail (the main process's message) kept apart, for a "details" disclosure.
 */

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

export interface ExplainedError {
  code: string;
  /** One plain sentence in the UI language. */
  sentence: string;
  /** What the service said, when it adds anything to the sentence; null otherwise. */
  detail: string | null;
}

/** Letters and digits only, lower case: "The passphrase is wrong." ~ "the passphrase is wrong". */
function gist(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The sentence of an error's code (`errors.<CODE>`, or the first of `keys` that exists) and its
 * detail. A code the UI does not know gets the generic sentence; its message becomes the detail.
 */
export function explainError(e: unknown, t: Translate, te: Has, keys: string[] = []): ExplainedError {
  const { code, message } = toCoded(e);
  const key = [...keys, `errors.${code}`].find((k) => te(k)) ?? 'errors.UNKNOWN';
  const sentence = t(key);
  const detail = message.trim() && gist(message) !== gist(sentence) ? message.trim() : null;
  return { code, sentence, detail };
}

/** The sentence alone: "This address belongs to another key." */
export function describeError(e: unknown, t: Translate, te: Has): string {
  return explainError(e, t, te).sentence;
}
