/**
 * One WebSocket session to a wallet tracker for one signer (SPEC §3, §7): handshake and key
 * pinning, a signature check of every response against the pinned key, correlation by corrToken,
 * request timeouts, reconnection with exponential backoff and full jitter. Plain Node (no electron).
 */
import { EventEmitter } from 'node:events';
import WebSocket, { type RawData } from 'ws';
import { Cmd } from '../../../shared/protocol/commands';
import { MAX_FRAME_BYTES } from '../../../shared/protocol/schemas';
import { sameKey } from '../../../shared/crypto/keys';
import { signPemPayload, type Signer } from '../../../shared/crypto/signed-payload';
import { TrackerError, type TrackerErrorCode } from './errors';
import {
  correlationKeys,
  parseIncomingFrame,
  requestFrameText,
  trackerErrorOf,
  verifyHandshakeData,
  verifyResponseData,
  type IncomingFrame,
} from './frames';

export { TrackerError, isTrackerError, type TrackerErrorCode } from './errors';

/**
 * `key_new`: first contact with a tracker whose key is to be confirmed by the owner before it is
 * pinned (trust on first use made visible); `key_changed`: the tracker presents another key than
 * the pinned one. Both wait for `acceptOfferedKey`.
 */
export type SessionState = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'key_new' | 'key_changed';

export interface SessionError {
  code: TrackerErrorCode;
  message: string;
  /** When it happened (ms since the epoch). */
  at: number;
}

export interface SessionStatus {
  state: SessionState;
  /** When the next connection attempt starts (state `reconnecting` while waiting), else null. */
  nextAttemptAt: number | null;
  /** The last moment the session was known online (set on going online and on losing it). */
  lastOnlineAt: number | null;
  /** The latest problem: a failed attempt, a refused handshake, a response that failed verification. */
  error: SessionError | null;
  /** States `key_new` and `key_changed`: the key the tracker presents (canonical PEM), awaiting acceptance. */
  offeredKey: string | null;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Full jitter: wait a random time in [0, min(maxMs, initialMs·2^(n−1))]. */
  jitter: boolean;
}

export interface TrackerSessionOptions {
  url: string;
  /** The key the handshake proves. */
  signer: Signer;
  /** The tracker key pinned for this URL, or null to pin on first use. */
  pinnedKey: string | null;
  /**
   * With no pinned key: stop in state `key_new` at the first handshake until the owner accepts the
   * key (`acceptOfferedKey`), instead of pinning it silently. Default false (the embedded tracker).
   */
  confirmNewKey?: boolean;
  /** Called with the canonical PEM whenever a key gets pinned (first use, or an accepted change). */
  onPin?: (pem: string) => void | Promise<void>;
  /** Default timeout of a request, waiting for the connection included (default 15 s). */
  requestTimeoutMs?: number;
  /** Limit for the WebSocket upgrade and for the handshake answer (default 10 s). */
  handshakeTimeoutMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Ping interval; a connection without a pong in between is dropped (default 20 s, 0 = off). */
  heartbeatMs?: number;
  /** Largest incoming frame (default 16 MiB: history pages of 1000 items are big). */
  maxIncomingBytes?: number;
}

/**
 * `never`: a write that must not be repeated on its own (cmd 2, 4, 32, 64): a connection lost while
 * it is in flight rejects it with CONNECTION_LOST. `safe`: resent after reconnecting until the
 * timeout (cmd 8, 16 and every read).
 */
export type RetryPolicy = 'never' | 'safe';

export interface RequestOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
}

/** A response whose signature verified with the pinned key. */
export interface TrackerResponse {
  cmd: number;
  /** The signed message exactly as received (the PEM for cmd 1, else JSON text). */
  message: string;
  sign: string;
  exData: unknown;
}

export interface SessionDiagnostic {
  kind: 'unparsable' | 'unmatched' | 'bad_signature' | 'bad_response' | 'binary' | 'pin_failed';
  message: string;
  /** The frame (cut to 1 KiB) when one is concerned. */
  frame?: string;
}

export interface TrackerSessionEvents {
  status: [SessionStatus];
  diagnostic: [SessionDiagnostic];
}

/** Writes never repeated on their own (SPEC §7). */
export const NON_REPEATABLE_CMDS: readonly number[] = [
  Cmd.OPEN_INCOME,
  Cmd.OPEN_SPEND,
  Cmd.CLOSE_INCOME,
  Cmd.CLOSE_SPEND,
];

export function retryPolicyOf(cmd: number): RetryPolicy {
  return NON_REPEATABLE_CMDS.includes(cmd) ? 'never' : 'safe';
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, jitter: true };
const MAX_DIAGNOSTIC_FRAME = 1024;
/** Room left in the size check for the corrToken chosen at send time. */
const TOKEN_ALLOWANCE = 48;

interface Pending {
  id: number;
  cmd: number;
  payload: unknown;
  retry: RetryPolicy;
  /** Token of the current send, or null while queued. */
  token: string | null;
  conn: Connection | null;
  timer: NodeJS.Timeout;
  resolve(r: TrackerResponse): void;
  reject(e: TrackerError): void;
}

interface Connection {
  id: number;
  ws: WebSocket;
  /** corrToken → request in flight on this connection. */
  inFlight: Map<string, Pending>;
  handshakeToken: string;
  handshakeTimer: NodeJS.Timeout | null;
  heartbeat: NodeJS.Timeout | null;
  alive: boolean;
  /** Why this connection is being dropped (reported when it closes). */
  failure: { code: TrackerErrorCode; message: string } | null;
  wasOnline: boolean;
}

interface OnlineWaiter {
  resolve(): void;
  reject(e: TrackerError): void;
  timer: NodeJS.Timeout;
}

export class TrackerSession extends EventEmitter<TrackerSessionEvents> {
  readonly url: string;
  private readonly signer: Signer;
  private readonly onPin: ((pem: string) => void | Promise<void>) | undefined;
  private readonly confirmNewKey: boolean;
  private readonly requestTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private readonly heartbeatMs: number;
  private readonly maxIncomingBytes: number;

  private pinned: string | null;
  private current: SessionStatus = {
    state: 'offline',
    nextAttemptAt: null,
    lastOnlineAt: null,
    error: null,
    offeredKey: null,
  };
  private conn: Connection | null = null;
  /** Requests waiting to be sent (not on the wire), in request order. */
  private queue: Pending[] = [];
  private readonly waiters = new Set<OnlineWaiter>();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private nextRequestId = 0;
  private nextConnId = 0;
  private nextToken = 0;

  constructor(opts: TrackerSessionOptions) {
    super();
    this.url = opts.url;
    this.signer = opts.signer;
    this.pinned = opts.pinnedKey;
    this.onPin = opts.onPin;
    this.confirmNewKey = opts.confirmNewKey ?? false;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 15_000;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.heartbeatMs = opts.heartbeatMs ?? 20_000;
    this.maxIncomingBytes = opts.maxIncomingBytes ?? 16 * 1024 * 1024;
  }

  /** A copy of the current status. */
  get status(): SessionStatus {
    return { ...this.current };
  }

  /** The pinned tracker key (canonical PEM once pinned here), or null before the first handshake. */
  get pinnedKey(): string | null {
    return this.pinned;
  }

  /** Starts connecting. No effect unless the session is offline (new or stopped). */
  start(): void {
    if (this.current.state !== 'offline') return;
    this.attempt = 0;
    this.setStatus({ state: 'connecting', nextAttemptAt: null, error: null });
    this.connect();
  }

  /** Closes the connection; pending requests reject with OFFLINE; no reconnection. */
  async stop(): Promise<void> {
    this.clearReconnectTimer();
    const conn = this.conn;
    this.conn = null;
    this.setStatus({
      state: 'offline',
      nextAttemptAt: null,
      offeredKey: null,
      lastOnlineAt: conn?.wasOnline ? Date.now() : this.current.lastOnlineAt,
    });
    this.failAll(() => new TrackerError('OFFLINE', 'the tracker session was stopped'), conn);
    if (conn) await closeSocket(conn);
  }

  /**
   * States `key_new` and `key_changed`: pins the offered key (reporting it through onPin) and
   * reconnects. Resolves once the new pin is saved; follow `status` for the connection.
   */
  async acceptOfferedKey(): Promise<void> {
    const offered = this.current.offeredKey;
    const waiting = this.current.state === 'key_changed' || this.current.state === 'key_new';
    if (!waiting || offered === null) {
      throw new TrackerError('BAD_PAYLOAD', 'no tracker key is waiting for acceptance');
    }
    this.pinned = offered;
    this.setStatus({ state: 'connecting', offeredKey: null, error: null, nextAttemptAt: null });
    await this.savePin(offered);
    if (this.status.state !== 'connecting' || this.conn || this.reconnectTimer) return;
    this.attempt = 0;
    this.connect();
  }

  /** Resolves when the session is online; rejects with TIMEOUT, OFFLINE, KEY_UNCONFIRMED or KEY_CHANGED. */
  waitOnline(timeoutMs = this.requestTimeoutMs): Promise<void> {
    const blocked = this.blockedError();
    if (blocked) return Promise.reject(blocked);
    if (this.current.state === 'online') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: OnlineWaiter = {
        resolve: () => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (e) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          reject(e);
        },
        timer: setTimeout(
          () =>
            waiter.reject(
              new TrackerError('TIMEOUT', `the tracker was not reachable within ${timeoutMs} ms`),
            ),
          timeoutMs,
        ),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Sends a command and resolves with its verified response. Waits for the connection (within the
   * timeout) when not online. Rejects with a TrackerError: the tracker's §8 code, or TIMEOUT,
   * CONNECTION_LOST (retry `never` only: outcome unknown), BAD_RESPONSE_SIGNATURE, BAD_RESPONSE,
   * KEY_UNCONFIRMED, KEY_CHANGED, OFFLINE, BAD_PAYLOAD (frame too large). cmd 2/4/32/64 are always
   * `never`.
   */
  request(cmd: number, payload: unknown, opts: RequestOptions = {}): Promise<TrackerResponse> {
    const blocked = this.blockedError(cmd);
    if (blocked) return Promise.reject(blocked);
    const retry: RetryPolicy = retryPolicyOf(cmd) === 'never' ? 'never' : (opts.retry ?? 'safe');
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    let size: number;
    try {
      size = Buffer.byteLength(requestFrameText(cmd, '', payload), 'utf8') + TOKEN_ALLOWANCE;
    } catch (e) {
      return Promise.reject(
        new TrackerError('BAD_PAYLOAD', `payload is not serialisable: ${String(e)}`, cmd),
      );
    }
    if (size > MAX_FRAME_BYTES) {
      return Promise.reject(
        new TrackerError(
          'BAD_PAYLOAD',
          `the request frame (${size} bytes) exceeds ${MAX_FRAME_BYTES} bytes`,
          cmd,
        ),
      );
    }
    return new Promise<TrackerResponse>((resolve, reject) => {
      const p: Pending = {
        id: ++this.nextRequestId,
        cmd,
        payload,
        retry,
        token: null,
        conn: null,
        timer: setTimeout(() => {
          this.settle(p);
          reject(new TrackerError('TIMEOUT', `no answer from the tracker within ${timeoutMs} ms`, cmd));
        }, timeoutMs),
        resolve: (r) => {
          this.settle(p);
          resolve(r);
        },
        reject: (e) => {
          this.settle(p);
          reject(e);
        },
      };
      this.queue.push(p);
      this.flush();
    });
  }

  // ---------- internals ----------

  private blockedError(cmd?: number): TrackerError | null {
    if (this.current.state === 'offline') {
      return new TrackerError('OFFLINE', 'the tracker session is not started', cmd);
    }
    if (this.current.state === 'key_new') {
      return new TrackerError(
        'KEY_UNCONFIRMED',
        'the tracker’s key awaits your confirmation before this tracker is used',
        cmd,
      );
    }
    if (this.current.state === 'key_changed') {
      return new TrackerError(
        'KEY_CHANGED',
        'the tracker presents a different key; accept it before using this tracker',
        cmd,
      );
    }
    return null;
  }

  private setStatus(patch: Partial<SessionStatus>): void {
    this.current = { ...this.current, ...patch };
    this.emit('status', this.status);
  }

  private diagnostic(kind: SessionDiagnostic['kind'], message: string, frame?: string): void {
    this.emit('diagnostic', {
      kind,
      message,
      ...(frame === undefined ? {} : { frame: frame.slice(0, MAX_DIAGNOSTIC_FRAME) }),
    });
  }

  /** Removes a request from every structure and stops its timer (idempotent). */
  private settle(p: Pending): void {
    clearTimeout(p.timer);
    if (p.token && p.conn) p.conn.inFlight.delete(p.token);
    p.token = null;
    p.conn = null;
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Rejects every request (queued and in flight on `conn`) and every online waiter. */
  private failAll(make: () => TrackerError, conn: Connection | null): void {
    const all = [...this.queue, ...(conn ? conn.inFlight.values() : [])];
    for (const p of all) p.reject(make());
    for (const w of [...this.waiters]) w.reject(make());
  }

  private connect(): void {
    this.clearReconnectTimer();
    const id = ++this.nextConnId;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, {
        maxPayload: this.maxIncomingBytes,
        handshakeTimeout: this.handshakeTimeoutMs,
      });
    } catch (e) {
      // A malformed URL: nothing to retry until the configuration changes.
      this.setStatus({
        state: 'offline',
        error: {
          code: 'OFFLINE',
          message: `cannot connect to ${this.url}: ${(e as Error).message}`,
          at: Date.now(),
        },
      });
      this.failAll(() => new TrackerError('OFFLINE', `cannot connect to ${this.url}`), null);
      return;
    }
    const conn: Connection = {
      id,
      ws,
      inFlight: new Map(),
      handshakeToken: `hs${id}`,
      handshakeTimer: null,
      heartbeat: null,
      alive: true,
      failure: null,
      wasOnline: false,
    };
    this.conn = conn;
    ws.on('open', () => this.onOpen(conn));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    ws.on('pong', () => (conn.alive = true));
    ws.on('error', (e: Error) => {
      conn.failure ??= { code: 'CONNECTION_LOST', message: e.message || 'connection error' };
    });
    ws.on('close', (code: number, reason: Buffer) => this.onClose(conn, code, reason.toString()));
  }

  private onOpen(conn: Connection): void {
    if (conn !== this.conn) return;
    conn.handshakeTimer = setTimeout(() => {
      this.drop(conn, 'TIMEOUT', `no handshake answer within ${this.handshakeTimeoutMs} ms`);
    }, this.handshakeTimeoutMs);
    if (this.heartbeatMs > 0) {
      conn.heartbeat = setInterval(() => {
        if (!conn.alive) {
          this.drop(conn, 'CONNECTION_LOST', `no pong within ${this.heartbeatMs} ms`);
          return;
        }
        conn.alive = false;
        try {
          conn.ws.ping();
        } catch {
          /* the close event follows */
        }
      }, this.heartbeatMs);
    }
    this.sendText(conn, requestFrameText(Cmd.HANDSHAKE, conn.handshakeToken, signPemPayload(this.signer)));
  }

  private sendText(conn: Connection, text: string): void {
    try {
      conn.ws.send(text, (err) => {
        if (err) this.drop(conn, 'CONNECTION_LOST', `send failed: ${err.message}`);
      });
    } catch (e) {
      this.drop(conn, 'CONNECTION_LOST', `send failed: ${(e as Error).message}`);
    }
  }

  /** Ends a connection for a reason; the close event does the rest. */
  private drop(conn: Connection, code: TrackerErrorCode, message: string): void {
    conn.failure ??= { code, message };
    conn.ws.terminate();
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn !== this.conn) return;
    if (isBinary) {
      this.diagnostic('binary', 'ignored a binary frame');
      return;
    }
    const text = rawToString(data);
    const frame = parseIncomingFrame(text);
    if (frame.kind === 'invalid') {
      this.diagnostic('unparsable', frame.reason, text);
      return;
    }
    const keys = correlationKeys(frame);
    if (keys.includes(conn.handshakeToken)) {
      this.onHandshake(conn, frame);
      return;
    }
    const key = keys.find((k) => conn.inFlight.has(k));
    const p = key === undefined ? undefined : conn.inFlight.get(key);
    if (!p) {
      this.diagnostic('unmatched', 'a frame answers no pending request (late or unknown corrToken)', text);
      return;
    }
    if (frame.kind === 'error') {
      p.reject(trackerErrorOf(frame.error, p.cmd));
      return;
    }
    if (frame.cmd !== undefined && frame.cmd !== p.cmd) {
      this.diagnostic('bad_response', `answer to cmd ${p.cmd} says cmd ${frame.cmd}`, text);
      p.reject(
        new TrackerError('BAD_RESPONSE', `the tracker answered cmd ${frame.cmd} to cmd ${p.cmd}`, p.cmd),
      );
      return;
    }
    const verdict = this.pinned
      ? verifyResponseData(p.cmd, frame.data, this.pinned)
      : ({ ok: false, reason: 'no tracker key is pinned' } as const);
    if (!verdict.ok) {
      const message = `rejected a response to cmd ${p.cmd}: ${verdict.reason}`;
      this.diagnostic('bad_signature', message, text);
      this.setStatus({ error: { code: 'BAD_RESPONSE_SIGNATURE', message, at: Date.now() } });
      p.reject(new TrackerError('BAD_RESPONSE_SIGNATURE', message, p.cmd));
      return;
    }
    p.resolve({ cmd: p.cmd, message: frame.data.message, sign: frame.data.sign, exData: frame.exData });
  }

  private onHandshake(conn: Connection, frame: Exclude<IncomingFrame, { kind: 'invalid' }>): void {
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    if (conn.wasOnline) {
      this.diagnostic('unmatched', 'a second handshake answer on one connection');
      return;
    }
    if (frame.kind === 'error') {
      const e = trackerErrorOf(frame.error, Cmd.HANDSHAKE);
      this.drop(conn, e.code, `the tracker refused the handshake: ${e.message}`);
      return;
    }
    if (frame.cmd !== undefined && frame.cmd !== Cmd.HANDSHAKE) {
      this.drop(conn, 'BAD_RESPONSE', `the handshake was answered as cmd ${frame.cmd}`);
      return;
    }
    const verdict = verifyHandshakeData(frame.data);
    if (!verdict.ok) {
      this.diagnostic('bad_signature', verdict.reason);
      this.drop(conn, verdict.code, verdict.reason);
      return;
    }
    if (this.pinned === null && this.confirmNewKey) {
      const message = 'the tracker’s key awaits your confirmation before this tracker is used';
      this.holdForKey(conn, 'key_new', verdict.key, null, () => new TrackerError('KEY_UNCONFIRMED', message));
      return;
    }
    if (this.pinned === null) {
      this.pinned = verdict.key;
      void this.savePin(verdict.key);
    } else if (!sameKey(this.pinned, verdict.key)) {
      const message = 'the tracker at this URL presents a different key than the pinned one';
      const error = { code: 'KEY_CHANGED' as const, message, at: Date.now() };
      this.holdForKey(
        conn,
        'key_changed',
        verdict.key,
        error,
        () => new TrackerError('KEY_CHANGED', message),
      );
      return;
    }
    this.goOnline(conn);
  }

  /** Drops the connection and waits, in `state`, for the owner to accept `offered` (or stop). */
  private holdForKey(
    conn: Connection,
    state: 'key_new' | 'key_changed',
    offered: string,
    error: SessionError | null,
    failure: () => TrackerError,
  ): void {
    this.conn = null;
    this.clearConnTimers(conn);
    this.setStatus({ state, offeredKey: offered, nextAttemptAt: null, error });
    this.failAll(failure, conn);
    conn.ws.terminate();
  }

  private async savePin(pem: string): Promise<void> {
    if (!this.onPin) return;
    try {
      await this.onPin(pem);
    } catch (e) {
      this.diagnostic('pin_failed', `saving the pinned tracker key failed: ${(e as Error).message}`);
    }
  }

  private goOnline(conn: Connection): void {
    conn.wasOnline = true;
    this.attempt = 0;
    this.setStatus({
      state: 'online',
      nextAttemptAt: null,
      lastOnlineAt: Date.now(),
      error: null,
      offeredKey: null,
    });
    for (const w of [...this.waiters]) w.resolve();
    this.flush();
  }

  /** Sends every queued request when online. */
  private flush(): void {
    const conn = this.conn;
    if (!conn || this.current.state !== 'online' || conn.ws.readyState !== WebSocket.OPEN) return;
    const batch = this.queue;
    this.queue = [];
    for (const p of batch) {
      const token = `c${conn.id}.${++this.nextToken}`;
      p.token = token;
      p.conn = conn;
      conn.inFlight.set(token, p);
      this.sendText(conn, requestFrameText(p.cmd, token, p.payload));
    }
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    this.clearConnTimers(conn);
    if (conn !== this.conn) return;
    this.conn = null;
    const now = Date.now();
    // Requests on the wire: a repeatable one goes back to the queue (in request order); a write
    // that must not be repeated has an unknown outcome now.
    const inFlight = [...conn.inFlight.values()];
    conn.inFlight.clear();
    const requeue: Pending[] = [];
    for (const p of inFlight) {
      p.token = null;
      p.conn = null;
      if (p.retry === 'never') {
        p.reject(
          new TrackerError(
            'CONNECTION_LOST',
            'the connection to the tracker was lost while the request was in flight: outcome unknown',
            p.cmd,
          ),
        );
      } else requeue.push(p);
    }
    this.queue = [...requeue, ...this.queue].sort((a, b) => a.id - b.id);
    const failure = conn.failure ?? {
      code: 'CONNECTION_LOST' as const,
      message: `the connection closed (${code}${reason ? `: ${reason}` : ''})`,
    };
    this.attempt += 1;
    const delay = this.backoffDelay(this.attempt);
    this.setStatus({
      state: 'reconnecting',
      nextAttemptAt: now + delay,
      lastOnlineAt: conn.wasOnline ? now : this.current.lastOnlineAt,
      error: { ...failure, at: now },
    });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.current.state !== 'reconnecting') return;
      this.setStatus({ nextAttemptAt: null });
      this.connect();
    }, delay);
  }

  private backoffDelay(attempt: number): number {
    const { initialMs, maxMs, jitter } = this.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(jitter ? Math.random() * ceiling : ceiling);
  }

  private clearConnTimers(conn: Connection): void {
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    if (conn.heartbeat) clearInterval(conn.heartbeat);
    conn.handshakeTimer = null;
    conn.heartbeat = null;
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** Closes cleanly (1000), forcing it after a second. */
function closeSocket(conn: Connection): Promise<void> {
  const ws = conn.ws;
  if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
  if (conn.heartbeat) clearInterval(conn.heartbeat);
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000);
    ws.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, 'session stopped');
  });
}
