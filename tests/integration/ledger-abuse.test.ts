/**
 * A tracker under attack from 127.0.0.1 stays bounded and keeps serving everybody else:
 * - a slow reader (sends big history requests, never reads): the tracker stops reading from it
 *   once its unsent output passes --max-buffered-bytes, its memory stays bounded, another client's
 *   handshake is answered in < 500 ms meanwhile, and the idle timeout finally drops it;
 * - bursts of handshakes with keys that are expensive to check, over 32 connections: a huge
 *   public exponent is refused (BAD_KEY) before any verification, the largest keys allowed are
 *   checked on the workers, and another client's handshake still takes < 500 ms.
 * The 500 ms bounds are the functional requirement; the loaded 2-core machine the tests run on
 * answers a handshake in a few milliseconds when the tracker is fair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, type Frame } from '../helpers/raw-client';
import { call, codeOf, ok, until } from '../helpers/tracker-session';
import { clientFrame, rawUpgrade } from '../helpers/raw-socket';
import { metric, metricsOf, rssOf } from '../helpers/tracker-http';
import { forgedPemPayload, hugeExponent, rsaPublicPem } from '../helpers/rsa-keys';

const MiB = 1024 * 1024;
const victim = new TestPeer();

/** Milliseconds for a new connection plus a handshake (cmd 1), checked. */
async function handshakeMs(url: string, pem: string): Promise<number> {
  const t0 = performance.now();
  const c = await RawClient.connect(url);
  ok(await call(c, 1, victim.pemPayload()), pem);
  const ms = performance.now() - t0;
  c.close();
  return ms;
}

describe('a slow reader', () => {
  let l: LedgerProcess;
  let pem: string;
  const attacker = new TestPeer();
  const ITEMS = 300;

  beforeAll(async () => {
    l = await startLedger({
      args: ['--quiet', '--max-buffered-bytes', String(256 * 1024), '--idle-timeout-s', '3'],
      env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000' },
    });
    // ITEMS history items of the attacker's key: each answer to its request is ~400 KB
    const c = await RawClient.connect(l.url);
    const hs = await call(c, 1, victim.pemPayload());
    pem = (hs.data as { message: string }).message;
    const open = attacker.pemPayload();
    const frames = await Promise.all(Array.from({ length: ITEMS }, () => call(c, 2, open)));
    expect(frames.every((f) => f.error === undefined)).toBe(true);
    c.close();
  });
  afterAll(() => l?.stop());

  it('is stopped at the output bound; memory stays bounded; others are served; it is dropped when idle', async () => {
    const request = JSON.stringify({
      cmd: 1024,
      corrToken: 'x',
      payload: attacker.json({ limits: { pageSize: 1000, page: 1 } }),
    });
    // warm up: one such answer through a reading client, so that the baseline has seen one
    const reader = await RawClient.connect(l.url);
    const page = ok<{ items: unknown[] }>(await reader.sendText(request, 'x'), pem);
    expect(page.items.length).toBe(ITEMS);
    const answerBytes = Buffer.byteLength(JSON.stringify(page));
    reader.close();
    const before = await metricsOf(l.port);
    const rssBefore = rssOf(l.child.pid!);

    // 600 requests (~0.7 MB) that would make ~240 MB of answers; the attacker never reads
    const up = await rawUpgrade(l.port);
    expect(up.status).toBe(101);
    const frame = clientFrame(request);
    up.socket.write(Buffer.concat(Array.from({ length: 600 }, () => frame)));

    const during = await handshakeMs(l.url, pem);
    // the tracker answers until the output bound (plus what the kernel buffers took), then stops
    let answered = -1;
    await until(
      async () => {
        const n = metric(await metricsOf(l.port), 'tracker_commands_total', { cmd: '1024' });
        const stable = n === answered;
        answered = n;
        return stable;
      },
      10_000,
      400,
    );
    const served = answered - metric(before, 'tracker_commands_total', { cmd: '1024' });
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThan(100); // ≪ 600
    const grown = rssOf(l.child.pid!) - rssBefore;
    const stalled = await handshakeMs(l.url, pem);
    console.info(
      `slow reader: ${served} of 600 answers (${Math.round(answerBytes / 1024)} KiB each) produced, ` +
        `RSS +${(grown / MiB).toFixed(1)} MiB, handshakes ${during.toFixed(0)} / ${stalled.toFixed(0)} ms`,
    );
    expect(grown).toBeLessThan(120 * MiB);
    expect(during).toBeLessThan(500);
    expect(stalled).toBeLessThan(500);

    // nothing more arrives from it: after the idle timeout the tracker drops it
    await until(async () => metric(await metricsOf(l.port), 'tracker_connections_open') === 0, 15_000);
    up.socket.destroy();
  });
});

describe('bursts of expensive keys over many connections', () => {
  let l: LedgerProcess;
  let pem: string;
  let victimClient: RawClient;
  // Each connection's frames are answered one at a time: a client waits for at most one frame of
  // each other connection, so the attackers' frames are spread over fewer connections than frames.
  const CONNECTIONS = 32;
  const PER_CONNECTION = 6;

  beforeAll(async () => {
    l = await startLedger({ args: ['--quiet'] });
    victimClient = await RawClient.connect(l.url);
    const hs = await call(victimClient, 1, victim.pemPayload());
    pem = (hs.data as { message: string }).message;
  });
  afterAll(async () => {
    victimClient?.close();
    await l?.stop();
  });

  /** Sends the burst, times the victim's handshakes during it, returns every attacker answer. */
  async function burst(payload: unknown): Promise<{ codes: string[]; victimMs: number[] }> {
    const attackers = await Promise.all(Array.from({ length: CONNECTIONS }, () => RawClient.connect(l.url)));
    const answers: Promise<Frame>[] = [];
    for (const a of attackers) for (let i = 0; i < PER_CONNECTION; i++) answers.push(call(a, 1, payload));
    const t0 = performance.now();
    ok(await call(victimClient, 1, victim.pemPayload()), pem);
    const open = performance.now() - t0;
    const fresh = await handshakeMs(l.url, pem);
    const codes = (await Promise.all(answers)).map((f) => codeOf(f) ?? 'OK');
    for (const a of attackers) a.close();
    return { codes, victimMs: [open, fresh] };
  }

  it('a 3072-bit key with a 3063-bit exponent: BAD_KEY without a verification; others are served', async () => {
    const huge = rsaPublicPem(3072, hugeExponent(3063));
    const r = await burst(forgedPemPayload(huge, 3072));
    expect(new Set(r.codes)).toEqual(new Set(['BAD_KEY']));
    expect(r.codes.length).toBe(CONNECTIONS * PER_CONNECTION);
    console.info(
      `huge-exponent burst: victim handshakes ${r.victimMs.map((x) => x.toFixed(0)).join(' / ')} ms`,
    );
    for (const ms of r.victimMs) expect(ms).toBeLessThan(500);
  });

  it('the most expensive keys allowed (8192 bits, exponent 2^32 − 1) are verified and refused; others are served', async () => {
    const big = rsaPublicPem(8192, 2n ** 32n - 1n);
    const r = await burst(forgedPemPayload(big, 8192));
    expect(new Set(r.codes)).toEqual(new Set(['BAD_SIGNATURE']));
    console.info(`8192-bit burst: victim handshakes ${r.victimMs.map((x) => x.toFixed(0)).join(' / ')} ms`);
    for (const ms of r.victimMs) expect(ms).toBeLessThan(500);
  });
});
