/**
 * A tracker node on PostgreSQL as a service: it survives its database going away (INTERNAL to
 * commands and 503 on /healthz meanwhile, back by itself afterwards, nothing answered lost), refuses
 * a schema newer than itself, never logs the database password, and takes what a URL leaves out
 * from the PG* variables. Runs in integration-pg only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PgCluster } from '../helpers/pg-cluster';
import { databaseFor } from '../helpers/ledger-backend';
import { LedgerDb } from '../helpers/ledger-db';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer } from '../helpers/raw-client';
import { call, codeOf, handshake, ok, until, type AddressState } from '../helpers/tracker-session';
import { healthOf } from '../helpers/tracker-http';
import { join } from 'node:path';

const peer = new TestPeer();

describe('a node whose database goes away and comes back', () => {
  let cluster: PgCluster;
  let node: LedgerProcess;

  beforeAll(async () => {
    // A cluster of its own: the others' suites share theirs.
    cluster = await PgCluster.create();
    const dir = tempDir();
    const url = await cluster.createDatabase();
    node = await startLedger({
      dir,
      args: ['--quiet', '--db', url, '--key', join(dir, 'tracker-key.pem')],
    });
  });
  afterAll(async () => {
    await node?.stop();
    await cluster?.remove();
  });

  it('answers INTERNAL and /healthz 503 meanwhile, recovers by itself, and lost nothing answered', async () => {
    const client = await RawClient.connect(node.url);
    const pem = await handshake(client, peer);
    const spend = ok<AddressState>(await call(client, 4, peer.pemPayload()), pem);
    expect((await healthOf(node.port)).status).toBe(200);

    await cluster.stop();
    expect(codeOf(await call(client, 2, peer.pemPayload()))).toBe('INTERNAL');
    expect(codeOf(await call(client, 256, peer.json({ address: spend.address })))).toBe('INTERNAL');
    const down = await until(async () => {
      const h = await healthOf(node.port);
      return h.status === 503 ? h : undefined;
    }, 10_000);
    expect(down.body.status).toBe('database_unavailable');
    // Commands that need no database still work (the connection itself is fine).
    expect(await handshake(client, peer)).toBe(pem);

    await cluster.start();
    await until(async () => (await healthOf(node.port)).status === 200, 20_000);
    const again = ok<AddressState>(await call(client, 256, peer.json({ address: spend.address })), pem);
    expect(again.current.amount).toBe(spend.current.amount);
    ok(await call(client, 2, peer.pemPayload()), pem);
    client.close();
  });
});

describe('schema versions on PostgreSQL', () => {
  it('a node refuses a database migrated by a newer tracker', async () => {
    const dir = tempDir();
    const first = await startLedger({ dir, args: ['--quiet'] });
    await first.stop();
    const { db } = await databaseFor(dir);
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    await c.query(`INSERT INTO schema_migrations (version, name) VALUES (2, 'from the future')`);
    await c.end();
    await expect(startLedger({ dir, args: ['--quiet'] })).rejects.toThrow(
      /schema is at version 2, newer than this tracker knows \(1\)/,
    );
  });
});

describe('the database password', () => {
  it('never appears in the logs', async () => {
    const dir = tempDir();
    const { db } = await databaseFor(dir);
    const url = new URL(db);
    url.password = 's3cret-pass'; // the test cluster trusts 127.0.0.1: any password is accepted
    const node = await startLedger({ dir, args: ['--db', url.toString()] });
    try {
      const listening = node.logs.find((l) => l.event === 'listening')!;
      expect(String(listening.db)).toContain('***');
      expect(JSON.stringify(node.logs)).not.toContain('s3cret-pass');
    } finally {
      await node.stop();
    }
  });
});

describe('the PG* environment variables', () => {
  it('supply the host, port, user and database a URL leaves out', async () => {
    const dir = tempDir();
    const { db } = await databaseFor(dir);
    const full = new URL(db);
    const node = await startLedger({
      dir,
      args: ['--quiet', '--db', 'postgresql://', '--key', join(dir, 'tracker-key.pem')],
      env: {
        PGHOST: full.hostname,
        PGPORT: full.port,
        PGUSER: decodeURIComponent(full.username),
        PGDATABASE: full.pathname.slice(1),
      },
    });
    const client = await RawClient.connect(node.url);
    try {
      const pem = await handshake(client, peer);
      const spend = ok<AddressState>(await call(client, 4, peer.pemPayload()), pem);
      // What it wrote is in the database the variables named.
      const check = await LedgerDb.open(db);
      try {
        expect(await check.meta('tracker_pk')).toBe(pem);
        expect((await check.address(spend.address))?.amount).toBe(spend.current.amount);
      } finally {
        await check.close();
      }
    } finally {
      client.close();
      await node.stop();
    }
  });
});
