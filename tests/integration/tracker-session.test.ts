/**
 * TrackerSession / TrackerClient against real trackers over real sockets: our tracker process
 * (started, stopped, killed and restarted), a man-in-the-middle proxy, a silent server, and a
 * server replaying the original server's documented frames.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, resultOf, twoSigned } from '../helpers/raw-client';
import { startWsProxy, cmdOf, type WsProxy } from '../helpers/ws-proxy';
import { vector } from '../helpers/vectors';
import { generateRsaKeyPair, parsePrivateKey, publicPemOf, sameKey } from '../../shared/crypto/keys';
import { signMessage } from '../../shared/crypto/sign';
import type { DoubleSignedPayload } from '../../shared/protocol/schemas';
import {
  TrackerSession,
  TrackerError,
  type SessionDiagnostic,
  type SessionState,
  type SessionStatus,
  type TrackerSessionOptions,
} from '../../electron/services/tracker/session';
import { TrackerClient } from '../../electron/services/tracker/commands';

const FAST_BACKOFF = { initialMs: 50, maxMs: 400, jitter: true };

const sessions = new Set<TrackerSession>();
const proxies = new Set<WsProxy>();

interface Harness {
  session: TrackerSession;
  client: TrackerClient;
  pins: string[];
  statuses: SessionStatus[];
  diagnostics: SessionDiagnostic[];
}

function open(opts: Partial<TrackerSessionOptions> & Pick<TrackerSessionOptions, 'url' | 'signer'>): Harness {
  const pins: string[] = [];
  const statuses: SessionStatus[] = [];
  const diagnostics: SessionDiagnostic[] = [];
  const session = new TrackerSession({
    pinnedKey: null,
    onPin: (pem) => void pins.push(pem),
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 10_000,
    handshakeTimeoutMs: 5_000,
    ...opts,
  });
  session.on('status', (s) => statuses.push(s));
  session.on('diagnostic', (d) => diagnostics.push(d));
  sessions.add(session);
  session.start();
  return { session, client: new TrackerClient(session), pins, statuses, diagnostics };
}

async function proxyTo(url: string): Promise<WsProxy> {
  const p = await startWsProxy(url);
  proxies.add(p);
  return p;
}

function waitState(session: TrackerSession, state: SessionState, timeoutMs = 15_000): Promise<SessionStatus> {
  if (session.status.state === state) return Promise.resolve(session.status);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.off('status', listener);
      reject(new Error(`state ${state} not reached (now ${JSON.stringify(session.status)})`));
    }, timeoutMs);
    const listener = (s: SessionStatus): void => {
      if (s.state !== state) return;
      clearTimeout(timer);
      session.off('status', listener);
      resolve(s);
    };
    session.on('status', listener);
  });
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rejection(p: Promise<unknown>): Promise<TrackerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TrackerError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

async function trackerKeyOf(url: string, peer: TestPeer): Promise<string> {
  const raw = await RawClient.connect(url);
  try {
    return resultOf<string>(await raw.request(1, peer.pemPayload()));
  } finally {
    raw.close();
  }
}

function contract(channelId: string, fromAddress: string, toAddress: string) {
  return {
    channelId,
    fromAddress,
    toAddress,
    priceTokens: '1000',
    priceQuantumPower: 20,
    plannedQuantumCount: 4,
  };
}

afterEach(async () => {
  await Promise.all([...sessions].map((s) => s.stop()));
  sessions.clear();
  await Promise.all([...proxies].map((p) => p.close()));
  proxies.clear();
});

// Key generation is slow: three peers shared by every test.
const alice = new TestPeer();
const bob = new TestPeer();
const carol = new TestPeer();

describe('TrackerSession with our tracker', () => {
  let ledger: LedgerProcess;
  let trackerPem: string;

  beforeAll(async () => {
    ledger = await startLedger({ args: ['--quiet'] });
    trackerPem = await trackerKeyOf(ledger.url, alice);
  });
  afterAll(async () => {
    await ledger?.stop();
  });

  it('pins the key at the first handshake, once; reconnects reuse the pin', async () => {
    const proxy = await proxyTo(ledger.url);
    const h = open({ url: proxy.url, signer: alice });
    expect(h.session.status.state).toBe('connecting');
    const online = await waitState(h.session, 'online');
    expect(online.lastOnlineAt).toBeGreaterThan(0);
    expect(h.pins).toHaveLength(1);
    expect(sameKey(h.pins[0]!, trackerPem)).toBe(true);
    expect(sameKey(h.session.pinnedKey!, trackerPem)).toBe(true);

    proxy.dropClients();
    const lost = await waitState(h.session, 'reconnecting');
    expect(lost.nextAttemptAt).not.toBeNull();
    expect(lost.error?.code).toBe('CONNECTION_LOST');
    await waitState(h.session, 'online');
    expect(proxy.accepted).toBe(2);
    expect(h.pins).toHaveLength(1);
    expect(h.session.status.error).toBeNull();

    // A session that starts with the pin never calls onPin.
    const again = open({ url: ledger.url, signer: bob, pinnedKey: h.pins[0]! });
    await waitState(again.session, 'online');
    expect(again.pins).toHaveLength(0);
    expect(sameKey(await again.client.handshake(bob), trackerPem)).toBe(true);

    await h.session.stop();
    expect(h.session.status.state).toBe('offline');
    expect((await rejection(h.client.spendState(alice, 'x'))).code).toBe('OFFLINE');
  });

  it('runs every command on the success path', async () => {
    const { client, session } = open({ url: ledger.url, signer: alice });
    await waitState(session, 'online');
    expect(sameKey(await client.handshake(alice), trackerPem)).toBe(true);

    const spend = await client.openSpend(alice);
    expect(spend.address.startsWith('0x0c')).toBe(true);
    expect(spend.current.amount).toBe('11000');
    expect(spend.price).toEqual({ amount: '1100', quantumPower: 20 });
    expect(spend.lifetime).toBeGreaterThan(0);
    expect(spend.timeLock).toBeGreaterThan(Date.now());
    const income = await client.openIncome(bob);
    expect(income.address.startsWith('0x0d')).toBe(true);
    expect(income.current.amount).toBe('0');

    const c = contract('session-ch-1', spend.address, income.address);
    const payload: DoubleSignedPayload = twoSigned(alice, bob, c);
    const opened = await client.openTransfer(payload);
    expect(sameKey(opened.pk, trackerPem)).toBe(true);
    expect(opened.timeLock).toBeGreaterThan(Date.now());
    // Repeating cmd 8 is safe: the identical contract answers success.
    await expect(client.openTransfer(payload)).resolves.toMatchObject({ timeLock: opened.timeLock });
    expect((await client.channelState(carol, 'session-ch-1')).state).toBe(2);
    expect((await client.channelState(carol, 'no-such-channel')).state).toBe(1);

    const reserved = await client.spendState(carol, spend.address);
    expect(reserved.limit.amount).toBe('7000');

    const closed = await client.closeTransfer(
      twoSigned(alice, bob, { ...c, quantumCount: 2, tokens: '2000', volume: 1_572_864 }),
    );
    expect(sameKey(closed.pk, trackerPem)).toBe(true);
    expect((await client.channelState(alice, 'session-ch-1')).state).toBe(4);
    expect((await client.spendState(alice, spend.address)).current.amount).toBe('9000');
    const earned = await client.incomeState(bob, income.address);
    expect(earned.current).toEqual({ amount: '2000', quantumVolume: '2097152', volume: '1572864' });

    await expect(client.closeSpend(alice, spend.address)).resolves.toEqual({
      closedWhileDisconnected: false,
      state: { amount: '9000', quantumVolume: '2097152', volume: '1572864' },
    });
    const incomeClosed = await client.closeIncome(bob, income.address);
    expect(incomeClosed.state?.amount).toBe('2000');

    const common = await client.commonState(bob, bob.commonAddress);
    expect(common.address).toBe(bob.commonAddress);
    expect(common.state.profit).toBe('2000');
    expect(common.state.own).toEqual({ fact: '2000', plan: '0' });

    const first = await client.firstTransactions(bob, { pageSize: 2, page: 1, order: 1 });
    expect(first.meta.totalCount).toBe(5);
    expect(first.meta.pageCount).toBe(3);
    expect(first.items).toHaveLength(2);
    expect((first.items[0] as { tx_type: number }).tx_type).toBe(2);
    const next = await client.nextTransactions(bob, first.meta.cursorId, 3);
    expect(next.items).toHaveLength(1);
    await expect(client.touchCursor(bob, first.meta.cursorId)).resolves.toBeUndefined();
    const filtered = await client.firstTransactions(bob, {
      pageSize: 10,
      page: 1,
      fields: { tx_type: { value: 16 } },
    });
    expect(filtered.meta.totalCount).toBe(1);
  });

  it('maps tracker errors to their §8 codes and stays online', async () => {
    const { client, session } = open({ url: ledger.url, signer: carol });
    await waitState(session, 'online');
    const spend = await client.openSpend(carol);

    const notOwner = await rejection(client.closeSpend(bob, spend.address));
    expect(notOwner).toBeInstanceOf(TrackerError);
    expect(notOwner.code).toBe('NOT_OWNER');
    expect(notOwner.fromTracker).toBe(true);
    expect(notOwner.cmd).toBe(64);
    expect(notOwner.message).not.toMatch(/^NOT_OWNER/);

    expect((await rejection(client.touchCursor(carol, 'nope'))).code).toBe('CURSOR_NOT_FOUND');
    expect((await rejection(client.spendState(carol, 'not-an-address'))).code).toBe('BAD_ADDRESS');
    await client.closeSpend(carol, spend.address);
    expect((await rejection(client.spendState(carol, spend.address))).code).toBe('ADDRESS_CLOSED');
    expect((await rejection(client.closeSpend(carol, spend.address))).code).toBe('ADDRESS_CLOSED');
    expect(session.status.state).toBe('online');
  });

  it('refuses to send a frame over the size limit', async () => {
    const { session } = open({ url: ledger.url, signer: alice });
    await waitState(session, 'online');
    const big = { message: 'x'.repeat(70_000), pk: alice.publicPem, sign: 'AA==' };
    const e = await rejection(session.request(256, big));
    expect(e.code).toBe('BAD_PAYLOAD');
    expect(session.status.state).toBe('online');
  });

  it('rejects forged responses with BAD_RESPONSE_SIGNATURE, never as data, and stays up', async () => {
    const proxy = await proxyTo(ledger.url);
    const h = open({ url: proxy.url, signer: alice });
    await waitState(h.session, 'online');
    const spend = await h.client.openSpend(alice);
    const first = await h.client.firstTransactions(alice, { pageSize: 1, page: 1 });

    const mallory = parsePrivateKey(generateRsaKeyPair().privatePem);
    const malloryPem = publicPemOf(mallory);
    type Forge = (data: { message: string; sign: string }) => { message: string; sign: string };
    const forges: Record<string, Forge> = {
      'flipped sign byte': (d) => ({ ...d, sign: (d.sign[0] === 'A' ? 'B' : 'A') + d.sign.slice(1) }),
      'altered message': (d) => ({ ...d, message: d.message.replace('"11000"', '"99000"') }),
      'signed by another key naming itself': (d) => {
        const m = JSON.stringify({ ...(JSON.parse(d.message) as object), pk: malloryPem });
        return { message: m, sign: signMessage(m, mallory) };
      },
    };
    for (const [name, forge] of Object.entries(forges)) {
      proxy.onServerFrame = (t) => {
        const f = JSON.parse(t) as { cmd?: number; data: { message: string; sign: string } };
        if (f.cmd !== 256) return t;
        return JSON.stringify({ ...f, data: forge(f.data) });
      };
      const e = await rejection(h.client.spendState(alice, spend.address));
      expect(e.code, name).toBe('BAD_RESPONSE_SIGNATURE');
      expect(h.session.status.state).toBe('online');
      expect(h.session.status.error?.code).toBe('BAD_RESPONSE_SIGNATURE');
    }
    // 1024/2048 carry no pk: the pinned key alone decides.
    proxy.onServerFrame = (t) => {
      const f = JSON.parse(t) as { cmd?: number; data: { message: string; sign: string } };
      if (f.cmd !== 2048) return t;
      const m = f.data.message.replace('"items":[', '"items":[{"forged":true},');
      return JSON.stringify({ ...f, data: { message: m, sign: signMessage(m, mallory) } });
    };
    expect((await rejection(h.client.nextTransactions(alice, first.meta.cursorId, 1))).code).toBe(
      'BAD_RESPONSE_SIGNATURE',
    );
    expect(h.diagnostics.filter((d) => d.kind === 'bad_signature')).toHaveLength(4);

    proxy.onServerFrame = (t) => t;
    expect((await h.client.spendState(alice, spend.address)).current.amount).toBe('11000');
    expect((await h.client.nextTransactions(alice, first.meta.cursorId, 1)).items).toHaveLength(1);
    expect(proxy.accepted).toBe(1);
  });

  it('times out against a slow tracker', async () => {
    // A real WebSocket server that accepts and never answers.
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => silent.once('listening', r));
    try {
      const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const h = open({ url, signer: alice, handshakeTimeoutMs: 5_000 });
      const started = Date.now();
      const e = await rejection(h.session.request(256, alice.json({ address: 'x' }), { timeoutMs: 300 }));
      expect(e.code).toBe('TIMEOUT');
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(h.session.status.state).toBe('connecting');
      expect(h.pins).toHaveLength(0);
      await h.session.stop();
    } finally {
      for (const c of silent.clients) c.terminate();
      await new Promise<void>((r) => silent.close(() => r()));
    }

    // Online, but the tracker never answers this one request: TIMEOUT, session still usable.
    const proxy = await proxyTo(ledger.url);
    const h = open({ url: proxy.url, signer: alice, requestTimeoutMs: 300 });
    await waitState(h.session, 'online');
    proxy.onClientFrame = (t) => (cmdOf(t) === 8192 ? 'drop' : 'forward');
    expect((await rejection(h.client.commonState(alice, alice.commonAddress))).code).toBe('TIMEOUT');
    expect(h.session.status.state).toBe('online');
    expect((await h.client.channelState(alice, 'none')).state).toBe(1);
  });

  it('close recovery (SPEC §7): a close executed while the answer was lost resolves as closed', async () => {
    const proxy = await proxyTo(ledger.url);
    const h = open({ url: proxy.url, signer: bob });
    await waitState(h.session, 'online');
    const income = await h.client.openIncome(bob);
    // The tracker executes the close; its answer is lost with the connection.
    proxy.onServerFrame = (t) => {
      if (cmdOf(t) !== 32) return t;
      setImmediate(() => proxy.dropClients());
      return null;
    };
    const outcome = await h.client.closeIncome(bob, income.address);
    expect(outcome).toEqual({ closedWhileDisconnected: true, state: null });
    expect(proxy.accepted).toBe(2);
    proxy.onServerFrame = (t) => t;
    expect((await rejection(h.client.incomeState(bob, income.address))).code).toBe('ADDRESS_CLOSED');
  });

  it('close recovery (SPEC §7): a close lost before reaching the tracker rejects with CONNECTION_LOST', async () => {
    const proxy = await proxyTo(ledger.url);
    const h = open({ url: proxy.url, signer: alice });
    await waitState(h.session, 'online');
    const spend = await h.client.openSpend(alice);
    proxy.onClientFrame = (t) => (cmdOf(t) === 64 ? 'hold' : 'forward');
    const closing = rejection(h.client.closeSpend(alice, spend.address));
    await until(() => proxy.held.length === 1);
    proxy.held = [];
    proxy.onClientFrame = () => 'forward';
    proxy.dropClients();
    const e = await closing;
    expect(e.code).toBe('CONNECTION_LOST');
    expect(e.message).toMatch(/still open/);
    // The caller decides: the address is open and can be closed now.
    expect((await h.client.closeSpend(alice, spend.address)).state?.amount).toBe('11000');
  });
});

describe('TrackerSession across tracker restarts', () => {
  const ledgers: LedgerProcess[] = [];
  afterAll(async () => {
    await Promise.all(ledgers.map((l) => l.stop('SIGKILL')));
  });

  it('blocks on a different key at the same URL until the user accepts it', async () => {
    const first = await startLedger({ args: ['--quiet'] });
    ledgers.push(first);
    const h = open({ url: first.url, signer: alice });
    await waitState(h.session, 'online');
    expect(h.pins).toHaveLength(1);

    await first.stop();
    await waitState(h.session, 'reconnecting');
    const second = await startLedger({ port: first.port, dir: tempDir(), args: ['--quiet'] });
    ledgers.push(second);
    const secondKey = await trackerKeyOf(second.url, carol);
    expect(sameKey(secondKey, h.pins[0]!)).toBe(false);

    const pending = rejection(h.client.spendState(alice, 'whatever'));
    const changed = await waitState(h.session, 'key_changed');
    expect(sameKey(changed.offeredKey!, secondKey)).toBe(true);
    expect(changed.error?.code).toBe('KEY_CHANGED');
    expect(changed.nextAttemptAt).toBeNull();
    expect((await pending).code).toBe('KEY_CHANGED');
    expect((await rejection(h.client.openSpend(alice))).code).toBe('KEY_CHANGED');
    // No reconnection while blocked.
    const statusCount = h.statuses.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(h.statuses.length).toBe(statusCount);
    expect(h.session.status.state).toBe('key_changed');

    await h.session.acceptOfferedKey();
    expect(h.pins).toHaveLength(2);
    expect(sameKey(h.pins[1]!, secondKey)).toBe(true);
    await waitState(h.session, 'online');
    expect(h.session.status.offeredKey).toBeNull();
    expect((await h.client.openSpend(alice)).current.amount).toBe('11000');
    await second.stop();
  });

  it('survives a SIGKILL mid-request: safe requests complete after the restart, open spend is CONNECTION_LOST', async () => {
    let ledger = await startLedger({ args: ['--quiet'] });
    ledgers.push(ledger);
    const proxy = await proxyTo(ledger.url);
    const viaProxy = open({ url: proxy.url, signer: alice, requestTimeoutMs: 20_000 });
    const direct = open({ url: ledger.url, signer: bob, requestTimeoutMs: 20_000 });
    await Promise.all([waitState(viaProxy.session, 'online'), waitState(direct.session, 'online')]);
    const spend = await viaProxy.client.openSpend(alice);

    // Hold the next open spend and state read in the proxy: both are on the wire at kill time.
    proxy.onClientFrame = (t) => ([4, 256].includes(cmdOf(t) ?? 0) ? 'hold' : 'forward');
    const openSpend = rejection(viaProxy.client.openSpend(alice));
    const read = viaProxy.client.spendState(alice, spend.address);
    await until(() => proxy.held.length === 2);
    const directRead = direct.client.spendState(bob, spend.address);

    await ledger.stop('SIGKILL');
    const lost = await openSpend;
    expect(lost.code).toBe('CONNECTION_LOST');
    expect(lost.cmd).toBe(4);
    const reconnecting = await waitState(direct.session, 'reconnecting');
    expect(reconnecting.nextAttemptAt).toBeGreaterThan(0);
    expect(reconnecting.lastOnlineAt).toBeGreaterThan(0);
    expect(viaProxy.statuses.some((s) => s.state === 'reconnecting' && s.nextAttemptAt !== null)).toBe(true);

    proxy.held = [];
    proxy.onClientFrame = () => 'forward';
    ledger = await startLedger({ port: ledger.port, dir: ledger.dir, args: ['--quiet'] });
    ledgers.push(ledger);

    const state = await read;
    expect(state.address).toBe(spend.address);
    expect(state.current.amount).toBe('11000');
    expect((await directRead).current.amount).toBe('11000');
    await Promise.all([waitState(viaProxy.session, 'online'), waitState(direct.session, 'online')]);
    // Same key file: the pin holds, onPin ran only at the first handshake.
    expect(viaProxy.pins).toHaveLength(1);
    expect(direct.pins).toHaveLength(1);
    // The held open spend never reached the tracker: exactly one spend address exists for alice here.
    const history = await viaProxy.client.firstTransactions(alice, {
      pageSize: 10,
      page: 1,
      fields: { tx_type: { value: 4 } },
    });
    expect(history.meta.totalCount).toBe(1);
    await ledger.stop();
  });
});

describe("TrackerSession with the original server's frames (documented vectors)", () => {
  /** Answers like the original server: success frames without cmd, errors with exData as `data`. */
  async function originalServer(): Promise<{ url: string; close(): Promise<void> }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', r));
    const exData = { beforeCreate: 1541000000000000000, created: 1541000000000100000 };
    wss.on('connection', (ws: WebSocket) => {
      ws.send('this is not json');
      ws.send(JSON.stringify({ corrToken: 'nobody', data: { message: 'x', sign: 'y' } }));
      ws.on('message', (raw) => {
        const { cmd, corrToken } = JSON.parse(raw.toString()) as { cmd: number; corrToken: string };
        const reply = (frame: object): void => ws.send(JSON.stringify(frame));
        switch (cmd) {
          case 1:
          case 16:
          case 512:
          case 4096:
            return reply({ corrToken, data: vector(cmd).response, exData });
          case 8:
            return reply({ corrToken, data: vector(8).response, exData });
          case 128:
            return reply({ corrToken, data: JSON.stringify(exData), error: 'address not found', exData });
          case 256:
            return reply({ data: corrToken, error: 'ADDRESS_NOT_FOUND: no such spend address' });
          default:
            return reply({ corrToken, data: JSON.stringify(exData), error: 'unknown command' });
        }
      });
    });
    return {
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      close: async () => {
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((r) => wss.close(() => r()));
      },
    };
  }

  it('pins, verifies and correlates the original variants', async () => {
    const server = await originalServer();
    try {
      const h = open({ url: server.url, signer: alice });
      await waitState(h.session, 'online');
      const handshakeKey = vector(1).response.message;
      expect(h.pins).toHaveLength(1);
      expect(sameKey(h.pins[0]!, handshakeKey)).toBe(true);
      expect(h.diagnostics.map((d) => d.kind)).toEqual(expect.arrayContaining(['unparsable', 'unmatched']));

      const ch = await h.client.channelState(alice, 'test4904');
      expect(ch.state).toBe(4);
      await expect(h.client.touchCursor(alice, 'any')).resolves.toBeUndefined();
      const v16 = vector(16).request as unknown as DoubleSignedPayload;
      expect(sameKey((await h.client.closeTransfer(v16)).pk, handshakeKey)).toBe(true);

      const plain = await rejection(h.client.incomeState(alice, 'a'));
      expect(plain.code).toBe('TRACKER_ERROR');
      expect(plain.message).toBe('address not found');
      expect((await rejection(h.client.spendState(alice, 'a'))).code).toBe('ADDRESS_NOT_FOUND');
      // The documented cmd 8 answer is signed by no key of the set (and names another tracker key).
      expect((await rejection(h.client.openTransfer(v16))).code).toBe('BAD_RESPONSE_SIGNATURE');
      expect(h.session.status.state).toBe('online');
    } finally {
      await server.close();
    }
  });
});
