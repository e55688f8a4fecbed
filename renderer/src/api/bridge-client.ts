/**
 * ApiTransport over the plain-Node host's WebSocket bridge (electron/host/bridge.ts), for the
 * renderer running in an ordinary browser. Connects lazily on first use to `ws(s)://<this host>/api`,
 * correlates replies by id, reconnects with backoff, and rejects calls that were in flight when the
 * connection dropped (they may or may not have run).
 *
 * Signing in (electron/host/auth.ts): the token arrives once in the address (`#token=…`), is taken
 * out of it at once, and is traded for an HttpOnly session cookie (`POST /session`); the socket and
 * the export downloads then authenticate with that cookie. The token is kept nowhere. A new token
 * pasted into the same tab (a `hashchange`) signs in again without a reload.
 */
import {
  bridgeMessage,
  isEventName,
  type ApiTransport,
  type EventName,
  type EventPayload,
  type RequestArgs,
  type RequestName,
  type RequestResult,
} from '../../../shared/api/contract';
import { ApiCallError } from './errors';

/** Close code the host uses for a missing or wrong token. */
const CLOSE_UNAUTHORIZED = 4401;
/** Where an earlier version kept the token in this tab; removed on sight. */
const LEGACY_TOKEN_KEY = 'wallet-tracker.token';
/** WebSocket.OPEN, spelled out so an injected implementation works where no global WebSocket exists. */
const OPEN = 1;

export type BridgeState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'unauthorized' | 'closed';

/** The browser WebSocket constructor, or a compatible one (tests pass the `ws` package's). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface BridgeClientOptions {
  /** Full ws:// URL; default `ws(s)://<location.host>/api`. */
  url?: string;
  /**
   * A token to trade for a session before connecting. Default: from `#token=` in the address
   * (then removed from it); null: none (the session cookie, or the socket's own credentials).
   */
  token?: string | null;
  /** Trades a token for the session cookie; false when the host refuses it. Default: POST /session here. */
  startSession?: (token: string) => Promise<boolean>;
  WebSocket?: WebSocketConstructor;
  /** How long a call waits for a connection before failing; default 15 s. */
  connectWaitMs?: number;
  /** Reconnect delays grow from `minBackoffMs` to `maxBackoffMs` (defaults 250 ms, 10 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: ApiCallError): void;
}

interface Queued extends Pending {
  frame: string;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The access token from `#token=` in the address, removed from it at once (so it does not linger in
 * the address bar, history or bookmarks), or null.
 */
export function takeToken(): string | null {
  let token: string | null = null;
  try {
    sessionStorage.removeItem(LEGACY_TOKEN_KEY);
    const hash = new URLSearchParams(location.hash.replace(/^#/, ''));
    token = hash.get('token');
    if (token) {
      hash.delete('token');
      const rest = hash.toString();
      history.replaceState(
        history.state,
        '',
        `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`,
      );
    }
  } catch {
    // No location/history/storage (unusual embedding): whatever the hash gave us.
  }
  return token || null;
}

/** Trades the token for this host's session cookie (HttpOnly, so this page never sees it). */
async function startSessionHere(token: string): Promise<boolean> {
  const res = await fetch(`${location.origin}/session`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.ok) return true;
  if (res.status === 401 || res.status === 403) return false;
  throw new Error(`the host answered ${res.status}`);
}

/** Signs in again whenever a new `#token=` address is opened in this tab (no reload happens then). */
export function followAddressTokens(client: BridgeClient): () => void {
  const onHashChange = (): void => {
    const token = takeToken();
    if (token) client.useToken(token);
  };
  window.addEventListener('hashchange', onHashChange);
  return () => window.removeEventListener('hashchange', onHashChange);
}

export class BridgeClient implements ApiTransport {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue = new Map<number, Queued>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly stateListeners = new Set<(state: BridgeState) => void>();
  private currentState: BridgeState = 'idle';
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** A token still to trade for a session; undefined until the address was read. */
  private pendingToken: string | null | undefined;
  /** Bumped whenever a connection attempt is abandoned, so its late callbacks do nothing. */
  private generation = 0;
  private signingIn = false;

  constructor(private readonly opts: BridgeClientOptions = {}) {
    this.pendingToken = opts.token;
  }

  get state(): BridgeState {
    return this.currentState;
  }

  /** Follows connection changes (for a "reconnecting…" banner); returns the unsubscribe function. */
  onState(listener: (state: BridgeState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  invoke<N extends RequestName>(name: N, args: RequestArgs<N>): Promise<RequestResult<N>> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.currentState === 'closed') throw new ApiCallError('DISCONNECTED', 'the API client was closed');
      if (!this.ensureConnection()) throw this.unauthorizedError();
      const id = this.nextId++;
      const frame = JSON.stringify({ id, method: name, args: args ?? {} });
      if (this.ws && this.ws.readyState === OPEN) {
        this.pending.set(id, { resolve, reject });
        this.ws.send(frame);
        return;
      }
      const timer = setTimeout(() => {
        this.queue.delete(id);
        reject(new ApiCallError('DISCONNECTED', 'cannot reach the Wallet Tracker host'));
      }, this.opts.connectWaitMs ?? 15_000);
      this.queue.set(id, { resolve, reject, frame, timer });
    }) as Promise<RequestResult<N>>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    if (!isEventName(event)) throw new ApiCallError('UNKNOWN_EVENT', `unknown event ${String(event)}`);
    const entry = (payload: unknown) => listener(payload as EventPayload<E>);
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(entry);
    this.ensureConnection();
    return () => {
      set.delete(entry);
    };
  }

  /** Download address of a file the host wrote to its exports folder (the session cookie signs it). */
  exportUrl(fileName: string): string {
    return `/exports/${encodeURIComponent(fileName)}`;
  }

  /**
   * Signs in with a new token (a fresh `#token=` address in this tab): a refused or lost
   * connection starts over at once; an open one stays and only renews its session cookie.
   */
  useToken(token: string): void {
    if (this.currentState === 'closed') return;
    if (this.currentState === 'open') {
      void this.startSession(token).catch(() => undefined);
      return;
    }
    this.generation++;
    this.signingIn = false;
    this.pendingToken = token;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const stale = this.ws;
    this.ws = null;
    stale?.close(1000);
    this.attempt = 0;
    this.connect();
  }

  /** Closes for good: pending calls fail, no reconnects. */
  close(): void {
    this.generation++;
    this.setState('closed');
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failAll(new ApiCallError('DISCONNECTED', 'the API client was closed'), true);
    this.ws?.close(1000);
    this.ws = null;
  }

  private startSession(token: string): Promise<boolean> {
    return (this.opts.startSession ?? startSessionHere)(token);
  }

  private unauthorizedError(): ApiCallError {
    return new ApiCallError(
      'UNAUTHORIZED',
      'not signed in to the host: open the address (with #token=…) that `npm run serve` printed',
    );
  }

  /** Starts connecting if nothing is under way; false when signing in was refused. */
  private ensureConnection(): boolean {
    if (this.currentState === 'unauthorized' || this.currentState === 'closed') return false;
    if (this.ws || this.reconnectTimer || this.signingIn) return true;
    this.connect();
    return true;
  }

  private socketUrl(): string {
    return this.opts.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
  }

  /** Trades a pending token for a session first, if there is one; then opens the socket. */
  private connect(): void {
    this.reconnectTimer = null;
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    if (this.pendingToken === undefined) this.pendingToken = takeToken();
    const token = this.pendingToken;
    if (!token) return this.openSocket();
    const generation = this.generation;
    this.signingIn = true;
    this.startSession(token).then(
      (accepted) => {
        if (generation !== this.generation) return;
        this.signingIn = false;
        if (!accepted) return this.refuse();
        this.pendingToken = null;
        this.openSocket();
      },
      () => {
        // Host unreachable: try again later with the same token; queued calls keep waiting.
        if (generation !== this.generation) return;
        this.signingIn = false;
        this.scheduleReconnect();
      },
    );
  }

  private refuse(): void {
    this.setState('unauthorized');
    this.failAll(this.unauthorizedError(), true);
  }

  private openSocket(): void {
    const Impl = this.opts.WebSocket ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(this.socketUrl());
    } catch (e) {
      this.failAll(new ApiCallError('DISCONNECTED', `cannot connect: ${String(e)}`), true);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.setState('open');
      for (const [id, q] of this.queue) {
        clearTimeout(q.timer);
        this.pending.set(id, q);
        ws.send(q.frame);
      }
      this.queue.clear();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws === ws) this.receive(ev.data);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === CLOSE_UNAUTHORIZED) return this.refuse();
      this.failAll(
        new ApiCallError(
          'DISCONNECTED',
          'the connection to the Wallet Tracker host was lost; the request may or may not have completed',
        ),
        false,
      );
      if (this.currentState !== 'closed') this.scheduleReconnect();
    };
    // Errors are always followed by close; nothing to do here.
    ws.onerror = () => undefined;
  }

  private scheduleReconnect(): void {
    const min = this.opts.minBackoffMs ?? 250;
    const max = this.opts.maxBackoffMs ?? 10_000;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.setState('reconnecting');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(data: unknown): void {
    let parsed;
    try {
      parsed = bridgeMessage.safeParse(JSON.parse(String(data)));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const msg = parsed.data;
    if ('event' in msg) {
      for (const listener of this.listeners.get(msg.event) ?? []) {
        try {
          listener(msg.payload);
        } catch (e) {
          console.error(`api: listener for ${msg.event} failed`, e);
        }
      }
      return;
    }
    const call = this.pending.get(msg.id);
    if (!call) {
      if ('error' in msg) console.warn(`api: host error ${msg.error.code}: ${msg.error.message}`);
      return;
    }
    this.pending.delete(msg.id);
    if ('error' in msg) call.reject(new ApiCallError(msg.error.code, msg.error.message));
    else call.resolve(msg.result);
  }

  /** Rejects every in-flight call and, with `queued`, the ones still waiting for a connection. */
  private failAll(error: ApiCallError, queued: boolean): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    if (!queued) return;
    for (const q of this.queue.values()) {
      clearTimeout(q.timer);
      q.reject(error);
    }
    this.queue.clear();
  }

  private setState(state: BridgeState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    for (const listener of this.stateListeners) listener(state);
  }
}

export function createBridgeClient(opts?: BridgeClientOptions): BridgeClient {
  return new BridgeClient(opts);
}
