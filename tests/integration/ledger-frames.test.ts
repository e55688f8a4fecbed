/**
 * Frame level (SPEC §3, §6, §8) and the documented example requests (tests/fixtures/vectors) against a
 * real tracker process: bad frames get BAD_FRAME and leave the connection usable, oversized frames close
 * it with 1009, unknown commands echo the corrToken, documented requests are accepted verbatim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, type Frame } from '../helpers/raw-client';
import { Session, dbFingerprint, token, type AddressState, type FirstPage } from '../helpers/command-kit';
import { vector } from '../helpers/vectors';
import { channelAddressOf, checkAddress } from '../../shared/crypto/address';
import { normalizePem } from '../../shared/crypto/keys';

let ledger: LedgerProcess;
let s: Session;
let peer: TestPeer;

beforeAll(async () => {
  const started = startLedger({ expiryIntervalMs: 86_400_000 });
  peer = new TestPeer();
  ledger = await started;
  s = await Session.open(ledger.url, ledger.db, peer);
});
afterAll(async () => {
  s?.close();
  expect(await ledger?.stop()).toBe(0);
});

/** Sends raw text and returns the next frame, checking that the database did not change. */
async function badFrame(client: RawClient, text: string): Promise<Frame> {
  const db = await dbFingerprint(ledger.db);
  const f = await client.sendText(text);
  expect(f.error).toMatch(/^BAD_FRAME: \S/);
  expect(f.cmd).toBeUndefined();
  expect(typeof f.corrToken).toBe('string');
  expect(await dbFingerprint(ledger.db)).toBe(db);
  return f;
}

/** The connection still answers a real command. */
async function stillUsable(client: RawClient): Promise<void> {
  const f = await client.request(1, peer.pemPayload(), token());
  expect(f.error).toBeUndefined();
  expect((f.data as { message: string }).message).toBe(s.trackerPem);
}

describe('frames', () => {
  it('non-JSON text: BAD_FRAME, data = the frame text; the connection stays usable', async () => {
    const c = await RawClient.connect(ledger.url);
    for (const text of ['hello', '{"cmd":1,', '', ' ', 'undefined', "{'cmd':1}"]) {
      const f = await badFrame(c, text);
      expect(f.data).toBe(text);
      expect(f.corrToken).toBe('');
      await stillUsable(c);
    }
    c.close();
  });

  it('a long non-JSON frame is echoed cut to its first 1 KiB', async () => {
    const c = await RawClient.connect(ledger.url);
    const text = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const f = await badFrame(c, text);
    expect(f.data).toBe(text.slice(0, 1024));
    // Multi-byte text: at most 1 KiB of UTF-8, a prefix of the frame, no broken character.
    const wide = 'é€😀'.repeat(1000);
    const g = await badFrame(c, wide);
    const echoed = g.data as string;
    expect(Buffer.byteLength(echoed, 'utf8')).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(echoed, 'utf8')).toBeGreaterThan(1024 - 4);
    expect(wide.startsWith(echoed)).toBe(true);
    expect(echoed).not.toContain('\uFFFD');
    await stillUsable(c);
    c.close();
  });

  it('JSON that is not an envelope: BAD_FRAME with the frame text', async () => {
    const c = await RawClient.connect(ledger.url);
    const payload = peer.pemPayload();
    const texts = [
      'null',
      '42',
      '"text"',
      '[1,2,3]',
      '{}',
      JSON.stringify({ cmd: 1, payload }),
      JSON.stringify({ corrToken: 'x', payload }),
      JSON.stringify({ cmd: 1, corrToken: 'x' }),
      JSON.stringify({ cmd: '1', corrToken: 'x', payload }),
      JSON.stringify({ cmd: 1.5, corrToken: 'x', payload }),
      JSON.stringify({ cmd: 1, corrToken: '', payload }),
      JSON.stringify({ cmd: 1, corrToken: 7, payload }),
      JSON.stringify({ cmd: 1, corrToken: 'x'.repeat(257), payload }),
      JSON.stringify({ cmd: 1, corrToken: 'x', payload: 'string' }),
      JSON.stringify({ cmd: 1, corrToken: 'x', payload: null }),
      JSON.stringify({ cmd: 1, corrToken: 'x', payload: [payload] }),
    ];
    for (const text of texts) {
      const f = await badFrame(c, text);
      expect(f.data).toBe(text.slice(0, 1024));
      await stillUsable(c);
    }
    c.close();
  });

  it('a binary frame: BAD_FRAME; the connection stays usable', async () => {
    const c = await RawClient.connect(ledger.url);
    const db = await dbFingerprint(ledger.db);
    const answer = new Promise<Frame>((resolve) =>
      c.ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Frame)),
    );
    c.ws.send(Buffer.from(JSON.stringify({ cmd: 1, corrToken: 'bin', payload: peer.pemPayload() })), {
      binary: true,
    });
    const f = await answer;
    expect(f.error).toMatch(/^BAD_FRAME: \S/);
    expect(typeof f.corrToken).toBe('string');
    expect(typeof f.data).toBe('string');
    expect(await dbFingerprint(ledger.db)).toBe(db);
    await stillUsable(c);
    c.close();
  });

  it('unknown commands: UNKNOWN_COMMAND with the corrToken echoed in corrToken and data', async () => {
    for (const cmd of [0, 3, 5, 12, 16384, -1, 1 << 30]) {
      await s.refused(cmd, peer.pemPayload(), 'UNKNOWN_COMMAND');
    }
    const f = await s.client.sendText(
      JSON.stringify({ cmd: 3, corrToken: 'échoé 🙂', payload: {} }),
      'échoé 🙂',
    );
    expect(f).toMatchObject({ corrToken: 'échoé 🙂', data: 'échoé 🙂' });
    expect(f.error).toMatch(/^UNKNOWN_COMMAND: /);
  });

  it('a frame of exactly 64 KiB is handled; one byte more closes the connection with 1009', async () => {
    const c = await RawClient.connect(ledger.url);
    const envelope = (padding: string) =>
      JSON.stringify({ cmd: 1, corrToken: 'big', payload: { ...peer.pemPayload(), padding } });
    const overhead = Buffer.byteLength(envelope(''));
    const exact = envelope('p'.repeat(64 * 1024 - overhead));
    expect(Buffer.byteLength(exact)).toBe(64 * 1024);
    const ok = await c.sendText(exact, 'big');
    expect(ok.error).toBeUndefined();
    expect((ok.data as { message: string }).message).toBe(s.trackerPem);
    const over = envelope('p'.repeat(64 * 1024 - overhead + 1));
    c.ws.send(over);
    expect(await c.waitClose()).toBe(1009);
    expect(c.unmatched).toEqual([]);
    // The tracker itself is fine.
    await stillUsable(s.client);
  });

  it('an oversized non-JSON frame closes with 1009 too', async () => {
    const c = await RawClient.connect(ledger.url);
    c.ws.send('x'.repeat(200 * 1024));
    expect(await c.waitClose()).toBe(1009);
  });

  it('requests in flight are answered by corrToken, each success signed, each error with its token', async () => {
    const c = await RawClient.connect(ledger.url);
    const jobs = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 2
        ? c.request(3, {}, `k${i}`).then((f) => ({ i, f }))
        : c
            .request(
              i % 3 === 0 ? 1 : 512,
              i % 3 === 0 ? peer.pemPayload() : peer.json({ channelId: `c${i}` }),
              `k${i}`,
            )
            .then((f) => ({ i, f })),
    );
    for (const { i, f } of await Promise.all(jobs)) {
      expect(f.corrToken).toBe(`k${i}`);
      if (i % 3 === 2)
        expect(f).toMatchObject({ data: `k${i}`, error: expect.stringMatching(/^UNKNOWN_COMMAND: /) });
      else if (i % 3 === 0) expect(f.cmd).toBe(1);
      else
        expect(JSON.parse((f.data as { message: string }).message)).toMatchObject({
          channelId: `c${i}`,
          state: 1,
        });
    }
    c.close();
  });

  it('a client that closes cleanly, and a new connection, work independently', async () => {
    const a = await RawClient.connect(ledger.url);
    const b = await RawClient.connect(ledger.url);
    a.close();
    expect(await a.waitClose()).toBe(1005);
    await stillUsable(b);
    b.close();
  });
});

describe('documented vectors, sent verbatim', () => {
  it('01 handshake: the documented request is accepted', async () => {
    const v = vector(1);
    expect(await s.ok<string>(1, v.request)).toBe(s.trackerPem);
  });

  it('02 open income channel: the documented request opens an income address for its key', async () => {
    const v = vector(2);
    const r = await s.ok<AddressState>(2, v.request);
    expect(checkAddress(r.address, 'income').valid).toBe(true);
    expect(r.current).toEqual({ amount: '0', quantumVolume: 0, volume: 0 });
    expect(r.price).toEqual({ amount: '900', quantumPower: 20 });
    const opened = r.timeLock - r.lifetime!;
    const peerPem = normalizePem(v.request.pk!);
    const derived = Array.from({ length: 8 }, (_, i) =>
      channelAddressOf('income', s.trackerPem, peerPem, opened + i),
    );
    expect(derived).toContain(r.address);
    // The 1024 example is signed by the same key: its history now holds this open.
    const h = await s.ok<FirstPage>(1024, vector(1024).request);
    expect(h._meta).toMatchObject({ totalCount: 1, pageCount: 1, currentPage: 1, perPage: 1 });
    expect(h.items[0]).toMatchObject({ tx_type: 2, to: r.address, amount: 0 });
  });

  it('04 open spend channel: the documented request opens a funded spend address', async () => {
    const v = vector(4);
    const r = await s.ok<AddressState>(4, v.request);
    expect(checkAddress(r.address, 'spend').valid).toBe(true);
    expect(r.current).toEqual({ amount: '11000', quantumVolume: 0, volume: 0 });
    expect(r.limit).toEqual({ amount: '11000', quantumVolume: 0 });
    expect(r.price).toEqual({ amount: '1100', quantumPower: 20 });
  });

  it('08 open transfer channel: the documented (edited) request is refused with BAD_SIGNATURE', async () => {
    await s.refused(8, vector(8).request, 'BAD_SIGNATURE');
  });

  it('the other documented requests verify and get the answer this tracker owes them', async () => {
    // 16: signatures valid, but this tracker never opened channel test15307826733498129.
    await s.refused(16, vector(16).request, 'CHANNEL_NOT_FOUND');
    // 32/64/128/256: legacy 44-character addresses of another tracker.
    for (const cmd of [32, 64, 128, 256]) await s.refused(cmd, vector(cmd).request, 'ADDRESS_NOT_FOUND');
    expect(await s.ok(512, vector(512).request)).toEqual({
      channelId: 'test490411',
      state: 1,
      pk: s.trackerPem,
    });
    await s.refused(2048, vector(2048).request, 'CURSOR_NOT_FOUND');
    await s.refused(4096, vector(4096).request, 'CURSOR_NOT_FOUND');
    // 8192: a checksummed common address with a standard-base64 body ('/').
    const address = JSON.parse(vector(8192).request.message!).address as string;
    expect(await s.ok(8192, vector(8192).request)).toEqual({
      address,
      state: { own: { fact: '0', plan: '0' }, foreign: { fact: '0', plan: '0' }, profit: '0' },
      pk: s.trackerPem,
    });
  });
});
