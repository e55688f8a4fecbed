/**
 * A failed connection attempt in words a wallet owner understands, with a stable kind the UI can
 * translate: the session's errors carry transport detail ("connect ECONNREFUSED 127.0.0.1:8787").
 */
export type ConnectionErrorKind =
  | 'REFUSED'
  | 'HOST_NOT_FOUND'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'NOT_A_TRACKER'
  | 'TLS'
  | 'LOST'
  | 'HANDSHAKE_REFUSED'
  | 'BAD_SIGNATURE'
  | 'KEY_CHANGED'
  | 'BAD_URL'
  | 'EMBEDDED_FAILED'
  | 'OTHER';

export interface ConnectionError {
  kind: ConnectionErrorKind;
  text: string;
}

/** `code` and `message` as the session reports them; `url` is the address that was dialled. */
export function describeConnectionError(code: string, message: string, url: string): ConnectionError {
  const m = message;
  const at = url ? ` at ${url}` : '';
  if (code === 'KEY_CHANGED') {
    return {
      kind: 'KEY_CHANGED',
      text: `The tracker${at} presents another key than the one pinned for it: review the new key before going on.`,
    };
  }
  if (code === 'EMBEDDED_FAILED')
    return { kind: 'EMBEDDED_FAILED', text: `${m.charAt(0).toUpperCase()}${m.slice(1)}.` };
  if (/ECONNREFUSED/.test(m)) {
    return {
      kind: 'REFUSED',
      text: `The tracker${at} refused the connection: nothing is listening there, or it is down.`,
    };
  }
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(m)) {
    return {
      kind: 'HOST_NOT_FOUND',
      text: `The tracker's host name could not be found: check the URL and the network.`,
    };
  }
  if (/EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL/.test(m)) {
    return { kind: 'UNREACHABLE', text: `The tracker${at} cannot be reached from this network.` };
  }
  if (code === 'TIMEOUT' || /ETIMEDOUT|timed out|no pong/i.test(m)) {
    return { kind: 'TIMEOUT', text: `The tracker${at} did not answer in time.` };
  }
  if (/Unexpected server response: (\d+)/.test(m)) {
    const status = /Unexpected server response: (\d+)/.exec(m)![1];
    return {
      kind: 'NOT_A_TRACKER',
      text: `The server${at} is not a wallet tracker: it answered with HTTP status ${status}.`,
    };
  }
  if (/certificate|CERT_|SSL|TLS/i.test(m)) {
    return { kind: 'TLS', text: `The tracker's TLS certificate was not accepted: ${m}.` };
  }
  if (/refused the handshake/.test(m)) {
    return { kind: 'HANDSHAKE_REFUSED', text: `The tracker refused this identity's handshake (${code}).` };
  }
  if (code === 'BAD_RESPONSE_SIGNATURE' || code === 'BAD_SIGNATURE' || code === 'BAD_RESPONSE') {
    return {
      kind: 'BAD_SIGNATURE',
      text: `The tracker${at} answered with something that does not verify: it was ignored.`,
    };
  }
  if (/Invalid URL|cannot connect to/.test(m) && code === 'OFFLINE') {
    return { kind: 'BAD_URL', text: `The tracker URL ${url} cannot be dialled: check it.` };
  }
  if (code === 'CONNECTION_LOST' || /ECONNRESET|EPIPE|socket hang up|connection closed/i.test(m)) {
    return { kind: 'LOST', text: `The connection to the tracker${at} was lost.` };
  }
  return { kind: 'OTHER', text: `The connection to the tracker${at} failed: ${m}.` };
}
