/** The last connection problem in words, with a kind the UI can translate. */
import { describe, expect, it } from 'vitest';
import { describeConnectionError } from '../../electron/services/app/connection-errors';

const URL = 'ws://127.0.0.1:8787';

describe('connection errors in words', () => {
  it.each([
    ['CONNECTION_LOST', 'connect ECONNREFUSED 127.0.0.1:8787', 'REFUSED', /refused the connection/],
    [
      'CONNECTION_LOST',
      'getaddrinfo ENOTFOUND tracker.invalid',
      'HOST_NOT_FOUND',
      /host name could not be found/,
    ],
    ['TIMEOUT', 'no handshake answer within 10000 ms', 'TIMEOUT', /did not answer in time/],
    ['CONNECTION_LOST', 'Opening handshake has timed out', 'TIMEOUT', /did not answer in time/],
    ['CONNECTION_LOST', 'Unexpected server response: 404', 'NOT_A_TRACKER', /not a wallet tracker.*404/],
    ['CONNECTION_LOST', 'self-signed certificate', 'TLS', /certificate/],
    ['BAD_SIGNATURE', 'the tracker refused the handshake: bad signature', 'HANDSHAKE_REFUSED', /refused/],
    ['KEY_CHANGED', 'the tracker at this URL presents a different key', 'KEY_CHANGED', /another key/],
    ['CONNECTION_LOST', 'the connection closed (1006)', 'LOST', /was lost/],
    ['OFFLINE', 'cannot connect to wss//x: Invalid URL', 'BAD_URL', /cannot be dialled/],
  ])('%s %s', (code, message, kind, words) => {
    const e = describeConnectionError(code, message, URL);
    expect(e.kind).toBe(kind);
    expect(e.text).toMatch(words);
    // Words, not a code or an errno.
    expect(e.text).not.toMatch(/^[A-Z_]+:|ECONN|ENOTFOUND/);
  });
});
