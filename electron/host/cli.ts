/**
 * `npm run serve [-- --port 5174 --data-dir ./data/app --host 127.0.0.1 --token T]`: Wallet Tracker
 * in a browser, without Electron. Prints the address to open (with the access token in the hash)
 * and one JSON line {"event":"serving",url,port,token} for scripts and tests.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AppBackend } from '../services/api/backend';
import { ensurePrivateDir } from '../services/files/private';
import { startServeHost, type ServeHost } from './serve';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{16,256}$/;

const USAGE = `usage: npm run serve -- [options]
  --port N              port to listen on (default 5174; 0 = any free port)
  --host ADDR           address to bind (default 127.0.0.1; anything else exposes your wallets to the network)
  --data-dir DIR        where identities, settings and caches live (default ./data/app)
  --token T             access token (default: random; or env WT_SERVE_TOKEN), 16+ chars of [A-Za-z0-9_-]
  --renderer-dir DIR    built renderer (default out/renderer)`;

class UsageError extends Error {}

interface ServeCliOptions {
  port: number;
  host: string;
  dataDir: string;
  token: string;
  rendererDir: string;
}

function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServeCliOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        'renderer-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const port = Number(values.port ?? '5174');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad --port ${values.port}`);
  const host = values.host ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('empty --host');
  const token = values.token ?? env['WT_SERVE_TOKEN'] ?? randomBytes(24).toString('base64url');
  if (!TOKEN_FORMAT.test(token))
    throw new UsageError('the token must be 16-256 characters of A-Z a-z 0-9 _ -');
  return {
    port,
    host,
    dataDir: resolve(values['data-dir'] ?? 'data/app'),
    token,
    rendererDir: resolve(values['renderer-dir'] ?? resolve(root, 'out/renderer')),
  };
}

async function main(): Promise<void> {
  let opts: ServeCliOptions | 'help';
  try {
    opts = parseServeArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!existsSync(resolve(opts.rendererDir, 'index.html'))) {
    process.stderr.write(
      `no built renderer in ${opts.rendererDir}: run \`npm run build\` (or \`npm run serve\`)\n`,
    );
    process.exit(1);
  }
  if (!LOOPBACK.has(opts.host)) {
    process.stderr.write(
      `WARNING: binding to ${opts.host}: anyone who can reach this address and learns the token can use ` +
        `your wallets. The traffic is not encrypted. Prefer 127.0.0.1 and an SSH tunnel.\n`,
    );
  }

  ensurePrivateDir(opts.dataDir);
  // Loaded lazily: the backend pulls in the whole service layer (sqlite, crypto).
  const { createAppBackend } = await import('../services/app/create-backend');
  const backend: AppBackend = await createAppBackend({ dataDir: opts.dataDir, mode: 'serve' });

  let host: ServeHost;
  try {
    host = await startServeHost({
      backend,
      dataDir: opts.dataDir,
      rendererDir: opts.rendererDir,
      token: opts.token,
      host: opts.host,
      port: opts.port,
    });
  } catch (e) {
    await backend.close().catch(() => undefined);
    throw e;
  }

  process.stdout.write(`Wallet Tracker serving at ${host.url}\n`);
  process.stdout.write(
    `${JSON.stringify({ event: 'serving', url: host.url, port: host.port, token: opts.token })}\n`,
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without a clean shutdown\n`);
      process.exit(1);
    }
    stopping = true;
    void (async () => {
      let code = 0;
      try {
        await host.close();
        await backend.close();
      } catch (e) {
        process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
        code = 1;
      }
      process.exit(code);
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`serve failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
