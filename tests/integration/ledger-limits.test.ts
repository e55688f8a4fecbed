/**
 * The tracker's admission and per-connection limits, each against a real tracker process on
 * 127.0.0.1: the connection cap (HTTP 503) and recovery, the Origin policy (HTTP 403), the rate
 * limit (RATE_LIMITED, nothing changed), invalid UTF-8 (close 1007), the idle timeout with pings,
 * silent sockets that never upgrade, and the global cursor cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer } from '../helpers/raw-client';
import { LedgerDb } from '../helpers/ledger-db';
import { call, codeOf, handshake, ok, until } from '../helpers/tracker-session';
import { clientFrame, closeCodeOf, rawUpgrade, tcpConnect } from '../helpers/raw-socket';
import { metric, metricsOf, upgradeStatus } from '../helpers/tracker-http';

const peer = new TestPeer();

/** Waits until the tracker counts `n` open connections (closes are asynchronous). */
async function openConnections(l: LedgerProcess, n: number): Promise<void> {
  await until(async () => metric(await metricsOf(l.port), 'tracker_connections_open') === n, 5000);
}

describe('a tracker with 3 connections at most, one allowed origin, 10 requests per second', () => {
  let l: LedgerProcess;
  let db: LedgerDb;
  let pem: string;

  beforeAll(async () => {
    l = await startLedger({
      args: [
        '--quiet',
        '--max-connections',
        '3',
        '--allow-origin',
        'https://wallet.example',
        '--allow-origin',
        'http://localhost:5173',
        '--max-requests-per-s',
        '10',
      ],
      env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '100' },
    });
    db = await LedgerDb.open(l.db);
    const c = await RawClient.connect(l.url);
    pem = await handshake(c, peer);
    c.close();
  });
  afterAll(async () => {
    db?.close();
    await l?.stop();
  });

  it('refuses a 4th connection with HTTP 503 and accepts again once one closed', async () => {
    await openConnections(l, 0);
    const clients = [
      await RawClient.connect(l.url),
      await RawClient.connect(l.url),
      await RawClient.connect(l.url),
    ];
    const refusedBefore = metric(await metricsOf(l.port), 'tracker_connections_refused_total', {
      reason: 'max_connections',
    });
    expect(await upgradeStatus(l.url)).toBe(503);
    expect(await upgradeStatus(l.url)).toBe(503);
    // the three keep working meanwhile
    for (const c of clients) expect(codeOf(await call(c, 1, peer.pemPayload()))).toBeUndefined();
    const m = await metricsOf(l.port);
    expect(metric(m, 'tracker_connections_open')).toBe(3);
    expect(metric(m, 'tracker_connections_refused_total', { reason: 'max_connections' })).toBe(
      refusedBefore + 2,
    );
    clients[0]!.close();
    await until(async () => (await upgradeStatus(l.url)) === 101, 5000);
    for (const c of clients.slice(1)) c.close();
  });

  it('refuses an upgrade whose Origin is not allowed with HTTP 403; no Origin or an allowed one is let in', async () => {
    await openConnections(l, 0);
    expect(await upgradeStatus(l.url, { Origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus(l.url, { Origin: 'https://wallet.example.evil.example' })).toBe(403);
    expect(await upgradeStatus(l.url, { Origin: 'null' })).toBe(403);
    expect(await upgradeStatus(l.url, { Origin: 'https://wallet.example' })).toBe(101);
    expect(await upgradeStatus(l.url, { Origin: 'http://localhost:5173' })).toBe(101);
    expect(await upgradeStatus(l.url)).toBe(101);
    expect(metric(await metricsOf(l.port), 'tracker_connections_refused_total', { reason: 'origin' })).toBe(
      3,
    );
  });

  it('answers RATE_LIMITED beyond 10 requests per second, in order, and the refused ones change nothing', async () => {
    await openConnections(l, 0);
    const c = await RawClient.connect(l.url);
    const addressesBefore = (await db.addresses()).length;
    const txBefore = await db.txCount();
    const limitedBefore = metric(await metricsOf(l.port), 'tracker_rate_limited_total');
    // 30 income opens at once (each would create an address); the bucket holds 10
    const payload = peer.pemPayload();
    const frames = await Promise.all(Array.from({ length: 30 }, (_, i) => call(c, 2, payload, `r${i}`)));
    const codes = frames.map((f) => codeOf(f) ?? 'OK');
    const accepted = codes.filter((x) => x === 'OK').length;
    expect(accepted).toBeGreaterThanOrEqual(10);
    expect(accepted).toBeLessThanOrEqual(15); // 10 at once + what refilled while they arrived
    expect(codes.slice(0, 10)).toEqual(Array(10).fill('OK'));
    expect(new Set(codes.slice(10))).toEqual(
      new Set(accepted > 10 ? ['OK', 'RATE_LIMITED'] : ['RATE_LIMITED']),
    );
    for (const f of frames.filter((x) => codeOf(x) === 'RATE_LIMITED')) {
      expect(f.error).toMatch(/^RATE_LIMITED: \S/);
      expect(f.data).toBe(f.corrToken); // correlated like any refusal
    }
    // exactly the accepted ones happened
    expect((await db.addresses()).length - addressesBefore).toBe(accepted);
    expect((await db.txCount()) - txBefore).toBe(accepted);
    expect(metric(await metricsOf(l.port), 'tracker_rate_limited_total') - limitedBefore).toBe(30 - accepted);
    // a second later the connection is served again
    await new Promise((r) => setTimeout(r, 1100));
    expect(codeOf(await call(c, 1, peer.pemPayload()))).toBeUndefined();
    c.close();
  });

  it('closes a connection with 1007 on a text frame that is not UTF-8 (RFC 6455)', async () => {
    await openConnections(l, 0);
    const up = await rawUpgrade(l.port);
    expect(up.status).toBe(101);
    up.socket.write(clientFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    expect(await closeCodeOf(up)).toBe(1007);
    up.socket.destroy();
    const c = await RawClient.connect(l.url);
    expect(ok<string>(await call(c, 1, peer.pemPayload()), pem)).toBe(pem);
    c.close();
  });
});

describe('a tracker with an idle timeout of 2 s', () => {
  let l: LedgerProcess;
  beforeAll(async () => {
    l = await startLedger({ args: ['--quiet', '--idle-timeout-s', '2'] });
  });
  afterAll(() => l?.stop());

  it('pings, keeps a connection that sends commands, closes one that only answers pings', async () => {
    const c = await RawClient.connect(l.url);
    let pings = 0;
    c.ws.on('ping', () => pings++); // the ws client answers each with a pong
    // 3 s of a command every 300 ms: longer than the timeout, never idle for it
    const activeUntil = Date.now() + 3000;
    while (Date.now() < activeUntil) {
      expect(codeOf(await call(c, 1, peer.pemPayload()))).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(c.closeCode).toBeNull();
    const quietSince = Date.now();
    const code = await c.waitClose();
    const quietMs = Date.now() - quietSince;
    expect(code).toBe(1000);
    expect(quietMs).toBeGreaterThanOrEqual(1500);
    expect(quietMs).toBeLessThan(10_000);
    expect(pings).toBeGreaterThanOrEqual(2);
  });

  it('drops sockets that never send an upgrade request', async () => {
    const sockets = await Promise.all(Array.from({ length: 8 }, () => tcpConnect(l.port)));
    const closed = sockets.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    const started = Date.now();
    await Promise.all(closed);
    expect(Date.now() - started).toBeLessThan(15_000);
    // the tracker serves as before
    const c = await RawClient.connect(l.url);
    expect(codeOf(await call(c, 1, peer.pemPayload()))).toBeUndefined();
    c.close();
  });
});

describe('a tracker with 3 history cursors at most', () => {
  let l: LedgerProcess;
  let c: RawClient;
  let pem: string;
  const peers = [peer, new TestPeer(), new TestPeer(), new TestPeer()];

  beforeAll(async () => {
    l = await startLedger({ args: ['--quiet', '--max-cursors', '3'] });
    c = await RawClient.connect(l.url);
    pem = await handshake(c, peer);
  });
  afterAll(async () => {
    c?.close();
    await l?.stop();
  });

  const first = async (p: TestPeer) =>
    ok<{ _meta: { cursorId: string } }>(await call(c, 1024, p.json({ limits: { pageSize: 1 } })), pem)._meta
      .cursorId;
  const touch = async (p: TestPeer, cursorId: string) =>
    codeOf(await call(c, 4096, p.json({ cursorId }))) ?? 'OK';

  it('drops the least recently used cursor of any key beyond the cap', async () => {
    const ids = [];
    for (const p of peers) ids.push(await first(p));
    expect(await touch(peers[0]!, ids[0]!)).toBe('CURSOR_NOT_FOUND');
    expect(metric(await metricsOf(l.port), 'tracker_cursors')).toBe(3);
    // using a cursor makes it the most recent: the next one pushes out the one used longest ago
    expect(await touch(peers[1]!, ids[1]!)).toBe('OK');
    const fifth = await first(peers[0]!);
    expect(await touch(peers[2]!, ids[2]!)).toBe('CURSOR_NOT_FOUND');
    for (const [p, id] of [
      [peers[1]!, ids[1]!],
      [peers[3]!, ids[3]!],
      [peers[0]!, fifth],
    ] as const)
      expect(await touch(p, id)).toBe('OK');
    expect(metric(await metricsOf(l.port), 'tracker_cursors')).toBe(3);
  });
});
