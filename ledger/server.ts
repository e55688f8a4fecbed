/**
 * The tracker as a network service: one HTTP server carrying the WebSocket protocol, `GET /healthz`
 * and `GET /metrics`; admission (connection cap, Origin policy); pings; the expiry job; and a
 * graceful shutdown that answers the commands in flight before closing every socket with 1001.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LedgerConfig } from './config';
import { Ledger } from './engine/ledger';
import type { Logger } from './log';
import { TrackerMetrics, type RefusalReason } from './metrics';
import { TrackerConnection } from './net/connection';

export interface LedgerServer {
  url: string;
  port: number;
  ledger: Ledger;
  metrics: TrackerMetrics;
  /** Graceful: stop accepting, finish the commands in flight, close with 1001, close the database. */
  close(): Promise<void>;
}

export interface LedgerServerOptions {
  /** Injected clock (tests). */
  clock?: () => number;
}

/** TCP connections allowed beyond --max-connections: health checks, scrapes, refused upgrades. */
const HTTP_SLACK = 64;
/** How long one database probe of /healthz stands for the next requests. */
const HEALTH_CACHE_MS = 1000;
/** A socket that has not finished its HTTP request (or upgrade) by then is dropped. */
const MAX_REQUEST_MS = 10_000;

type Lifecycle = 'starting' | 'ready' | 'stopping';

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 503: 'Service Unavailable' };

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export async function startLedgerServer(
  cfg: LedgerConfig,
  log: Logger,
  opts: LedgerServerOptions = {},
): Promise<LedgerServer> {
  const metrics = new TrackerMetrics();
  const started = Date.now();
  let lifecycle: Lifecycle = 'starting';
  const connections = new Set<TrackerConnection>();
  /** Upgrade requests being handled (they count against the connection cap too). */
  let upgrading = 0;
  let nextConn = 1;
  let ledger: Ledger | undefined;
  let health: { at: number; ok: Promise<boolean> } | undefined;
  /** The database answers (probed at most once a second, whatever the request rate). */
  const databaseHealthy = (): Promise<boolean> => {
    const now = Date.now();
    if (!health || now - health.at > HEALTH_CACHE_MS) health = { at: now, ok: ledger!.healthy() };
    return health.ok;
  };

  const http = createServer(
    { headersTimeout: MAX_REQUEST_MS, requestTimeout: MAX_REQUEST_MS, connectionsCheckingInterval: 1000 },
    (req, res) => void route(req, res),
  );
  http.maxConnections = cfg.maxConnections + HTTP_SLACK;
  // A socket that says nothing is dropped (the WebSocket layer clears this after an upgrade).
  http.setTimeout(Math.min(cfg.idleTimeoutMs, MAX_REQUEST_MS));
  const wss = new WebSocketServer({ noServer: true, maxPayload: cfg.maxFrameBytes });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      // A node whose database is gone answers 503 so that a load balancer sends clients elsewhere;
      // it keeps probing and says ok again once the database is back.
      const database = lifecycle === 'ready' ? await databaseHealthy() : true;
      const ok = lifecycle === 'ready' && database;
      const body = ok
        ? {
            status: 'ok',
            connections: connections.size,
            workers: cfg.workers,
            uptimeS: Math.round((Date.now() - started) / 1000),
          }
        : { status: database ? lifecycle : 'database_unavailable' };
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
        .end(JSON.stringify(body));
      return;
    }
    if (path === '/metrics') {
      const text = await metrics.text();
      res.writeHead(200, { 'Content-Type': metrics.contentType }).end(text);
      return;
    }
    res
      .writeHead(404, { 'Content-Type': 'text/plain' })
      .end('not found: /healthz, /metrics, or a WebSocket\n');
  }

  function refuse(socket: Duplex, status: number, reason: RefusalReason, text: string): void {
    metrics.refusedConnection(reason);
    log.info('refused', { reason, status });
    refuseUpgrade(socket, status, text);
  }

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (lifecycle !== 'ready') {
      refuse(socket, 503, 'not_ready', `the tracker is ${lifecycle}`);
      return;
    }
    const origin = req.headers.origin;
    // Browsers always send Origin; apps and command-line clients send none and are let in.
    if (origin !== undefined && !cfg.allowOrigins.includes(origin.toLowerCase())) {
      refuse(socket, 403, 'origin', `origin ${origin} is not allowed`);
      return;
    }
    if (connections.size + upgrading >= cfg.maxConnections) {
      refuse(
        socket,
        503,
        'max_connections',
        `the tracker is at its limit of ${cfg.maxConnections} connections`,
      );
      return;
    }
    upgrading++;
    let counted = true;
    const settle = (): void => {
      if (counted) upgrading--;
      counted = false;
    };
    socket.once('close', settle);
    wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      accept(ws, req);
    });
  });

  function accept(ws: WebSocket, req: IncomingMessage): void {
    if (lifecycle !== 'ready') {
      // The upgrade began before a shutdown did.
      ws.close(1001, 'tracker shutting down');
      return;
    }
    const conn = nextConn++;
    log.info('connection', { conn, remote: `${req.socket.remoteAddress}:${req.socket.remotePort}` });
    const c = new TrackerConnection(ws, { ledger: ledger!, log, metrics, conn }, cfg);
    connections.add(c);
    metrics.connections.inc();
    ws.on('error', (e) => log.info('connection_error', { conn, error: e.message }));
    ws.on('close', (code) => {
      connections.delete(c);
      metrics.connections.dec();
      log.info('disconnect', { conn, code });
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(cfg.port, cfg.host, () => {
      http.off('error', reject);
      resolve();
    });
  });

  try {
    ledger = await Ledger.open(cfg, { workers: cfg.workers, observer: metrics, clock: opts.clock, log });
  } catch (e) {
    await new Promise((resolve) => http.close(resolve));
    throw e;
  }
  const open = ledger;
  metrics.cursorCount = () => open.cursorCount();
  metrics.unsignedItems = () => open.signer.pending;

  let expiring = false;
  const runExpiry = async (): Promise<void> => {
    if (expiring) return;
    expiring = true;
    try {
      const r = await open.runExpiry();
      if (r.channels || r.addresses) log.info('expiry', { channels: r.channels, addresses: r.addresses });
    } catch (e) {
      log.error('expiry_failed', { error: String(e) });
    } finally {
      expiring = false;
    }
  };
  await runExpiry();
  const expiryTimer = setInterval(() => {
    void runExpiry();
    // Unsigned items another node left behind (a crash) are signed here too.
    open.signer.sweep();
  }, cfg.expiryIntervalMs);
  const pingTimer = setInterval(
    () => {
      for (const c of connections) c.heartbeat();
    },
    Math.max(250, Math.min(30_000, cfg.idleTimeoutMs / 2)),
  );
  lifecycle = 'ready';

  const port = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    // Still listening while draining: /healthz and new upgrades answer 503, so that a load
    // balancer moves the clients elsewhere instead of meeting a closed port.
    lifecycle = 'stopping';
    clearInterval(expiryTimer);
    clearInterval(pingTimer);
    const drained = await withTimeout(
      Promise.all([...connections].map((c) => c.shutdown())),
      cfg.shutdownTimeoutMs,
    );
    if (drained === 'timeout') {
      log.error('shutdown_timeout', { connections: connections.size });
      for (const c of connections) c.terminate();
    }
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await stopped;
    await open.close();
  };
  return {
    port,
    url: `ws://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`,
    ledger: open,
    metrics,
    close: () => (closing ??= close()),
  };
}
