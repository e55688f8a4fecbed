/**
 * The plain-Node host as a user runs it (`node --import tsx electron/host/cli.ts`, i.e. `npm run serve:nobuild`):
 * loopback only, the built renderer with its CSP as a header, no path traversal, the token printed
 * once and traded for an HttpOnly session cookie, exports and the API bridge behind that cookie (or
 * a bearer header, never a query string), weak tokens refused, an owner-only data folder under
 * umask 022, clean exit on SIGTERM.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cspOf } from '../../electron/host/serve';
import { BridgeClient, type WebSocketConstructor } from '../../renderer/src/api/bridge-client';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = randomBytes(24).toString('base64url');
const PACKAGE_JSON_MARK = '"name": "wallet-tracker"';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as given (no client-side normalisation of `..`). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Local addresses of LISTEN sockets on `port` from /proc/net/tcp{,6} (Linux), as hex strings. */
function listeningAddresses(port: number): string[] | null {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  let sawTable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    sawTable = true;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [addr, p] = (cols[1] ?? '').split(':');
      if (p === portHex && cols[3] === '0A') found.push(addr!);
    }
  }
  return sawTable ? found : null;
}

function tryConnect(host: string, port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** The session cookie a browser would keep after POST /session with the token (name=value). */
async function signIn(port: number, token = TOKEN): Promise<string> {
  const res = await get(port, '/session', { Authorization: `Bearer ${token}` }, 'POST');
  expect(res.status).toBe(204);
  const set = res.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0]!;
}

/** The CLI with these arguments, run to its exit (for refusals that happen before serving). */
function runCli(args: string[], env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'electron/host/cli.ts'), ...args], {
    cwd: root,
    env: { ...process.env, WT_SERVE_TOKEN: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

interface ServedHost {
  dataDir: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  serving: { origin: string; port: number };
  stdout: () => string;
  stderr: () => string;
  /** Kills the host if still running and removes its data folder. */
  dispose(): Promise<void>;
}

/** Starts the host as `npm run serve:nobuild` does, under umask 022, on a free port, with its own data folder. */
async function startHost(): Promise<ServedHost> {
  if (!existsSync(join(root, 'out/renderer/index.html'))) {
    execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
  }
  const dataDir = join(mkdtempSync(join(tmpdir(), 'wt-serve-')), 'data');
  // Under umask 022, as on most desktops: the data folder must still come out owner-only.
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      'umask 022 && exec "$@"',
      'sh',
      process.execPath,
      '--import',
      'tsx',
      join(root, 'electron/host/cli.ts'),
      '--port',
      '0',
      '--data-dir',
      dataDir,
      // One argument: a random token may start with '-', which would read as an option.
      `--token=${TOKEN}`,
    ],
    { cwd: root, env: { ...process.env, WT_SERVE_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const serving = await new Promise<ServedHost['serving']>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout += `${line}\n`;
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { event?: string; origin: string; port: number };
      if (entry.event === 'serving') resolve(entry);
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before serving: ${stderr}`)));
  });
  return {
    dataDir,
    child,
    exited,
    serving,
    stdout: () => stdout,
    stderr: () => stderr,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    },
  };
}

describe('npm run serve (plain-Node host)', () => {
  let host: ServedHost;
  let dataDir: string;
  let serving: ServedHost['serving'];

  beforeAll(async () => {
    host = await startHost();
    ({ dataDir, serving } = host);
  }, 180_000);

  afterAll(async () => {
    await host?.dispose();
  });

  it('prints the address with the token once, and a JSON line without it', () => {
    expect(serving.origin).toBe(`http://127.0.0.1:${serving.port}`);
    expect(host.stdout()).toContain(
      `Wallet Tracker serving at http://127.0.0.1:${serving.port}/#token=${TOKEN}\n`,
    );
    expect(host.stdout().split(TOKEN)).toHaveLength(2);
    expect(host.stderr()).not.toContain(TOKEN);
    expect(serving.port).toBeGreaterThan(0);
  });

  it.each([
    ['a short token', ['--token=abcDEF123_-xyz']],
    ['a long token of few characters', [`--token=${'ab'.repeat(40)}`]],
    ['a token of 28 digits', ['--token=1234567890123456789012345678']],
    ['a token with other characters', [`--token=${TOKEN}!`]],
  ])('refuses %s (under 128 bits of entropy) with a clear message', (_label, args) => {
    const r = runCli([...args, '--port', '0', '--data-dir', join(dataDir, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing --token: the token/);
    expect(r.stderr).toContain('128 bits');
    expect(existsSync(join(dataDir, 'never'))).toBe(false);
  });

  it('refuses a weak WT_SERVE_TOKEN the same way', () => {
    const r = runCli(['--port', '0', '--data-dir', join(dataDir, 'never')], {
      WT_SERVE_TOKEN: 'password1234',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing WT_SERVE_TOKEN: the token carries about \d+ bits/);
  });

  it('keeps its data folder owner-only under umask 022', async () => {
    // settings.update writes settings.json.
    const ws = new WebSocket(`ws://127.0.0.1:${serving.port}/api`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 1, method: 'settings.update', args: { theme: 'dark' } }));
    await new Promise((resolve) => ws.once('message', resolve));
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    for (const file of ['settings.json', 'cache.sqlite']) {
      expect(lstatSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    const listening = listeningAddresses(serving.port);
    if (listening) expect(listening).toEqual(['0100007F']);
    expect(await tryConnect('127.0.0.1', serving.port)).toBe('connected');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) expect(await tryConnect(external.address, serving.port)).not.toBe('connected');
  });

  it('serves index.html with the page CSP as a header and the hardening headers', async () => {
    const res = await get(serving.port, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<div id="app"></div>');
    const sourceCsp = cspOf(readFileSync(join(root, 'renderer/index.html'), 'utf8'));
    expect(sourceCsp).toContain("default-src 'self'");
    expect(sourceCsp).not.toContain('unsafe-inline');
    // frame-ancestors only works in a header (a meta tag gets a console error instead).
    expect(sourceCsp).not.toContain('frame-ancestors');
    expect(res.headers['content-security-policy']).toBe(`${sourceCsp}; frame-ancestors 'none'`);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves the built assets with their MIME types', async () => {
    const html = (await get(serving.port, '/')).body;
    const script = /src="\.?(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="\.?(\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeTruthy();
    const js = await get(serving.port, script!);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    if (style)
      expect((await get(serving.port, style)).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('falls back to index.html for app routes, but not for missing files', async () => {
    const route = await get(serving.port, '/history/abc');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<div id="app"></div>');
    expect((await get(serving.port, '/assets/missing.js')).status).toBe(404);
  });

  it.each([
    '/../package.json',
    '/../../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/..%2fpackage.json',
    '/..%2Fpackage.json',
    '/%2e%2e%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/..\\package.json',
    '/..%5cpackage.json',
    '/.%2e/package.json',
    '/%252e%252e/package.json',
    '/package.json%00.html',
    '/%c0%ae%c0%ae/package.json',
    '/./../package.json',
  ])('refuses path traversal: %s', async (path) => {
    const res = await get(serving.port, path);
    expect([400, 404]).toContain(res.status);
    expect(res.body).not.toContain(PACKAGE_JSON_MARK);
  });

  it('refuses requests naming another host (DNS rebinding) and non-GET methods', async () => {
    expect((await get(serving.port, '/', { Host: `evil.example:${serving.port}` })).status).toBe(421);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: serving.port, path: '/', method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
  });

  it('trades the token for an HttpOnly, SameSite=Strict session cookie at POST /session only', async () => {
    const origin = `http://127.0.0.1:${serving.port}`;
    const ok = await get(
      serving.port,
      '/session',
      { Authorization: `Bearer ${TOKEN}`, Origin: origin },
      'POST',
    );
    expect(ok.status).toBe(204);
    const cookie = ok.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(
      new RegExp(`^wt_session_${serving.port}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    );
    expect(cookie).not.toContain(TOKEN);
    expect(ok.headers['cache-control']).toBe('no-store');
    // The same session for every tab and sign-in (an HMAC of the token, not a counter).
    expect(await signIn(serving.port)).toBe(cookie.split(';')[0]);

    for (const headers of [
      {} as Record<string, string>,
      { Authorization: 'Bearer wrong-token-0123456789abcdefABCDEF' },
      { Authorization: `Bearer ${TOKEN.slice(1)}` },
      { Authorization: TOKEN },
    ]) {
      const refused = await get(serving.port, '/session', headers, 'POST');
      expect(refused.status, JSON.stringify(headers)).toBe(401);
      expect(refused.headers['set-cookie']).toBeUndefined();
    }
    const foreign = { Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' };
    expect((await get(serving.port, '/session', foreign, 'POST')).status).toBe(403);
    expect((await get(serving.port, `/session?token=${TOKEN}`, {}, 'POST')).status).toBe(401);
    expect((await get(serving.port, '/session', { Authorization: `Bearer ${TOKEN}` })).status).toBe(405);
  });

  it('serves files from <dataDir>/exports only to a signed-in client, and only by plain name', async () => {
    mkdirSync(join(dataDir, 'exports'), { recursive: true });
    writeFileSync(join(dataDir, 'exports', 'history-test.csv'), 'txId,amount\n1,100\n');
    const session = { Cookie: await signIn(serving.port) };
    const ok = await get(serving.port, '/exports/history-test.csv', session);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('txId,amount\n1,100\n');
    expect(ok.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(ok.headers['content-disposition']).toBe('attachment; filename="history-test.csv"');
    const viaBearer = await get(serving.port, '/exports/history-test.csv', {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(viaBearer.status).toBe(200);
    expect((await get(serving.port, '/exports/history-test.csv')).status).toBe(401);
    // A token in the query string is never accepted.
    expect((await get(serving.port, `/exports/history-test.csv?token=${TOKEN}`)).status).toBe(401);
    const otherPort = { Cookie: session.Cookie.replace(`_${serving.port}=`, '_1=') };
    expect((await get(serving.port, '/exports/history-test.csv', otherPort)).status).toBe(401);
    const forged = { Cookie: `wt_session_${serving.port}=${TOKEN}` };
    expect((await get(serving.port, '/exports/history-test.csv', forged)).status).toBe(401);
    expect((await get(serving.port, '/exports/missing.csv', session)).status).toBe(404);
    for (const name of ['..%2fsettings.json', '%2e%2e%2fsettings.json', '.hidden', '..', 'a%2fb.csv']) {
      const res = await get(serving.port, `/exports/${name}`, session);
      expect(res.status, name).toBe(400);
    }
    expect((await get(serving.port, '/exports/../settings.json', session)).status).not.toBe(200);
  });

  it('answers app.info over the bridge with the session cookie, and refuses without it', async () => {
    const origin = `http://127.0.0.1:${serving.port}`;
    const Cookie = await signIn(serving.port);
    const ws = new WebSocket(`ws://127.0.0.1:${serving.port}/api`, { origin, headers: { Cookie } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 1, method: 'app.info', args: {} }));
    const reply = await new Promise<Record<string, unknown>>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)))),
    );
    expect(reply).toMatchObject({ id: 1, result: { mode: 'serve', dataDir } });
    ws.close();

    for (const query of ['', '?token=', `?token=${TOKEN}`]) {
      const denied = new WebSocket(`ws://127.0.0.1:${serving.port}/api${query}`, { origin });
      const code = await new Promise<number>((resolve) => denied.once('close', (c) => resolve(c)));
      expect(code).toBe(4401);
    }
    const foreign = new WebSocket(`ws://127.0.0.1:${serving.port}/api`, {
      origin: 'http://evil.example',
      headers: { Cookie },
    });
    const status = await new Promise<number>((resolve) =>
      foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });

  it('the renderer client signs in with a token, and again with a new one after a refusal', async () => {
    const origin = `http://127.0.0.1:${serving.port}`;
    // What the browser does for the page: keeps the cookie, sends it with the socket.
    let jar = '';
    const sockets: WebSocket[] = [];
    class BrowserLikeWebSocket extends WebSocket {
      constructor(url: string) {
        super(url, { origin, headers: jar ? { Cookie: jar } : {} });
        sockets.push(this);
      }
    }
    const tokensTried: string[] = [];
    const client = new BridgeClient({
      url: `ws://127.0.0.1:${serving.port}/api`,
      token: 'wrong-token-0123456789abcdefABCDEF',
      startSession: async (token) => {
        tokensTried.push(token);
        const res = await get(
          serving.port,
          '/session',
          { Authorization: `Bearer ${token}`, Origin: origin },
          'POST',
        );
        if (res.status !== 204) return false;
        jar = res.headers['set-cookie']![0]!.split(';')[0]!;
        return true;
      },
      WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor,
      minBackoffMs: 20,
      maxBackoffMs: 100,
      connectWaitMs: 5_000,
    });
    try {
      await expect(client.invoke('app.info', {})).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      expect(client.state).toBe('unauthorized');
      // A new token address opened in the same tab (the page calls useToken on hashchange).
      client.useToken(TOKEN);
      await expect(client.invoke('app.info', {})).resolves.toMatchObject({ mode: 'serve' });
      expect(client.state).toBe('open');
      expect(tokensTried).toEqual(['wrong-token-0123456789abcdefABCDEF', TOKEN]);
      expect(client.exportUrl('history-x.csv')).toBe('/exports/history-x.csv');
    } finally {
      client.close();
      await Promise.all(
        sockets.map((ws) =>
          ws.readyState === WebSocket.CLOSED ? null : new Promise((resolve) => ws.once('close', resolve)),
        ),
      );
    }
  });
});

describe('npm run serve shutting down', () => {
  let host: ServedHost;
  beforeAll(async () => {
    host = await startHost();
  }, 180_000);
  afterAll(async () => {
    await host?.dispose();
  });

  it('exits 0 on SIGTERM', async () => {
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    expect(host.stderr()).not.toMatch(/serve failed|shutdown failed/);
  });
});
