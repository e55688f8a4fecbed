/**
 * `npm run serve [-- --port 5174 --data-dir ./data/app --host 127.0.0.1 --token T]`: Wallet Tracker
 * in a browser, without Electron. Prints the address to open, with the access token in the hash:
 * the only place the token is ever printed. Then one JSON line {"event":"serving",origin,port} for
 * scripts and tests (without the token: they pass their own with --token).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AppBackend } from '../services/api/backend';
import { ensurePrivateDir } from '../services/files/private';
import { generateToken, tokenStrengthProblem } from './auth';
import { startServeHost, type ServeHost } from './serve';

const root = fileURLToPath(new URL('../../', import.meta.url));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
/** A second stop signal this soon after the first is the same request delivered twice. */
const REPEAT_GRACE_MS = 2000;
const PARENT_POLL_MS = 1000;

const USAGE = `usage: npm run serve -- [options]
  --port N              port to listen on (default 5174; 0 = any free port)
  --host ADDR           address to bind (default 127.0.0.1; anything else exposes your wallets to the network)
  --data-dir DIR        where identities, settings and caches live (default ./data/app)
  --token T             access token (default: random, new at every start; or env WT_SERVE_TOKEN):
                        at least 128 bits, e.g. 22+ random characters of A-Z a-z 0-9 _ -
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
  const given = values.token ?? (env['WT_SERVE_TOKEN'] || undefined);
  const token = given ?? generateToken();
  const problem = tokenStrengthProblem(token);
  if (problem)
    throw new UsageError(`refusing ${values.token !== undefined ? '--token' : 'WT_SERVE_TOKEN'}: ${problem}`);
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
    `${JSON.stringify({ event: 'serving', origin: host.origin, port: host.port, pid: process.pid })}\n`,
  );

  let stoppingSince: number | null = null;
  const stop = (reason: string): void => {
    if (stoppingSince !== null) {
      // One Ctrl-C or `kill` of `npm run serve` reaches this process twice: from the terminal (or
      // service manager) to the whole process group, and forwarded by npm. Only a signal sent well
      // after the first is someone asking to stop without waiting.
      if (Date.now() - stoppingSince < REPEAT_GRACE_MS) return;
      process.stderr.write(`${reason} again: exiting without a clean shutdown\n`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    void (async () => {
      let code = 0;
      try {
        await host.close();
        await backend.close();
        process.stdout.write('Wallet Tracker stopped.\n');
      } catch (e) {
        process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
        code = 1;
      }
      process.exit(code);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  // Under `npm run serve` a shell sits between npm and this process; a SIGTERM to npm ends the
  // shell but not us (Debian's sh does not pass it on). The parent changing means it is gone.
  if (process.env['npm_lifecycle_event']) {
    const parent = process.ppid;
    setInterval(() => {
      if (stoppingSince === null && process.ppid !== parent) stop('parent exit');
    }, PARENT_POLL_MS).unref();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`serve failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
