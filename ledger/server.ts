/** The tracker's WebSocket front: frames in, signed results or error frames out (SPEC §3, §8). */
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ProtocolError } from '../shared/protocol/errors';
import { requestEnvelope } from '../shared/protocol/schemas';
import type { LedgerConfig } from './config';
import { Ledger } from './engine/ledger';
import type { Logger } from './log';

/** Nanoseconds since the epoch, as a JSON integer (diagnostic precision only). */
function epochNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}

const MAX_ECHO = 1024;

/** The frame text cut to at most `max` bytes of UTF-8 (SPEC §3: 1 KiB), never inside a character. */
function echoOf(text: string, max = MAX_ECHO): string {
  if (text.length * 3 <= max || Buffer.byteLength(text, 'utf8') <= max) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end);
}

export interface LedgerServer {
  url: string;
  port: number;
  ledger: Ledger;
  close(): Promise<void>;
}

export function handleFrame(ledger: Ledger, text: string, log: Logger, conn: number): string {
  const beforeCreate = epochNs();
  const started = performance.now();
  let corrToken: string | undefined;
  let cmd: number | undefined;
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ProtocolError('BAD_FRAME', 'frame is not JSON');
    }
    const env = requestEnvelope.safeParse(parsed);
    if (!env.success) {
      throw new ProtocolError('BAD_FRAME', 'frame is not an envelope {cmd, corrToken, payload}');
    }
    corrToken = env.data.corrToken;
    cmd = env.data.cmd;
    const outcome = ledger.execute(cmd, env.data.payload);
    const created = epochNs();
    log.info('cmd', { conn, cmd, ms: +(performance.now() - started).toFixed(3), code: 'OK' });
    return JSON.stringify({
      cmd,
      corrToken,
      data: { message: outcome.message, sign: outcome.sign },
      exData: { beforeCreate, created, handled: epochNs() },
    });
  } catch (e) {
    const err =
      e instanceof ProtocolError
        ? e
        : new ProtocolError('INTERNAL', 'the tracker failed to handle the command');
    if (!(e instanceof ProtocolError))
      log.error('internal', { conn, cmd, error: String((e as Error)?.stack ?? e) });
    log.info('cmd', {
      conn,
      cmd: cmd ?? null,
      ms: +(performance.now() - started).toFixed(3),
      code: err.code,
    });
    return JSON.stringify({
      corrToken: corrToken ?? '',
      data: corrToken ?? echoOf(text),
      error: err.toWire(),
      exData: { beforeCreate, created: epochNs() },
    });
  }
}

export async function startLedgerServer(
  cfg: LedgerConfig,
  log: Logger,
  ledger = new Ledger(cfg),
): Promise<LedgerServer> {
  const wss = new WebSocketServer({ host: cfg.host, port: cfg.port, maxPayload: cfg.maxFrameBytes });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  let nextConn = 1;
  wss.on('connection', (ws: WebSocket, req) => {
    const conn = nextConn++;
    log.info('connection', { conn, remote: `${req.socket.remoteAddress}:${req.socket.remotePort}` });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        ws.send(
          JSON.stringify({
            corrToken: '',
            data: '',
            error: new ProtocolError('BAD_FRAME', 'binary frames are not accepted').toWire(),
          }),
        );
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      ws.send(handleFrame(ledger, text, log, conn));
    });
    ws.on('close', (code) => log.info('disconnect', { conn, code }));
    ws.on('error', (e) => log.info('connection_error', { conn, error: e.message }));
  });

  const runExpiry = (): void => {
    try {
      const r = ledger.runExpiry();
      if (r.channels || r.addresses) log.info('expiry', { channels: r.channels, addresses: r.addresses });
    } catch (e) {
      log.error('expiry_failed', { error: String(e) });
    }
  };
  runExpiry();
  const timer = setInterval(runExpiry, cfg.expiryIntervalMs);

  const port = (wss.address() as AddressInfo).port;
  return {
    port,
    url: `ws://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`,
    ledger,
    close: async () => {
      clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      ledger.close();
    },
  };
}
