/**
 * The app shows the tracker's truth (one reconciliation path): two apps with their own data folders
 * on one standalone tracker, channels co-signed through offer and receipt files, and what each app
 * shows when the other one acts, while it is online, offline, or replays an old file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectTrusting, startApp, until, record, type TestApp } from '../helpers/backend';
import { startLedger, type LedgerProcess } from '../helpers/ledger-process';
import type { AddressView, ChannelView, IdentityInfo } from '../../shared/api/models';

const PASS = 'correct horse battery';

interface Pair {
  payer: TestApp;
  payee: TestApp;
  alice: IdentityInfo;
  bob: IdentityInfo;
  spend: AddressView;
  income: AddressView;
}

async function profileFor(app: TestApp, url: string): Promise<string> {
  const known = (await app.call('trackers.list', {})).find((p) => p.url === url);
  return known ? known.id : (await app.call('trackers.add', { name: 'Shared', url })).id;
}

async function connect(app: TestApp, who: IdentityInfo, url: string): Promise<void> {
  const status = await connectTrusting(app, await profileFor(app, url), who.id);
  expect(status.state).toBe('online');
}

let pairs = 0;

/** Alice (payer) in one app with a spend address, Bob (payee) in another with an income address. */
async function pair(payer: TestApp, payee: TestApp, tracker: LedgerProcess): Promise<Pair> {
  // Each pair gets names of its own: identity names are unique in an app.
  const n = ++pairs;
  const [alice, bob] = await Promise.all([
    payer.call('identities.create', { name: `Alice ${n}`, passphrase: PASS }),
    payee.call('identities.create', { name: `Bob ${n}`, passphrase: PASS }),
  ]);
  await Promise.all([connect(payer, alice, tracker.url), connect(payee, bob, tracker.url)]);
  const [spend, income] = await Promise.all([
    payer.call('addresses.open', { identityId: alice.id, kind: 'spend' }),
    payee.call('addresses.open', { identityId: bob.id, kind: 'income' }),
  ]);
  return { payer, payee, alice, bob, spend, income };
}

let seq = 0;
const newChannelId = (tag: string): string => `${tag}-${Date.now().toString(36)}-${seq++}`;

/** Alice offers (price 1000 per MiB, 4 planned), Bob countersigns, `submitter` submits. */
async function openByFiles(p: Pair, channelId: string, submitter: 'payer' | 'payee') {
  const offer = await p.payer.call('channels.createOffer', {
    identityId: p.alice.id,
    counterpartyPK: p.bob.publicPem,
    draft: {
      channelId,
      fromAddress: p.spend.address,
      toAddress: p.income.address,
      priceTokens: '1000',
      pricePower: 20,
      plannedQuantumCount: '4',
    },
    role: 'payer',
  });
  const signed = await p.payee.call('channels.countersign', { content: offer.content, identityId: p.bob.id });
  const opened = await (submitter === 'payer' ? p.payer : p.payee).call('channels.submitFile', {
    content: signed.content,
  });
  return { opened, signedOffer: signed.content };
}

/** Bob writes the receipt, Alice countersigns it: the file either can submit. */
async function signedReceipt(p: Pair, channelId: string, volume: string): Promise<string> {
  const receipt = await p.payee.call('channels.createReceipt', {
    identityId: p.bob.id,
    channelId,
    volume,
  });
  return (await p.payer.call('channels.countersign', { content: receipt.content, identityId: p.alice.id }))
    .content;
}

async function channelIn(app: TestApp, who: IdentityInfo, channelId: string): Promise<ChannelView> {
  const c = (await app.call('channels.list', { identityId: who.id })).find((x) => x.channelId === channelId);
  if (!c) throw new Error(`${who.name} does not know channel ${channelId}`);
  return c;
}

/**
 * How many commands `cmd` the tracker has logged. The log is a pipe read asynchronously: a fresh
 * connection's line, logged after every command answered so far, marks that the count is complete.
 */
async function commandCount(tracker: LedgerProcess, cmd: number): Promise<number> {
  const connections = () => tracker.logs.filter((l) => l.event === 'connection').length;
  const before = connections();
  const ws = new WebSocket(tracker.url);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.close();
  await until(connections, (n) => n > before);
  return tracker.logs.filter((l) => l.event === 'cmd' && l.cmd === cmd).length;
}

describe('two apps on one tracker: each shows what the other did', () => {
  let tracker: LedgerProcess;
  let appA: TestApp;
  let appB: TestApp;

  beforeAll(async () => {
    tracker = await startLedger();
    [appA, appB] = await Promise.all([startApp({ watch: false }), startApp({ watch: false })]);
  });
  afterAll(async () => {
    await Promise.all([appA?.close(), appB?.close()]);
    await tracker?.stop();
  });

  it('the payee who did not submit shows the tracker’s timeLock, never the file’s expiry', async () => {
    const p = await pair(appA, appB, tracker);
    const id = newChannelId('expiry');
    const shown = record(appB.backend, 'channels.changed');
    const { opened } = await openByFiles(p, id, 'payer');
    const list = await appB.call('channels.refresh', { identityId: p.bob.id });
    shown.stop();
    expect(list.find((c) => c.channelId === id)).toMatchObject({ state: 'open', timeLock: opened.timeLock });
    const shownOpen = shown.all
      .filter((e) => e.identityId === p.bob.id)
      .flatMap((e) => e.channels)
      .filter((c) => c.channelId === id && c.state === 'open');
    expect(shownOpen.length).toBeGreaterThan(0);
    expect(shownOpen.map((c) => c.timeLock)).toEqual(shownOpen.map(() => opened.timeLock));
  });

  it('a close submitted while this app was offline shows its settlement after reconnecting', async () => {
    const p = await pair(appA, appB, tracker);
    const id = newChannelId('offline-close');
    await openByFiles(p, id, 'payer');
    await appB.call('channels.refresh', { identityId: p.bob.id });
    expect((await channelIn(appB, p.bob, id)).state).toBe('open');
    const receipt = await appB.call('channels.createReceipt', {
      identityId: p.bob.id,
      channelId: id,
      volume: '1500000',
    });
    await appB.call('trackers.disconnect', {});
    const both = await appA.call('channels.countersign', {
      content: receipt.content,
      identityId: p.alice.id,
    });
    await appA.call('channels.submitFile', { content: both.content });

    await connect(appB, p.bob, tracker.url);
    const closed = await until(
      () => channelIn(appB, p.bob, id),
      (c) => c.state === 'closed' && c.settlement !== null,
      15_000,
    );
    expect(closed.settlement).toEqual({ quantumCount: '2', tokens: '2000', volume: '1500000' });
    // The close time is the tracker's, from its TX_CLOSE_TRANSFER: this app did not see it happen.
    const { items } = await appB.call('history.query', {
      identityId: p.bob.id,
      filter: { channelId: id, types: [16] },
      limit: 5,
    });
    expect(items).toHaveLength(1);
    expect(closed.closedAt).toBe(items[0]!.timestamp);
    const income = (await appB.call('addresses.list', { identityId: p.bob.id })).find(
      (a) => a.address === p.income.address,
    );
    expect(income).toMatchObject({ amount: '2000', limitAmount: '2000', openChannels: 0 });
  });

  it('a replayed offer of a closed channel never shows it open again', async () => {
    const p = await pair(appA, appB, tracker);
    const id = newChannelId('replay');
    const { signedOffer } = await openByFiles(p, id, 'payer');
    await appB.call('channels.refresh', { identityId: p.bob.id });
    await appB.call('channels.submitFile', { content: await signedReceipt(p, id, '1048576') });
    await appA.call('channels.refresh', { identityId: p.alice.id });
    for (const [app, who] of [
      [appA, p.alice],
      [appB, p.bob],
    ] as const) {
      expect(await channelIn(app, who, id)).toMatchObject({
        state: 'closed',
        settlement: { tokens: '1000' },
      });
      // The tracker answers an identical open with success; the app must not take it as a new open.
      await expect(app.call('channels.submitFile', { content: signedOffer })).rejects.toMatchObject({
        code: 'CHANNEL_CLOSED',
      });
      const after = (await app.call('channels.refresh', { identityId: who.id })).find(
        (c) => c.channelId === id,
      );
      expect(after).toMatchObject({ state: 'closed', settlement: { tokens: '1000' } });
      const review = await app.call('channels.reviewFile', { content: signedOffer });
      expect(review.problems.map((p) => p.text).join(' ')).toMatch(/already closed/);
    }
  });

  it('concurrent refreshes of one identity coalesce: one runs, at most one more is queued', async () => {
    const p = await pair(appA, appB, tracker);
    await openByFiles(p, newChannelId('coalesce'), 'payer');
    await appA.call('channels.refresh', { identityId: p.alice.id });
    await appB.call('channels.refresh', { identityId: p.bob.id });
    const before = await commandCount(tracker, 512);
    const lists = await Promise.all(
      Array.from({ length: 6 }, () => appB.call('channels.refresh', { identityId: p.bob.id })),
    );
    const runs = (await commandCount(tracker, 512)) - before;
    // Bob has one open channel: each run asks the tracker for its state once.
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(runs).toBeLessThanOrEqual(2);
    expect(new Set(lists.map((l) => JSON.stringify(l.map((c) => [c.channelId, c.state])))).size).toBe(1);
  });
});

describe('the counterparty acts while this app is online', () => {
  let tracker: LedgerProcess;
  let watching: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    tracker = await startLedger();
    // The watching app refreshes on its own every second; the other one only when told to.
    [watching, other] = await Promise.all([
      startApp({ refreshIntervalMs: 1000 }),
      startApp({ watch: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([watching?.close(), other?.close()]);
    await tracker?.stop();
  });

  it('the payer sees the open and the close within one refresh period, the spend card’s figures too', async () => {
    const channels = record(watching.backend, 'channels.changed');
    const cards = record(watching.backend, 'addresses.changed');
    const p = await pair(watching, other, tracker);
    const id = newChannelId('online');
    const shown = () => ({
      channel: channels.all
        .filter((e) => e.identityId === p.alice.id)
        .at(-1)
        ?.channels.find((c) => c.channelId === id),
      spend: cards.all
        .filter((e) => e.identityId === p.alice.id)
        .at(-1)
        ?.addresses.find((a) => a.address === p.spend.address),
    });

    const { opened } = await openByFiles(p, id, 'payee');
    const open = await until(
      shown,
      (s) => s.channel?.state === 'open' && s.spend?.openChannels === 1 && s.spend.limitAmount === '7000',
      10_000,
    );
    expect(open.channel!.timeLock).toBe(opened.timeLock);

    await other.call('channels.submitFile', { content: await signedReceipt(p, id, '1048576') });
    const closed = await until(
      shown,
      (s) =>
        s.channel?.state === 'closed' &&
        s.channel.settlement !== null &&
        s.spend?.openChannels === 0 &&
        s.spend.limitAmount === s.spend.amount,
      10_000,
    );
    expect(closed.channel!.settlement).toEqual({ quantumCount: '1', tokens: '1000', volume: '1048576' });
    expect(closed.spend).toMatchObject({ amount: '10000', limitAmount: '10000' });
    channels.stop();
    cards.stop();
  });
});
