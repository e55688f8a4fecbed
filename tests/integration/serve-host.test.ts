/**
 * The plain-Node host as a user runs it (`node --import tsx electron/host/cli.ts`, i.e. `npm run serve:nobuild`):
 * loopback only, the built renderer with its CSP as a header, no path traversal, exports behind the
 * token, the API bridge behind the token, clean exit on SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { cspOf } from '../../electron/host/serve';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'serve-host-test-token-0123456789';
const PACKAGE_JSON_MARK = '"name": "wallet-tracker"';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A GET with the path sent exactly as given (no client-side normalisation of `..`). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
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

describe('npm run serve (plain-Node host)', () => {
  let dataDir: string;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let serving: { url: string; port: number; token: string };
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    if (!existsSync(join(root, 'out/renderer/index.html'))) {
      execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore', timeout: 170_000 });
    }
    dataDir = mkdtempSync(join(tmpdir(), 'wt-serve-'));
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'electron/host/cli.ts'),
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--token',
        TOKEN,
      ],
      {
        cwd: root,
        env: { ...process.env, WT_SERVE_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    serving = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        stdout += `${line}\n`;
        if (!line.startsWith('{')) return;
        const entry = JSON.parse(line) as { event?: string; url: string; port: number; token: string };
        if (entry.event === 'serving') resolve(entry);
      });
      void exited.then((code) => reject(new Error(`serve exited (${code}) before serving: ${stderr}`)));
    });
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the address with the token, and a JSON line', () => {
    expect(serving.token).toBe(TOKEN);
    expect(serving.url).toBe(`http://127.0.0.1:${serving.port}/#token=${TOKEN}`);
    expect(stdout).toContain(`Wallet Tracker serving at http://127.0.0.1:${serving.port}/#token=${TOKEN}\n`);
    expect(serving.port).toBeGreaterThan(0);
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
    expect(sourceCsp).toContain("frame-ancestors 'none'");
    expect(res.headers['content-security-policy']).toBe(sourceCsp);
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

  it('serves files from <dataDir>/exports only with the token, and only by plain name', async () => {
    mkdirSync(join(dataDir, 'exports'), { recursive: true });
    writeFileSync(join(dataDir, 'exports', 'history-test.csv'), 'txId,amount\n1,100\n');
    const ok = await get(serving.port, `/exports/history-test.csv?token=${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('txId,amount\n1,100\n');
    expect(ok.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(ok.headers['content-disposition']).toBe('attachment; filename="history-test.csv"');
    expect((await get(serving.port, '/exports/history-test.csv')).status).toBe(401);
    expect((await get(serving.port, '/exports/history-test.csv?token=wrong')).status).toBe(401);
    expect((await get(serving.port, `/exports/missing.csv?token=${TOKEN}`)).status).toBe(404);
    for (const name of ['..%2fsettings.json', '%2e%2e%2fsettings.json', '.hidden', '..', 'a%2fb.csv']) {
      const res = await get(serving.port, `/exports/${name}?token=${TOKEN}`);
      expect(res.status, name).toBe(400);
    }
    expect((await get(serving.port, `/exports/../settings.json?token=${TOKEN}`)).status).not.toBe(200);
  });

  it('answers app.info over the bridge with the token, and refuses without it', async () => {
    const origin = `http://127.0.0.1:${serving.port}`;
    const ws = new WebSocket(`ws://127.0.0.1:${serving.port}/api?token=${TOKEN}`, { origin });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 1, method: 'app.info', args: {} }));
    const reply = await new Promise<Record<string, unknown>>((resolve) =>
      ws.once('message', (d) => resolve(JSON.parse(String(d)))),
    );
    expect(reply).toMatchObject({ id: 1, result: { mode: 'serve', dataDir } });
    ws.close();

    for (const query of ['', '?token=', `?token=${TOKEN}x`]) {
      const denied = new WebSocket(`ws://127.0.0.1:${serving.port}/api${query}`, { origin });
      const code = await new Promise<number>((resolve) => denied.once('close', (c) => resolve(c)));
      expect(code).toBe(4401);
    }
    const foreign = new WebSocket(`ws://127.0.0.1:${serving.port}/api?token=${TOKEN}`, {
      origin: 'http://evil.example',
    });
    const status = await new Promise<number>((resolve) =>
      foreign.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(403);
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/serve failed|shutdown failed/);
  });
});
