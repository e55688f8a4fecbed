/**
 * The tracker as a service: GET /healthz and GET /metrics on the WebSocket port (counts checked
 * against the commands sent), group commit (several write commands in one transaction, every one
 * answered and stored), and the graceful shutdown: commands in flight are finished and answered,
 * every socket closes with 1001, /healthz says 503 while draining, the process exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_BACKEND } from '../helpers/ledger-backend';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, type Frame } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { call, codeOf, handshake, ok, until, type AddressState } from '../helpers/tracker-session';
import { clientFrame, rawUpgrade } from '../helpers/raw-socket';
import { healthOf, metric, metricsOf, upgradeStatus } from '../helpers/tracker-http';

const peers = [new TestPeer(), new TestPeer(), new TestPeer(), new TestPeer()];
const ENV = { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000', TLPRT_LEDGER_AMOUNT_INITIAL: '100000' };

describe('health and metrics', () => {
  let l: LedgerProcess;
  beforeAll(async () => {
    l = await startLedger({ args: ['--quiet', '--workers', '2'], env: ENV });
  });
  afterAll(() => l?.stop());

  it('GET /healthz: 200 with the status, the open connections and the workers', async () => {
    const c = await RawClient.connect(l.url);
    await handshake(c, peers[0]!);
    const h = await healthOf(l.port);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', connections: 1, workers: 2 });
    expect(typeof h.body.uptimeS).toBe('number');
    c.close();
    const other = await fetch(`http://127.0.0.1:${l.port}/nothing`);
    expect(other.status).toBe(404);
    await other.body?.cancel();
    const post = await fetch(`http://127.0.0.1:${l.port}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    await post.body?.cancel();
  });

  it('GET /metrics counts commands by cmd and code, durations, connections and commits', async () => {
    const before = await metricsOf(l.port);
    const c = await RawClient.connect(l.url);
    const pem = await handshake(c, peers[0]!);
    await handshake(c, peers[0]!);
    const p = peers[1]!;
    expect(codeOf(await call(c, 1, { ...p.pemPayload(), sign: peers[2]!.sign(p.publicPem) }))).toBe(
      'BAD_SIGNATURE',
    );
    expect(codeOf(await call(c, 3, p.pemPayload()))).toBe('UNKNOWN_COMMAND');
    expect(codeOf(await c.sendText('not json'))).toBe('BAD_FRAME');
    for (let i = 0; i < 2; i++) ok(await call(c, 2, p.pemPayload()), pem);
    ok(await call(c, 1024, p.json({ limits: { pageSize: 5 } })), pem);

    const res = await fetch(`http://127.0.0.1:${l.port}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    await res.body?.cancel();
    const after = await metricsOf(l.port);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metric(after, name, labels) - metric(before, name, labels);
    expect(delta('tracker_commands_total', { cmd: '1', code: 'OK' })).toBe(2);
    expect(delta('tracker_commands_total', { cmd: '1', code: 'BAD_SIGNATURE' })).toBe(1);
    expect(delta('tracker_commands_total', { cmd: 'unknown', code: 'UNKNOWN_COMMAND' })).toBe(1);
    expect(delta('tracker_commands_total', { cmd: 'none', code: 'BAD_FRAME' })).toBe(1);
    expect(delta('tracker_commands_total', { cmd: '2', code: 'OK' })).toBe(2);
    expect(delta('tracker_commands_total', { cmd: '1024', code: 'OK' })).toBe(1);
    expect(delta('tracker_commands_total')).toBe(8);
    expect(delta('tracker_command_duration_seconds_count', { cmd: '1' })).toBe(3);
    expect(delta('tracker_command_duration_seconds_bucket', { cmd: '2', le: '+Inf' })).toBe(2);
    expect(delta('tracker_db_commit_commands_sum')).toBe(2);
    expect(delta('tracker_db_commit_duration_seconds_count')).toBe(delta('tracker_db_commit_commands_count'));
    expect(delta('tracker_db_commit_duration_seconds_sum')).toBeGreaterThan(0);
    expect(metric(after, 'tracker_connections_open')).toBe(1);
    expect(metric(after, 'tracker_cursors')).toBe(1);
    expect(metric(after, 'tracker_process_resident_memory_bytes')).toBeGreaterThan(0);
    const text = await (await fetch(`http://127.0.0.1:${l.port}/metrics`)).text();
    for (const name of ['tracker_connections_refused_total', 'tracker_rate_limited_total'])
      expect(text).toContain(`# TYPE ${name} counter`);
    c.close();
  });
});

describe('group commit', () => {
  // funds for 40 spend addresses of 11000 and one of 5000
  const INITIAL = 40n * 11000n + 5000n;
  let l: LedgerProcess;
  let db: LedgerDb;
  beforeAll(async () => {
    l = await startLedger({
      args: ['--quiet'],
      env: { ...ENV, TLPRT_LEDGER_AMOUNT_INITIAL: String(INITIAL) },
    });
    db = await LedgerDb.open(l.db);
  });
  afterAll(async () => {
    db?.close();
    await l?.stop();
  });

  it('writes that arrive together share a transaction; a refusal in a group undoes only itself', async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, () => RawClient.connect(l.url)));
    const pem = await handshake(clients[0]!, peers[0]!);
    const before = await metricsOf(l.port);
    const ROUNDS = 5;
    const answers: Frame[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // 16 spend opens at once, one per connection: the last ones find no funds left
      answers.push(
        ...(await Promise.all(clients.map((c, i) => call(c, 4, peers[i % peers.length]!.pemPayload())))),
      );
    }
    const opened = answers.filter((f) => f.error === undefined).map((f) => ok<AddressState>(f, pem));
    expect(answers.filter((f) => f.error !== undefined).map(codeOf)).toEqual(
      Array(16 * ROUNDS - 41).fill('NO_FUNDS'),
    );
    expect(opened.map((a) => a.current.amount).sort()).toEqual([...Array(40).fill('11000'), '5000'].sort());
    for (const a of opened) expect((await db.address(a.address))?.amount).toBe(a.current.amount);
    expect((await db.addresses()).filter((a) => a.kind === 'spend').length).toBe(41);
    expect((await db.tracker()).amount).toBe('0');
    const after = await metricsOf(l.port);
    const commits =
      metric(after, 'tracker_db_commit_commands_count') - metric(before, 'tracker_db_commit_commands_count');
    const commands =
      metric(after, 'tracker_db_commit_commands_sum') - metric(before, 'tracker_db_commit_commands_sum');
    console.info(`group commit: ${commands} writes in ${commits} commits`);
    if (LEDGER_BACKEND === 'sqlite') {
      // Refusals ride in the groups too (each undone by its savepoint).
      expect(commands).toBe(16 * ROUNDS);
      expect(commits).toBeLessThanOrEqual((3 * 16 * ROUNDS) / 4);
    } else {
      // PostgreSQL commits each command on its own connection (several nodes write at once there,
      // and its WAL flushes group concurrent commits); a refusal is rolled back, not committed.
      expect(commits).toBe(41);
      expect(commands).toBe(41);
    }
    expect(await auditLedger(db, INITIAL, { verifySignatures: true })).toEqual([]);
    for (const c of clients) c.close();
  });
});

describe('graceful shutdown', () => {
  it('finishes and answers the commands in flight, closes every socket with 1001, exits 0', async () => {
    const l = await startLedger({ args: ['--quiet'], env: ENV });
    const clients = await Promise.all(Array.from({ length: 4 }, () => RawClient.connect(l.url)));
    await handshake(clients[0]!, peers[0]!);
    const answered: Frame[] = [];
    let signalled = false;
    const sent = clients.flatMap((c, i) =>
      Array.from({ length: 25 }, (_, k) =>
        c.request(2, peers[i]!.pemPayload(), `s${i}-${k}`).then((f) => {
          answered.push(f);
          if (!signalled) {
            signalled = true;
            l.child.kill('SIGTERM');
          }
        }),
      ),
    );
    const codes = await Promise.all(clients.map((c) => c.waitClose()));
    expect(codes).toEqual([1001, 1001, 1001, 1001]);
    const exit = await new Promise<number | null>((r) =>
      l.child.exitCode !== null ? r(l.child.exitCode) : l.child.once('exit', (code) => r(code)),
    );
    expect(exit).toBe(0);
    void Promise.allSettled(sent);
    // every answer was a success, and what was answered is exactly what was stored
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((f) => f.error === undefined)).toBe(true);
    const db = await LedgerDb.open(l.db);
    try {
      const stored = (await db.addresses()).filter((a) => a.kind === 'income');
      expect(stored.length).toBe(answered.length);
      const answeredAddresses = answered.map(
        (f) => (JSON.parse((f.data as { message: string }).message) as { address: string }).address,
      );
      expect(new Set(stored.map((a) => a.address))).toEqual(new Set(answeredAddresses));
      expect(await auditLedger(db, 100000n, { verifySignatures: true })).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('answers 503 on /healthz and to upgrades while a client holds the drain up, then exits 0', async () => {
    const l = await startLedger({ args: ['--quiet', '--shutdown-timeout-s', '3'], env: ENV });
    // a client that sends a command and then reads nothing, not even the close frame
    const up = await rawUpgrade(l.port);
    up.socket.write(clientFrame(JSON.stringify({ cmd: 1, corrToken: 'h', payload: peers[0]!.pemPayload() })));
    await until(
      async () => metric(await metricsOf(l.port), 'tracker_commands_total', { cmd: '1' }) === 1,
      5000,
    );
    l.child.kill('SIGTERM');
    await until(async () => (await healthOf(l.port)).status === 503, 3000, 20);
    expect((await healthOf(l.port)).body).toEqual({ status: 'stopping' });
    expect(await upgradeStatus(l.url)).toBe(503);
    const exit = await new Promise<number | null>((r) =>
      l.child.exitCode !== null ? r(l.child.exitCode) : l.child.once('exit', (code) => r(code)),
    );
    expect(exit).toBe(0);
    up.socket.destroy();
  });
});
