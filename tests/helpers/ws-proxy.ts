/**
 * A real WebSocket man-in-the-middle for tests: every client connection gets its own upstream
 * connection to the target. Hooks can hold or drop client frames and rewrite or drop tracker frames;
 * when the upstream closes (tracker killed) the client connection is dropped too.
 */
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import type { AddressInfo } from 'node:net';

export type ClientFrameAction = 'forward' | 'hold' | 'drop';

export interface HeldFrame {
  text: string;
  upstream: WebSocket;
}

export interface WsProxy {
  url: string;
  port: number;
  /** Decides what happens to a frame from the client (default: forward). */
  onClientFrame: (text: string) => ClientFrameAction;
  /** Rewrites a frame from the tracker; null drops it (default: unchanged). */
  onServerFrame: (text: string) => string | null;
  /** Frames held back by onClientFrame, in arrival order. */
  held: HeldFrame[];
  /** Client connections accepted so far. */
  accepted: number;
  /** Sends the held frames upstream (those whose upstream is still open). */
  releaseHeld(): void;
  /** Drops every client connection (and its upstream) abruptly. */
  dropClients(): void;
  close(): Promise<void>;
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

export async function startWsProxy(target: string): Promise<WsProxy> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 24 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const port = (wss.address() as AddressInfo).port;
  const pairs = new Set<{ client: WebSocket; upstream: WebSocket }>();
  const proxy: WsProxy = {
    url: `ws://127.0.0.1:${port}`,
    port,
    onClientFrame: () => 'forward',
    onServerFrame: (t) => t,
    held: [],
    accepted: 0,
    releaseHeld() {
      const frames = proxy.held;
      proxy.held = [];
      for (const f of frames) if (f.upstream.readyState === WebSocket.OPEN) f.upstream.send(f.text);
    },
    dropClients() {
      for (const p of pairs) {
        p.client.terminate();
        p.upstream.terminate();
      }
    },
    close: async () => {
      proxy.dropClients();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  wss.on('connection', (client) => {
    proxy.accepted += 1;
    const upstream = new WebSocket(target, { maxPayload: 1 << 24 });
    const pair = { client, upstream };
    pairs.add(pair);
    const early: string[] = [];
    const end = (): void => {
      pairs.delete(pair);
      client.terminate();
      upstream.terminate();
    };
    upstream.on('open', () => {
      for (const t of early.splice(0)) upstream.send(t);
    });
    upstream.on('message', (data) => {
      const out = proxy.onServerFrame(text(data));
      if (out !== null && client.readyState === WebSocket.OPEN) client.send(out);
    });
    upstream.on('error', () => undefined);
    upstream.on('close', end);
    client.on('error', () => undefined);
    client.on('close', end);
    client.on('message', (data) => {
      const t = text(data);
      const action = proxy.onClientFrame(t);
      if (action === 'drop') return;
      if (action === 'hold') {
        proxy.held.push({ text: t, upstream });
        return;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(t);
      else early.push(t);
    });
  });
  return proxy;
}

/** The cmd of a request frame's text (or of a success frame), undefined for anything else. */
export function cmdOf(frameText: string): number | undefined {
  try {
    const cmd = (JSON.parse(frameText) as { cmd?: unknown }).cmd;
    return typeof cmd === 'number' ? cmd : undefined;
  } catch {
    return undefined;
  }
}
