/** The tracker's configuration: limits and service settings (issue 8), the database target (issue 10). */
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../ledger/config';

const DB = ['--db', '/tmp/wt-config-test/ledger.sqlite'];

describe('tracker limits configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig(DB, {})).toMatchObject({
      maxConnections: 1024,
      idleTimeoutMs: 120_000,
      maxBufferedBytes: 8 * 1024 * 1024,
      maxRequestsPerS: 200,
      maxCursors: 10_000,
      maxCursorsPerKey: 16,
      allowOrigins: [],
      workers: availableParallelism(),
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads TLPRT_LEDGER_* and lets the flags win', () => {
    const env = {
      TLPRT_LEDGER_MAX_CONNECTIONS: '10',
      TLPRT_LEDGER_IDLE_TIMEOUT_S: '30',
      TLPRT_LEDGER_MAX_BUFFERED_BYTES: '1048576',
      TLPRT_LEDGER_MAX_REQUESTS_PER_S: '50',
      TLPRT_LEDGER_MAX_CURSORS: '99',
      TLPRT_LEDGER_ALLOW_ORIGIN: 'https://a.example, HTTPS://B.example:8443',
      TLPRT_LEDGER_WORKERS: '0',
      TLPRT_LEDGER_SHUTDOWN_TIMEOUT_S: '2.5',
    };
    expect(loadConfig(DB, env)).toMatchObject({
      maxConnections: 10,
      idleTimeoutMs: 30_000,
      maxBufferedBytes: 1048576,
      maxRequestsPerS: 50,
      maxCursors: 99,
      allowOrigins: ['https://a.example', 'https://b.example:8443'],
      workers: 0,
      shutdownTimeoutMs: 2500,
    });
    const flags = [
      ...DB,
      ...['--max-connections', '20', '--idle-timeout-s', '0.5', '--max-buffered-bytes', '65536'],
      ...['--max-requests-per-s', '7', '--max-cursors', '3', '--workers', '4', '--shutdown-timeout-s', '1'],
      ...['--allow-origin', 'http://localhost:5173', '--allow-origin', 'https://c.example'],
    ];
    expect(loadConfig(flags, env)).toMatchObject({
      maxConnections: 20,
      idleTimeoutMs: 500,
      maxBufferedBytes: 65536,
      maxRequestsPerS: 7,
      maxCursors: 3,
      allowOrigins: ['http://localhost:5173', 'https://c.example'],
      workers: 4,
      shutdownTimeoutMs: 1000,
    });
  });

  it('refuses values that are not what they should be', () => {
    for (const [flag, value] of [
      ['--max-connections', '0'],
      ['--max-connections', '1.5'],
      ['--idle-timeout-s', '0'],
      ['--idle-timeout-s', 'soon'],
      ['--max-buffered-bytes', '1000'],
      ['--max-requests-per-s', '-1'],
      ['--max-cursors', '0'],
      ['--workers', '-1'],
      ['--workers', '1000'],
      ['--shutdown-timeout-s', '0'],
      ['--allow-origin', 'https://a.example/path'],
      ['--allow-origin', 'not an origin'],
    ]) {
      expect(() => loadConfig([...DB, flag!, value!], {}), `${flag} ${value}`).toThrow(ConfigError);
    }
  });
});

describe('--db: a SQLite file or a PostgreSQL URL', () => {
  it('takes postgres:// and postgresql:// URLs as they are (PG* variables fill the rest), with --key', () => {
    for (const url of [
      'postgres://tracker:pw@db.internal:5432/ledger',
      'postgresql://tracker@db.internal/ledger?sslmode=require',
      'postgres:///ledger',
      'postgres://',
      'POSTGRES://tracker@[::1]:6543/ledger',
    ]) {
      const cfg = loadConfig(['--db', url, '--key', 'keys/tracker.pem'], {});
      expect(cfg.database).toMatchObject({ kind: 'postgres', url });
      expect(cfg.keyPath).toBe(resolve('keys/tracker.pem'));
    }
    expect(loadConfig(['--key', 'k.pem'], { TLPRT_LEDGER_DB: 'postgresql://u@h/d' }).database.kind).toBe(
      'postgres',
    );
    const shown = loadConfig(['--db', 'postgres://u:secret@h/d', '--key', 'k.pem'], {}).database;
    expect(shown.kind === 'postgres' && shown.display).toBe('postgres://u:***@h/d');
  });

  it('keeps file paths (also ones with a colon) as SQLite files, the key beside them', () => {
    for (const path of [
      './data/ledger.sqlite',
      '/var/lib/t/ledger.sqlite',
      'weird:name.sqlite',
      'a/b:c/x.db',
    ]) {
      const cfg = loadConfig(['--db', path], {});
      expect(cfg.database).toEqual({ kind: 'sqlite', path: resolve(path) });
      expect(cfg.keyPath).toBe(join(dirname(resolve(path)), 'tracker-key.pem'));
    }
  });

  it('refuses a value that looks like a URL but is no valid PostgreSQL URL, and a URL without --key', () => {
    for (const [value, why] of [
      ['postgres:/one-slash', /must be followed by \/\//],
      ['postgresql:ledger', /must be followed by \/\//],
      ['mysql://u@h/d', /unsupported scheme mysql:/],
      ['sqlite:///tmp/x.sqlite', /unsupported scheme sqlite:/],
      ['postgres://u@h:99999/d', /does not parse as a URL/],
      ['postgres://u@h/a/b', /one database name/],
      ['postgres://u@h/d#frag', /fragment/],
    ] as const) {
      expect(() => loadConfig(['--db', value, '--key', 'k.pem'], {}), value).toThrow(ConfigError);
      expect(() => loadConfig(['--db', value, '--key', 'k.pem'], {}), value).toThrow(why);
    }
    expect(() => loadConfig(['--db', 'postgres://u:pw@h/d'], {})).toThrow(/--key <file>/);
  });
});
