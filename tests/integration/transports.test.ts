/**
 * The two transports of the API contract must behave identically. The same table of calls runs
 * through:
 *   (a) the Electron IPC core (createIpcHandlers from electron/main/ipc.ts) called in-process. The
 *       Electron binary cannot run here, so ipcMain/webContents themselves are not exercised; the
 *       trust check and dispatch they delegate to are.
 *   (b) the WebSocket bridge (electron/host/bridge.ts) over a real socket on 127.0.0.1, driven by the
 *       renderer's own BridgeClient (renderer/src/api/bridge-client.ts) with the `ws` package standing
 *       in for the browser WebSocket, plus a raw `ws` socket for the protocol-level checks.
 * Both serve one real backend from createAppBackend (a temporary data folder, plain Node).
 */
import { createAppBackend } from '../../electron/services/app/create-backend';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EventName, RequestName, ApiErrorShape } from '../../shared/api/contract';
import type { AppBackend } from '../../electron/services/api/backend';
import {
  createAppUrlCheck,
  createIpcHandlers,
  type IpcHandlers,
  type SenderFrame,
} from '../../electron/main/ipc';
import {
  attachBridge,
  CLOSE_UNAUTHORIZED,
  MAX_MESSAGE_BYTES,
  NO_ID,
  type Bridge,
} from '../../electron/host/bridge';
import { BridgeClient, type WebSocketConstructor } from '../../renderer/src/api/bridge-client';
import { ApiCallError } from '../../renderer/src/api/errors';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = randomBytes(32).toString('base64url');
/** How a non-browser client signs in (a browser trades the token for a cookie: serve-session.test.ts). */
const bearer = (token: string = TOKEN) => ({ Authorization: `Bearer ${token}` });
const RENDERER_FILE = join(root, 'out/renderer/index.html');
const APP_FRAME: SenderFrame = { url: `${pathToFileURL(RENDERER_FILE).href}#/dashboard`, parent: null };

type Outcome = { result: unknown } | { error: ApiErrorShape };

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A raw socket to the bridge; resolves once open (or rejects with the HTTP status / close code). */
function rawSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(JSON.parse(String(data)))));
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve(-1);
    ws.once('close', (code) => resolve(code));
  });
}

/**
 * The renderer client on a real socket, sending the page's Origin as a browser would, and the
 * token as a bearer header where a browser would send its session cookie.
 */
function bridgeClient(port: number, token: string | null = TOKEN): BridgeClient {
  const origin = `http://127.0.0.1:${port}`;
  class BrowserLikeWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { origin, headers: token === null ? {} : bearer(token) });
    }
  }
  return new BridgeClient({
    url: `ws://127.0.0.1:${port}/api`,
    token: null,
    WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor,
    minBackoffMs: 20,
    maxBackoffMs: 100,
    connectWaitMs: 5_000,
  });
}

/** A BridgeClient call as an Outcome, so it compares with the IPC side. */
async function viaBridge(client: BridgeClient, name: string, args: unknown): Promise<Outcome> {
  try {
    return { result: await client.invoke(name as RequestName, args as never) };
  } catch (e) {
    if (e instanceof ApiCallError) return { error: { code: e.code, message: e.message } };
    throw e;
  }
}

describe('API transports: Electron IPC core and WebSocket bridge', () => {
  let dataDir: string;
  let backend: AppBackend;
  let ipc: IpcHandlers;
  let server: Server;
  let port: number;
  let bridge: Bridge;
  let client: BridgeClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wt-transports-'));
    backend = await createAppBackend({ dataDir, mode: 'serve', watch: false });
    ipc = createIpcHandlers(backend, createAppUrlCheckFor(RENDERER_FILE));
    server = createServer((_req, res) => res.writeHead(404).end());
    port = await listen(server);
    bridge = attachBridge(server, backend, TOKEN);
    client = bridgeClient(port);
  });

  afterAll(async () => {
    client?.close();
    await bridge?.close();
    if (server) await closeServer(server);
    await backend?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function createAppUrlCheckFor(rendererFile: string) {
    const isAppUrl = createAppUrlCheck({ rendererFile });
    return (frame: SenderFrame) => isAppUrl(frame.url);
  }

  // [method, args, expected error code or null for success]
  const table: [string, unknown, string | null][] = [
    ['app.info', {}, null],
    ['app.info', undefined, null],
    ['settings.get', {}, null],
    ['trackers.list', {}, null],
    ['identities.list', {}, null],
    ['settings.update', { theme: 'dark' }, null],
    ['app.info', { extra: 1 }, 'INVALID_ARGUMENT'],
    ['settings.update', { language: 'xx' }, 'INVALID_ARGUMENT'],
    ['settings.update', { notAField: true }, 'INVALID_ARGUMENT'],
    ['trackers.add', { name: '', url: 'not a url' }, 'INVALID_ARGUMENT'],
    ['identities.create', { name: 'x', passphrase: 'short' }, 'INVALID_ARGUMENT'],
    ['history.chart', { identityId: 'i', buckets: 1 }, 'INVALID_ARGUMENT'],
    ['identities.rename', 'not an object', 'INVALID_ARGUMENT'],
    ['no.such.method', {}, 'UNKNOWN_METHOD'],
    ['__proto__', {}, 'UNKNOWN_METHOD'],
    ['toString', {}, 'UNKNOWN_METHOD'],
  ];

  it.each(table)('%s %j answers the same through both transports', async (name, args, code) => {
    const viaIpc = await ipc.invoke(APP_FRAME, name, args);
    const viaWs = await viaBridge(client, name, args);
    expect(viaWs).toEqual(viaIpc);
    if (code === null) expect(viaIpc).toHaveProperty('result');
    else expect(viaIpc).toMatchObject({ error: { code } });
  });

  it('a handler error (not found) is the same error on both sides', async () => {
    const args = { id: 'no-such-identity', name: 'New name' };
    const viaIpc = await ipc.invoke(APP_FRAME, 'identities.rename', args);
    expect(viaIpc).toHaveProperty('error');
    expect(await viaBridge(client, 'identities.rename', args)).toEqual(viaIpc);
  });

  it('a change made through one transport is seen through the other', async () => {
    await ipc.invoke(APP_FRAME, 'settings.update', { language: 'ru' });
    expect(await client.invoke('settings.get', {})).toMatchObject({ language: 'ru' });
    await client.invoke('settings.update', { language: 'en' });
    expect(await ipc.invoke(APP_FRAME, 'settings.get', {})).toMatchObject({ result: { language: 'en' } });
  });

  it('app.info reports the data folder and mode', async () => {
    const info = await client.invoke('app.info', {});
    expect(info.dataDir).toBe(dataDir);
    expect(info.mode).toBe('serve');
  });

  describe('IPC sender check', () => {
    const untrusted: [string, SenderFrame | null | undefined][] = [
      ['no sender frame', null],
      ['undefined sender frame', undefined],
      ['a web page', { url: 'https://evil.example/', parent: null }],
      ['another local file', { url: pathToFileURL(join(root, 'package.json')).href, parent: null }],
      ['a sub-frame showing the app page', { url: APP_FRAME.url, parent: {} }],
      ['a malformed URL', { url: 'not a url', parent: null }],
    ];
    it.each(untrusted)('rejects %s', async (_label, frame) => {
      await expect(ipc.invoke(frame, 'app.info', {})).rejects.toMatchObject({ code: 'UNTRUSTED_SENDER' });
    });

    it('accepts the dev server origin in dev, and nothing else', () => {
      const check = createAppUrlCheck({ rendererFile: RENDERER_FILE, devServerUrl: 'http://localhost:5173' });
      expect(check('http://localhost:5173/#/history')).toBe(true);
      expect(check('http://localhost:5174/')).toBe(false);
      expect(check(APP_FRAME.url)).toBe(false);
    });
  });

  describe('bridge access control', () => {
    const okOrigin = () => `http://127.0.0.1:${port}`;

    it('answers with the token and the page origin', async () => {
      const ws = await rawSocket(`ws://127.0.0.1:${port}/api`, { origin: okOrigin(), headers: bearer() });
      ws.send(JSON.stringify({ id: 7, method: 'app.info', args: {} }));
      expect(await nextMessage(ws)).toMatchObject({ id: 7, result: { mode: 'serve' } });
      ws.close();
    });

    it('also answers a localhost page and a non-browser client without Origin', async () => {
      const a = await rawSocket(`ws://localhost:${port}/api`, {
        origin: `http://localhost:${port}`,
        headers: bearer(),
      });
      const b = await rawSocket(`ws://127.0.0.1:${port}/api`, { headers: bearer() });
      for (const ws of [a, b]) {
        ws.send(JSON.stringify({ id: 1, method: 'settings.get' }));
        expect(await nextMessage(ws)).toHaveProperty('result');
        ws.close();
      }
    });

    it.each([
      ['a missing token', '', {}],
      ['a wrong token', '', bearer('wrong-token-0123456789abcdefABCDEF')],
      ['a token prefix', '', bearer(TOKEN.slice(0, -1))],
      ['an empty token', '', { Authorization: 'Bearer ' }],
      ['another scheme', '', { Authorization: `Basic ${TOKEN}` }],
      ['a foreign session cookie', '', { Cookie: `wt_session_${1}=${TOKEN}` }],
      ['the token in the query string (never accepted)', `?token=${TOKEN}`, {}],
    ])('closes the socket (4401) for %s', async (_label, query, headers) => {
      const ws = await rawSocket(`ws://127.0.0.1:${port}/api${query}`, { origin: okOrigin(), headers });
      const replies: unknown[] = [];
      ws.on('message', (d) => replies.push(String(d)));
      ws.send(JSON.stringify({ id: 1, method: 'app.info', args: {} }));
      expect(await closeCode(ws)).toBe(CLOSE_UNAUTHORIZED);
      expect(replies).toEqual([]);
    });

    it.each([
      ['another site', 'http://evil.example'],
      ['another port', 'http://127.0.0.1:1'],
      ['https of the same host', 'https://127.0.0.1:PORT'],
      ['the null origin', 'null'],
    ])('refuses the upgrade (403) from %s', async (_label, origin) => {
      await expect(
        rawSocket(`ws://127.0.0.1:${port}/api`, {
          origin: origin.replace('PORT', String(port)),
          headers: bearer(),
        }),
      ).rejects.toThrow('HTTP 403');
    });

    it('refuses a foreign Host name (DNS rebinding) even with a matching Origin', async () => {
      await expect(
        rawSocket(`ws://127.0.0.1:${port}/api`, {
          headers: { Host: `evil.example:${port}`, ...bearer() },
          origin: `http://evil.example:${port}`,
        }),
      ).rejects.toThrow('HTTP 403');
    });

    it('refuses other paths', async () => {
      await expect(rawSocket(`ws://127.0.0.1:${port}/other`, { headers: bearer() })).rejects.toThrow(
        'HTTP 404',
      );
    });

    it('the renderer client reports a wrong token as UNAUTHORIZED and stops retrying', async () => {
      const bad = bridgeClient(port, 'wrong-token-0123456789abcdefABCDEF');
      await expect(bad.invoke('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      expect(bad.state).toBe('unauthorized');
      await expect(bad.invoke('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      bad.close();
      const none = bridgeClient(port, null);
      await expect(none.invoke('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      none.close();
    });
  });

  describe('bridge robustness', () => {
    let ws: WebSocket;
    beforeAll(async () => {
      ws = await rawSocket(`ws://127.0.0.1:${port}/api`, { headers: bearer() });
    });
    afterAll(() => ws?.close());

    it.each([
      ['not JSON', 'not json', NO_ID],
      ['a JSON array', '[1,2]', NO_ID],
      ['no id', JSON.stringify({ method: 'app.info' }), NO_ID],
      ['a string id', JSON.stringify({ id: 'x', method: 'app.info' }), NO_ID],
      ['a non-string method', JSON.stringify({ id: 5, method: 7 }), 5],
      ['an overlong method name', JSON.stringify({ id: 6, method: 'x'.repeat(65) }), 6],
    ])('answers %s with BAD_REQUEST and keeps serving', async (_label, frame, id) => {
      ws.send(frame);
      expect(await nextMessage(ws)).toEqual({
        id,
        error: { code: 'BAD_REQUEST', message: expect.any(String) },
      });
      ws.send(JSON.stringify({ id: 99, method: 'app.info', args: {} }));
      expect(await nextMessage(ws)).toMatchObject({ id: 99, result: { mode: 'serve' } });
    });

    it('answers a binary frame with BAD_REQUEST', async () => {
      ws.send(Buffer.from(JSON.stringify({ id: 1, method: 'app.info' })), { binary: true });
      expect(await nextMessage(ws)).toMatchObject({ id: NO_ID, error: { code: 'BAD_REQUEST' } });
    });

    it('closes a socket that sends more than 1 MiB in one message (1009)', async () => {
      const big = await rawSocket(`ws://127.0.0.1:${port}/api`, { headers: bearer() });
      const frame = JSON.stringify({
        id: 1,
        method: 'app.info',
        args: { pad: 'x'.repeat(MAX_MESSAGE_BYTES) },
      });
      big.send(frame);
      expect(await closeCode(big)).toBe(1009);
      // The host is fine.
      expect(await client.invoke('app.info', {})).toMatchObject({ mode: 'serve' });
    });

    it('accepts a message just under the limit (and validates it normally)', async () => {
      const frame = JSON.stringify({
        id: 3,
        method: 'app.info',
        args: { pad: 'x'.repeat(MAX_MESSAGE_BYTES - 100) },
      });
      ws.send(frame);
      expect(await nextMessage(ws)).toMatchObject({ id: 3, error: { code: 'INVALID_ARGUMENT' } });
    });
  });

  it('delivers backend events through both transports', async () => {
    const ipcEvents: [EventName, unknown][] = [];
    const offIpc = ipc.subscribe((event, payload) => ipcEvents.push([event, payload]));
    const clientEvents: unknown[] = [];
    const offClient = client.on('expiry.expired', (p) => clientEvents.push(p));
    const settingsEvents: unknown[] = [];
    const offSettings = client.on('settings.changed', (p) => settingsEvents.push(p));
    const raw = await rawSocket(`ws://127.0.0.1:${port}/api`, { headers: bearer() });
    const rawEvents: unknown[] = [];
    raw.on('message', (d) => rawEvents.push(JSON.parse(String(d))));

    const note = { identityId: 'id-1', kind: 'spend' as const, target: '0x0cabc' };
    backend.events.emit('expiry.expired', note);
    // A real state change also emits: settings.update → settings.changed.
    await ipc.invoke(APP_FRAME, 'settings.update', { theme: 'light' });

    await expect.poll(() => clientEvents.length).toBe(1);
    await expect.poll(() => settingsEvents.length).toBe(1);
    await expect.poll(() => rawEvents.length).toBe(2);
    expect(clientEvents[0]).toEqual(note);
    expect(ipcEvents).toEqual([
      ['expiry.expired', note],
      ['settings.changed', expect.objectContaining({ theme: 'light' })],
    ]);
    expect(rawEvents).toEqual([
      { event: 'expiry.expired', payload: note },
      { event: 'settings.changed', payload: ipcEvents[1]![1] },
    ]);
    expect(settingsEvents[0]).toEqual(ipcEvents[1]![1]);

    offIpc();
    offClient();
    offSettings();
    backend.events.emit('expiry.expired', { ...note, target: '0x0cdef' });
    await expect.poll(() => rawEvents.length).toBe(3);
    expect(clientEvents).toHaveLength(1);
    expect(ipcEvents).toHaveLength(2);
    raw.close();
  });

  it('the renderer client reconnects, and rejects calls in flight when the connection drops', async () => {
    // A second host whose app.info waits for the test: the call is in flight when the socket dies.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: AppBackend = {
      ...backend,
      handlers: {
        ...backend.handlers,
        'app.info': async (a) => {
          await gate;
          return backend.handlers['app.info'](a);
        },
      },
    };
    const slowServer = createServer((_req, res) => res.writeHead(404).end());
    const slowPort = await listen(slowServer);
    let slowBridge = attachBridge(slowServer, slow, TOKEN);
    const c = bridgeClient(slowPort);
    const states: string[] = [];
    c.onState((s) => states.push(s));
    try {
      expect(await c.invoke('settings.get', {})).toHaveProperty('theme');
      const inFlight = c.invoke('app.info', {});
      await slowBridge.close();
      await expect(inFlight).rejects.toMatchObject({ code: 'DISCONNECTED' });
      release();

      // Calls made while disconnected wait for the reconnect.
      const queued = c.invoke('settings.get', {});
      slowBridge = attachBridge(slowServer, slow, TOKEN);
      expect(await queued).toHaveProperty('theme');
      expect(c.state).toBe('open');
      expect(states).toContain('reconnecting');
    } finally {
      c.close();
      await slowBridge.close();
      await closeServer(slowServer);
    }
  });
});
