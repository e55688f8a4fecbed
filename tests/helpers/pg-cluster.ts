/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp folder owned by the
 * `postgres` user (the server refuses to run as root), the server on a free 127.0.0.1 port with its
 * socket in that folder, removed again by `remove()`. Binaries come from Debian's `postgresql`
 * package (/usr/lib/postgresql/<version>/bin, the newest version found).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** The folder of initdb/postgres, or a reason why there is none. */
export function findPostgresBin(): { bin: string } | { missing: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter(
          (v) => existsSync(join(root, v, 'bin', 'postgres')) && existsSync(join(root, v, 'bin', 'initdb')),
        )
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) return { missing: `no PostgreSQL server binaries under ${root}/*/bin` };
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    return { missing: 'no `postgres` system user to run the server as' };
  }
  return { bin: join(root, versions[0]!, 'bin') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PgClusterOptions {
  /**
   * fsync as in production (benchmarks). Tests run without it: they kill tracker nodes, never the
   * database server, whose own crash safety is not what they test.
   */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

export class PgCluster {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly opts: PgClusterOptions,
  ) {}

  /** initdb and start; throws with the reason when PostgreSQL is not installed. */
  static async create(opts: PgClusterOptions = {}): Promise<PgCluster> {
    const found = findPostgresBin();
    if ('missing' in found) throw new Error(found.missing);
    const dir = mkdtempSync(join(tmpdir(), 'wt-pg-'));
    chmodSync(dir, 0o700);
    execFileSync('chown', ['postgres:postgres', dir]);
    execFileSync(
      'runuser',
      [
        '-u',
        'postgres',
        '--',
        join(found.bin, 'initdb'),
        '-D',
        join(dir, 'data'),
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-sync',
        '--locale=C',
      ],
      { stdio: 'pipe' },
    );
    const cluster = new PgCluster(found.bin, dir, await freePort(), opts);
    await cluster.start();
    return cluster;
  }

  /** The URL of a database on this cluster (user postgres, trust on 127.0.0.1). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      port: String(this.port),
      unix_socket_directories: this.dir,
      max_connections: '300',
      fsync: this.opts.durable ? 'on' : 'off',
      full_page_writes: this.opts.durable ? 'on' : 'off',
      // Deadlocks are expected between racing nodes (each is rolled back and retried): find them soon.
      deadlock_timeout: '100ms',
      logging_collector: 'off',
      ...this.opts.settings,
    };
    const args = [
      '-D',
      join(this.dir, 'data'),
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ];
    const child = spawn('runuser', ['-u', 'postgres', '--', join(this.bin, 'postgres'), ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited at start: ${log}`);
      const c = new pg.Client({ connectionString: this.url() });
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections: ${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Stops the server (`fast`: connections are cut, everything committed is kept). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    // SIGINT is PostgreSQL's fast shutdown, sent to the postmaster itself (runuser is its parent).
    let pid: number | undefined;
    try {
      pid = Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      pid = undefined;
    }
    if (pid) process.kill(pid, 'SIGINT');
    else child.kill('SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** A fresh, empty database on this cluster; its URL. */
  createDatabase(): Promise<string> {
    return createDatabase(this.url());
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fresh, empty database on the cluster of `adminUrl` (a URL of any database there); its URL. */
export async function createDatabase(adminUrl: string): Promise<string> {
  const name = `wt_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
