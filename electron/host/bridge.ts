/**
 * The WebSocket transport of the API contract, for the renderer running in an ordinary browser
 * against the plain-Node host (`npm run serve`). Speaks the bridgeRequest / bridgeMessage envelopes
 * of shared/api/contract.ts and runs every request through the same `dispatch` as Electron IPC.
 *
 *   client → host  {id, method, args}
 *   host → client  {id, result} | {id, error: {code, message}} | {event, payload}
 *
 * Access: `ws://HOST:PORT/api` with the session cookie (a browser, after `POST /session`) or an
 * `Authorization: Bearer <token>` header (scripts); see auth.ts. A foreign `Origin` or `Host` is
 * refused at the HTTP upgrade (403); a missing or wrong credential gets the socket closed with 4401
 * right after the handshake, so a browser client can tell "not signed in" from "host down". Frames over 1 MiB close
 * the socket (1009). A malformed frame gets an error reply; nothing a client sends can crash the host.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { bridgeRequest, type ApiErrorShape } from '../../shared/api/contract';
import { dispatch, type AppBackend } from '../services/api/backend';
import { HostAuth } from './auth';
import { isAllowedHostHeader, isAllowedOrigin, listeningPort } from './origin';

export const BRIDGE_PATH = '/api';
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Close code for a missing or wrong token (4000-4999: application codes; 4401 mirrors HTTP 401). */
export const CLOSE_UNAUTHORIZED = 4401;
/** Requests one socket may have running at once; more get BUSY instead of piling up. */
const MAX_IN_FLIGHT = 64;
const HEARTBEAT_MS = 30_000;
/** Reply id for frames whose own id could not be read. */
export const NO_ID = -1;

export interface BridgeOptions {
  /** Address the HTTP server is bound to (for the Host/Origin check); default 127.0.0.1. */
  bindHost?: string;
}

export interface Bridge {
  /** Open, authenticated sockets. */
  readonly clientCount: number;
  close(): Promise<void>;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): number {
  if (value && typeof value === 'object' && 'id' in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === 'number' && Number.isInteger(id)) return id;
  }
  return NO_ID;
}

export function attachBridge(
  httpServer: Server,
  backend: AppBackend,
  /** The host's auth, or its token (at least 128 bits: see tokenStrengthProblem). */
  tokenOrAuth: string | HostAuth,
  options: BridgeOptions = {},
): Bridge {
  const auth = typeof tokenOrAuth === 'string' ? new HostAuth(tokenOrAuth) : tokenOrAuth;
  const bindHost = options.bindHost ?? '127.0.0.1';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const clients = new Set<WebSocket>();

  const send = (ws: WebSocket, message: unknown): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message), (err) => {
      if (err) ws.terminate();
    });
  };
  const sendError = (ws: WebSocket, id: number, error: ApiErrorShape): void => send(ws, { id, error });

  const serve = (ws: WebSocket): void => {
    clients.add(ws);
    let inFlight = 0;
    let alive = true;
    ws.on('pong', () => (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    ws.on('close', () => {
      clearInterval(heartbeat);
      clients.delete(ws);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary)
        return sendError(ws, NO_ID, { code: 'BAD_REQUEST', message: 'binary frames are not accepted' });
      let json: unknown;
      try {
        json = JSON.parse(frameText(data));
      } catch {
        return sendError(ws, NO_ID, { code: 'BAD_REQUEST', message: 'the frame is not JSON' });
      }
      // Omitted args mean "no arguments", as with IPC (dispatch reads a missing value as {}).
      const withArgs = isPlainObject(json) && json['args'] === undefined ? { ...json, args: {} } : json;
      const request = bridgeRequest.safeParse(withArgs);
      if (!request.success) {
        return sendError(ws, idOf(json), {
          code: 'BAD_REQUEST',
          message: 'expected {id: integer, method: string, args}',
        });
      }
      const { id, method, args } = request.data;
      if (inFlight >= MAX_IN_FLIGHT) {
        return sendError(ws, id, { code: 'BUSY', message: `more than ${MAX_IN_FLIGHT} requests in flight` });
      }
      inFlight++;
      dispatch(backend, method, args)
        .then(
          (outcome) => send(ws, { id, ...outcome }),
          // dispatch turns handler failures into {error}; this is only a last line of defence.
          (e: unknown) => sendError(ws, id, { code: 'INTERNAL', message: String(e) }),
        )
        .finally(() => inFlight--);
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://host.invalid');
    } catch {
      return rejectUpgrade(socket, 400, 'Bad Request');
    }
    if (url.pathname !== BRIDGE_PATH) return rejectUpgrade(socket, 404, 'Not Found');
    const port = listeningPort(httpServer);
    if (!isAllowedHostHeader(req.headers.host, bindHost, port) || !isAllowedOrigin(req, bindHost, port)) {
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    const authorized = auth.isAuthorized(req, port);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      if (!authorized) return ws.close(CLOSE_UNAUTHORIZED, 'unauthorized');
      serve(ws);
    });
  };
  httpServer.on('upgrade', onUpgrade);

  const unsubscribe = backend.events.onAny((event, payload) => {
    for (const ws of clients) send(ws, { event, payload });
  });

  return {
    get clientCount() {
      return clients.size;
    },
    async close() {
      unsubscribe();
      httpServer.off('upgrade', onUpgrade);
      const closing = [...clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(1001, 'host shutting down');
            setTimeout(() => ws.terminate(), 1000).unref();
          }),
      );
      await Promise.all(closing);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
