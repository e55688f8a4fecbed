/**
 * Who may use the served app. The token printed at start is the one secret the user handles; a
 * browser trades it once (`POST /session` with `Authorization: Bearer <token>`) for a session
 * cookie (HttpOnly: page scripts never read it; SameSite=Strict: other sites' pages never send
 * it), so afterwards neither the address bar nor any URL carries it: the API socket and the export
 * downloads authenticate with the cookie. Scripts and tests send the `Authorization` header
 * instead. A token in a query string is never accepted.
 *
 * The cookie's value is an HMAC of the token, not the token: the same for every tab and across a
 * host restart with the same token, invalid once the host runs with another. Cookies ignore ports,
 * so its name carries the port: two hosts on one machine keep separate sessions.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from './origin';

export const SESSION_PATH = '/session';
export const MIN_TOKEN_BITS = 128;
const TOKEN_ALPHABET = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 256;
/** Fewer distinct characters than this is a pattern, not a random string. */
const MIN_DISTINCT_CHARS = 8;

/** A fresh random token: 256 bits, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

const CHAR_CLASSES: [RegExp, number][] = [
  [/[a-z]/, 26],
  [/[A-Z]/, 26],
  [/[0-9]/, 10],
  [/[_-]/, 2],
];

/** Bits a character of this token can carry: digits 3.3, hex 4, base64url 6, else by its classes. */
function bitsPerChar(token: string): number {
  if (/^[0-9]+$/.test(token)) return Math.log2(10);
  if (/^[0-9a-f]+$/i.test(token)) return 4;
  const used = CHAR_CLASSES.filter(([re]) => re.test(token));
  // Mixed case or three classes: read as base64url (a random string of it may lack a class by chance).
  if (used.length >= 3 || (/[a-z]/.test(token) && /[A-Z]/.test(token))) return 6;
  return Math.log2(used.reduce((n, [, size]) => n + size, 0));
}

/**
 * Why a token is too weak, or null. An estimate, generous to random strings: length × the bits a
 * character of its alphabet carries (22 random base64url characters or 32 hex digits make 128
 * bits), and a token repeating a few characters is refused whatever its length.
 */
export function tokenStrengthProblem(token: string): string | null {
  const advice = `use at least ${MIN_TOKEN_BITS} bits (22 random characters of A-Z a-z 0-9 _ -, or 32 hex digits), or leave it out for a random one`;
  if (token.length > MAX_TOKEN_LENGTH) return `the token is longer than ${MAX_TOKEN_LENGTH} characters`;
  if (!TOKEN_ALPHABET.test(token)) return `the token may only hold A-Z a-z 0-9 _ -: ${advice}`;
  const bits = Math.floor(token.length * bitsPerChar(token));
  if (bits < MIN_TOKEN_BITS) return `the token carries about ${bits} bits of entropy: ${advice}`;
  if (new Set(token).size < MIN_DISTINCT_CHARS) return `the token repeats a few characters: ${advice}`;
  return null;
}

function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class HostAuth {
  private readonly session: string;

  constructor(private readonly token: string) {
    const problem = tokenStrengthProblem(token);
    if (problem) throw new Error(problem);
    this.session = createHmac('sha256', token).update('wallet-tracker serve session 1').digest('base64url');
  }

  cookieName(port: number): string {
    return `wt_session_${port}`;
  }

  /** The `Set-Cookie` value that opens a browser session on this host. */
  sessionCookie(port: number): string {
    return `${this.cookieName(port)}=${this.session}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** True when the request carries `Authorization: Bearer <the token>`. */
  hasBearerToken(req: IncomingMessage): boolean {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    return !!match && tokenMatches(match[1], this.token);
  }

  /** The session cookie or the bearer token; never a query string. */
  isAuthorized(req: IncomingMessage, port: number): boolean {
    const cookie = cookieValue(req.headers.cookie, this.cookieName(port));
    return (cookie !== null && tokenMatches(cookie, this.session)) || this.hasBearerToken(req);
  }
}
