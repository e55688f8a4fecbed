/**
 * The plain-Node host: the built renderer (out/renderer) as static files plus the WebSocket bridge,
 * so the app runs in an ordinary browser without Electron. Loopback only unless told otherwise.
 *
 *   GET /, /<spa route>       index.html (SPA fallback for paths without a file extension)
 *   GET /assets/...            the renderer's files
 *   POST /session              trades `Authorization: Bearer <token>` for the session cookie (auth.ts)
 *   GET /exports/<file>        files the backend wrote to <dataDir>/exports (session or bearer)
 *   WS  /api                   the API bridge (electron/host/bridge.ts; session or bearer)
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { lstat, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { AppBackend } from '../services/api/backend';
import { HostAuth, SESSION_PATH } from './auth';
import { attachBridge, type Bridge } from './bridge';
import { isAllowedHostHeader, isAllowedOrigin, listeningPort } from './origin';

/** Used when the built index.html carries no CSP meta tag (it always should: renderer/index.html). */
export const FALLBACK_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
/** Only a header can forbid framing (browsers ignore, and complain about, it in a meta tag). */
const HEADER_ONLY_CSP = "frame-ancestors 'none'";

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.pem': 'application/x-pem-file',
};

export function mimeType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** The CSP of the built page, so the header and the meta tag can never disagree. */
export function cspOf(indexHtml: string): string | null {
  const meta = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=(?:"([^"]*)"|'([^']*)')/i.exec(
    indexHtml,
  );
  const value = meta?.[1] ?? meta?.[2];
  return value ? value.replace(/\s+/g, ' ').trim() : null;
}

/** Export files are plain names the backend chose: no paths, no dotfiles. */
const EXPORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface ServeHostOptions {
  backend: AppBackend;
  dataDir: string;
  /** The built renderer (must contain index.html). */
  rendererDir: string;
  /** The access token (at least 128 bits: see tokenStrengthProblem in auth.ts). */
  token: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 5174; 0 picks a free port. */
  port?: number;
}

export interface ServeHost {
  server: Server;
  bridge: Bridge;
  host: string;
  port: number;
  /** http://HOST:PORT/ (127.0.0.1 when bound to every interface). */
  origin: string;
  /** What the user opens: origin + `#token=`. */
  url: string;
  /** Stops the HTTP server and the bridge (not the backend: the caller owns it). */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startServeHost(opts: ServeHostOptions): Promise<ServeHost> {
  const host = opts.host ?? '127.0.0.1';
  const auth = new HostAuth(opts.token);
  const rendererDir = await realpath(resolve(opts.rendererDir));
  const indexFile = join(rendererDir, 'index.html');
  if (!existsSync(indexFile))
    throw new Error(`no built renderer at ${indexFile}; run \`npm run build\` first`);
  const csp = `${cspOf(readFileSync(indexFile, 'utf8')) ?? FALLBACK_CSP}; ${HEADER_ONLY_CSP}`;
  const exportsDir = resolve(opts.dataDir, 'exports');

  const securityHeaders: Record<string, string> = {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };

  const sendText = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, {
      ...securityHeaders,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(text);
  };

  const sendFile = async (
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    extra: Record<string, string>,
  ): Promise<void> => {
    const info = await stat(file);
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': mimeType(file),
      'Content-Length': info.size,
      ...extra,
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  /** Maps a URL path to a file inside the renderer folder, or null if there is none. */
  const staticFile = async (rawPath: string): Promise<string | null> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      throw new HttpError(400, 'bad path');
    }
    const segments = decoded.split('/').slice(1);
    if (
      decoded.includes('\0') ||
      decoded.includes('\\') ||
      segments.some((s) => s === '..' || s === '.' || s.includes(':'))
    ) {
      throw new HttpError(400, 'bad path');
    }
    if (segments.some((s) => s.startsWith('.'))) return null;
    const candidate = resolve(rendererDir, ...segments.filter((s) => s.length > 0));
    if (!candidate.startsWith(rendererDir + sep)) return null;
    try {
      const real = await realpath(candidate);
      if (!real.startsWith(rendererDir + sep)) return null;
      return (await stat(real)).isFile() ? real : null;
    } catch {
      return null;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const port = listeningPort(server);
    if (!isAllowedHostHeader(req.headers.host, host, port)) throw new HttpError(421, 'unknown host name');
    const target = req.url ?? '/';
    if (!target.startsWith('/')) throw new HttpError(400, 'bad path');
    const q = target.indexOf('?');
    const rawPath = q === -1 ? target : target.slice(0, q);

    if (rawPath === SESSION_PATH) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        throw new HttpError(405, 'method not allowed');
      }
      // A custom header already needs a CORS preflight, which this host never grants; belt and braces.
      if (!isAllowedOrigin(req, host, port)) throw new HttpError(403, 'foreign origin');
      if (!auth.hasBearerToken(req)) throw new HttpError(401, 'wrong or missing token');
      req.resume();
      res.writeHead(204, {
        ...securityHeaders,
        'Set-Cookie': auth.sessionCookie(port),
        'Cache-Control': 'no-store',
      });
      return void res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, 'method not allowed');
    }

    if (rawPath === '/exports' || rawPath.startsWith('/exports/')) {
      if (!auth.isAuthorized(req, port)) throw new HttpError(401, 'not signed in');
      let name: string;
      try {
        name = decodeURIComponent(rawPath.slice('/exports/'.length));
      } catch {
        throw new HttpError(400, 'bad file name');
      }
      if (!EXPORT_NAME.test(name)) throw new HttpError(400, 'bad file name');
      const file = join(exportsDir, name);
      const info = await lstat(file).catch(() => null);
      if (!info?.isFile()) throw new HttpError(404, 'no such export');
      return sendFile(req, res, file, {
        'Cache-Control': 'no-store',
        'Content-Disposition': `attachment; filename="${name}"`,
      });
    }

    const file = await staticFile(rawPath);
    if (file) {
      const immutable = file.startsWith(join(rendererDir, 'assets') + sep);
      return sendFile(req, res, file, {
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    // SPA fallback: app routes have no extension; a missing asset is a 404, never HTML.
    if (extname(rawPath) === '') return sendFile(req, res, indexFile, { 'Cache-Control': 'no-cache' });
    throw new HttpError(404, 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (e instanceof HttpError) return sendText(res, e.status, e.message);
      sendText(res, 500, 'internal error');
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 5174, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const bridge = attachBridge(server, opts.backend, auth, { bindHost: host });
  const port = listeningPort(server);
  const urlHost = ['0.0.0.0', '::', '[::]'].includes(host)
    ? '127.0.0.1'
    : host.includes(':')
      ? `[${host}]`
      : host;
  const origin = `http://${urlHost}:${port}`;

  return {
    server,
    bridge,
    host,
    port,
    origin,
    url: `${origin}/#token=${opts.token}`,
    async close() {
      await bridge.close();
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
    },
  };
}
