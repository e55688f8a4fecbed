/**
 * Who may talk to the plain-Node host: requests must name the host itself in `Host` (defeats DNS
 * rebinding: a page on evil.example resolved to 127.0.0.1 still sends `Host: evil.example:PORT`) and,
 * when a browser sends `Origin`, it must be that same origin (defeats other sites' pages).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Server } from 'node:net';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Compares secrets in constant time (hashing first makes the lengths equal too). */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string' || expected.length === 0) return false;
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

function hostWithBrackets(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The port the server listens on (0 before listen). */
export function listeningPort(server: Server): number {
  const addr = server.address();
  return addr && typeof addr === 'object' ? (addr as AddressInfo).port : 0;
}

/**
 * `Host` values that name this server: the loopback names plus the bind address itself. A server
 * bound to every interface (0.0.0.0, ::) accepts any host name: the user asked to be reachable.
 */
export function isAllowedHostHeader(hostHeader: string | undefined, bindHost: string, port: number): boolean {
  if (!hostHeader) return false;
  const value = hostHeader.trim().toLowerCase();
  if (WILDCARD_HOSTS.has(bindHost)) return value.length > 0;
  const names = new Set([...LOOPBACK_NAMES, hostWithBrackets(bindHost.toLowerCase())]);
  return [...names].some((name) => value === `${name}:${port}` || (port === 80 && value === name));
}

/** Same-origin check for browser requests; requests without `Origin` (non-browser clients) pass. */
export function isAllowedOrigin(req: IncomingMessage, bindHost: string, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  if (!isAllowedHostHeader(host, bindHost, port)) return false;
  return origin.toLowerCase() === `http://${host!.trim().toLowerCase()}`;
}
