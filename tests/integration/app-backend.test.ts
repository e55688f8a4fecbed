/**
 * The main-process services end to end against our tracker (the embedded one, started as a child
 * process exactly as the served app starts it), through the contract's dispatch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startApp, ApiCallError, type TestApp } from '../helpers/backend';
import type { IdentityInfo, AddressView } from '../../shared/api/models';

const PASS = 'correct horse battery';

describe('app backend against the embedded tracker', () => {
  let app: TestApp;
  let seq = 0;

  beforeAll(async () => {
    app = await startApp();
    // One session for the whole file: any local identity signs its own commands over it.
    const operator = await app.call('identities.create', { name: 'Operator', passphrase: PASS });
    const embedded = (await app.call('trackers.list', {})).find((t) => t.embedded)!;
    expect(
      (await app.call('trackers.connect', { profileId: embedded.id, identityId: operator.id })).state,
    ).toBe('online');
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A payer with a fresh spend address and a payee with a fresh income address, for one test. */
  async function pair(): Promise<{
    alice: IdentityInfo;
    bob: IdentityInfo;
    spend: AddressView;
    income: AddressView;
  }> {
    const n = ++seq;
    const alice = await app.call('identities.create', { name: `Alice ${n}`, passphrase: PASS });
    const bob = await app.call('identities.create', { name: `Bob ${n}`, passphrase: PASS });
    const spend = await app.call('addresses.open', { identityId: alice.id, kind: 'spend' });
    const income = await app.call('addresses.open', { identityId: bob.id, kind: 'income' });
    return { alice, bob, spend, income };
  }

  /** Opens a channel between the pair's two local identities and closes it after `volume` bytes. */
  async function paidChannel(p: Awaited<ReturnType<typeof pair>>, channelId: string, volume: string) {
    await app.call('channels.openLocal', {
      payerId: p.alice.id,
      payeeId: p.bob.id,
      draft: {
        channelId,
        fromAddress: p.spend.address,
        toAddress: p.income.address,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '10',
      },
    });
    return app.call('channels.closeLocal', { channelId, volume });
  }

  it('reports passphrase protection in plain Node and never returns private keys', async () => {
    await app.call('identities.create', { name: 'Keyholder', passphrase: PASS });
    const info = await app.call('app.info', {});
    expect(info.keyProtection).toBe('passphrase');
    const list = await app.call('identities.list', {});
    expect(list.map((i) => i.name)).toContain('Keyholder');
    expect(JSON.stringify(list)).not.toContain('PRIVATE KEY');
    const stored = readFileSync(`${app.dataDir}/settings.json`, 'utf8');
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).toContain('scrypt-aes-256-gcm');
  });

  it('refuses to create a passphrase identity without a passphrase', async () => {
    await expect(app.call('identities.create', { name: 'NoPass' })).rejects.toMatchObject({
      code: 'PASSPHRASE_REQUIRED',
    });
    await expect(app.call('identities.create', { name: 'Short', passphrase: 'short' })).rejects.toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
      },
    );
  });

  it('connects to the embedded tracker and pins its key on first use', async () => {
    const own = await startApp({ watch: false });
    try {
      const me = await own.call('identities.create', { name: 'First', passphrase: PASS });
      const embedded = (await own.call('trackers.list', {})).find((t) => t.embedded)!;
      expect(embedded.pinnedKey).toBeNull();
      const status = await own.call('trackers.connect', { profileId: embedded.id, identityId: me.id });
      expect(status.state).toBe('online');
      const after = (await own.call('trackers.list', {})).find((t) => t.embedded)!;
      expect(after.pinnedKey).toContain('BEGIN PUBLIC KEY');
      expect(after.pinnedFingerprint).toMatch(/^[0-9a-f]{4}(:[0-9a-f]{4}){15}$/);
    } finally {
      await own.close();
    }
  });

  it('opens spend and income addresses and lists them with their limits', async () => {
    const { alice, spend, income } = await pair();
    expect(spend).toMatchObject({
      kind: 'spend',
      status: 'open',
      amount: '11000',
      limitAmount: '11000',
      priceAmount: '1100',
      pricePower: 20,
    });
    expect(income).toMatchObject({ kind: 'income', status: 'open', amount: '0', priceAmount: '900' });
    const listed = await app.call('addresses.list', { identityId: alice.id });
    expect(listed.map((a) => a.address)).toEqual([spend.address]);
  });

  it('previews a channel draft with the tracker’s checks', async () => {
    const { alice, spend, income } = await pair();
    const ok = await app.call('channels.preview', {
      identityId: alice.id,
      draft: {
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '10',
      },
    });
    expect(ok).toEqual({ reservation: '10000', plannedBytes: String(10 * 2 ** 20), problems: [] });
    const tooMuch = await app.call('channels.preview', {
      identityId: alice.id,
      draft: {
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '12',
      },
    });
    expect(tooMuch.problems.map((p) => p.text).join()).toMatch(/exceeds the spend address limit 11000/);
    // The numbers travel apart from the words: the renderer formats them in the UI language.
    expect(tooMuch.problems).toContainEqual(
      expect.objectContaining({
        code: 'overLimit',
        field: 'planned',
        params: { reservationAtoms: '12000', limitAtoms: '11000' },
      }),
    );
    const cheap = await app.call('channels.preview', {
      identityId: alice.id,
      draft: {
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '800',
        pricePower: 20,
        plannedQuantumCount: '1',
      },
    });
    expect(cheap.problems.map((p) => p.text).join()).toMatch(/below the income address minimum of 900/);
    const dear = await app.call('channels.preview', {
      identityId: alice.id,
      draft: {
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '600',
        pricePower: 19,
        plannedQuantumCount: '1',
      },
    });
    // 600 per 2^19 bytes = 1200 per 2^20: above the spend maximum of 1100.
    expect(dear.problems.map((p) => p.text).join()).toMatch(/above the spend address maximum/);
  });

  it('defect 4: a mistyped payee address is reported as a wrong checksum, on the address field', async () => {
    const { alice, spend, income } = await pair();
    // One character of the body changed: the shape is right, the checksum no longer matches.
    const body = income.address.slice(-40);
    const swapped = body[5] === 'A' ? 'B' : 'A';
    const mistyped = income.address.slice(0, -40) + body.slice(0, 5) + swapped + body.slice(6);
    const preview = await app.call('channels.preview', {
      identityId: alice.id,
      draft: {
        fromAddress: spend.address,
        toAddress: mistyped,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '1',
      },
    });
    expect(preview.problems).toEqual([
      expect.objectContaining({
        code: 'payeeChecksum',
        field: 'to',
        text: expect.stringMatching(/checksum/),
      }),
    ]);
  });

  it('opens and closes a transfer channel between two local identities', async () => {
    const { alice, bob, spend, income } = await pair();
    const opened = await app.call('channels.openLocal', {
      payerId: alice.id,
      payeeId: bob.id,
      draft: {
        channelId: 'local-1',
        fromAddress: spend.address,
        toAddress: income.address,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '10',
      },
    });
    expect(opened).toMatchObject({
      channelId: 'local-1',
      state: 'open',
      reservation: '10000',
      role: 'payer',
    });
    const s1 = (await app.call('addresses.list', { identityId: alice.id }))[0]!;
    expect(s1.limitAmount).toBe('1000');
    const preview = await app.call('channels.previewClose', { channelId: 'local-1', volume: '1572864' });
    expect(preview).toEqual({ quantumCount: '2', tokens: '2000', volume: '1572864', problems: [] });
    const closed = await app.call('channels.closeLocal', { channelId: 'local-1', volume: '1572864' });
    expect(closed.state).toBe('closed');
    expect(closed.settlement).toEqual({ quantumCount: '2', tokens: '2000', volume: '1572864' });
    const [a] = await app.call('addresses.list', { identityId: alice.id });
    expect(a).toMatchObject({
      amount: '9000',
      limitAmount: '9000',
      quantumVolume: String(2 * 2 ** 20),
      volume: '1572864',
    });
    const [b] = await app.call('addresses.list', { identityId: bob.id });
    expect(b).toMatchObject({ amount: '2000' });
    const bobChannels = await app.call('channels.list', { identityId: bob.id });
    expect(bobChannels[0]).toMatchObject({ channelId: 'local-1', role: 'payee', state: 'closed' });
  });

  it('co-signs a channel through offer and receipt files', async () => {
    const { alice, bob, spend, income } = await pair();
    const draft = {
      channelId: 'offer-1',
      fromAddress: spend.address,
      toAddress: income.address,
      priceTokens: '950',
      pricePower: 20,
      plannedQuantumCount: '4',
    };
    const offer = await app.call('channels.createOffer', {
      identityId: alice.id,
      counterpartyPK: bob.publicPem,
      draft,
      role: 'payer',
    });
    expect(offer.fileName).toBe('offer-offer-1-unsigned.json');
    // Recorded as pending until the tracker has it.
    expect(
      (await app.call('channels.list', { identityId: alice.id })).find((c) => c.channelId === 'offer-1'),
    ).toMatchObject({
      state: 'unknown',
      counterpartyIdentityId: bob.id,
    });
    const review = await app.call('channels.reviewFile', { content: offer.content });
    expect(review).toMatchObject({
      kind: 'open',
      fromSignature: 'valid',
      toSignature: 'missing',
      signableBy: bob.id,
      complete: false,
      reservation: '3800',
      problems: [],
    });
    await expect(app.call('channels.submitFile', { content: offer.content })).rejects.toMatchObject({
      code: 'INCOMPLETE_FILE',
    });

    // Tampered: the price changed after signing.
    const tampered = offer.content.replace('\\"priceTokens\\":\\"950\\"', '\\"priceTokens\\":\\"1\\"');
    expect(tampered).not.toBe(offer.content);
    const bad = await app.call('channels.reviewFile', { content: tampered });
    expect(bad.fromSignature).toBe('invalid');
    await expect(
      app.call('channels.countersign', { content: tampered, identityId: bob.id }),
    ).rejects.toMatchObject({ code: 'BAD_FILE' });
    // Not a file at all, and a file signed for someone else.
    await expect(app.call('channels.reviewFile', { content: '{"hello": 1}' })).rejects.toMatchObject({
      code: 'BAD_FILE',
    });
    const carol = await app.call('identities.create', { name: 'Carol', passphrase: PASS });
    await expect(
      app.call('channels.countersign', { content: offer.content, identityId: carol.id }),
    ).rejects.toMatchObject({
      code: 'NOT_A_PARTY',
    });
    await app.call('identities.delete', { id: carol.id, confirmName: carol.name });

    const signed = await app.call('channels.countersign', { content: offer.content, identityId: bob.id });
    expect((await app.call('channels.reviewFile', { content: signed.content })).complete).toBe(true);
    const opened = await app.call('channels.submitFile', { content: signed.content });
    expect(opened).toMatchObject({ channelId: 'offer-1', state: 'open' });
    // Submitting the same offer again is idempotent on the tracker.
    await expect(app.call('channels.submitFile', { content: signed.content })).resolves.toMatchObject({
      state: 'open',
    });

    const receipt = await app.call('channels.createReceipt', {
      identityId: bob.id,
      channelId: 'offer-1',
      volume: '1048576',
    });
    const r = await app.call('channels.reviewFile', { content: receipt.content });
    expect(r).toMatchObject({
      kind: 'close',
      toSignature: 'valid',
      fromSignature: 'missing',
      settlement: { quantumCount: '1', tokens: '950', volume: '1048576' },
    });
    const both = await app.call('channels.countersign', { content: receipt.content, identityId: alice.id });
    const closed = await app.call('channels.submitFile', { content: both.content });
    expect(closed).toMatchObject({ state: 'closed', settlement: { tokens: '950' } });
    const [a] = await app.call('addresses.list', { identityId: alice.id });
    expect(a!.amount).toBe(String(11000 - 950));
  });

  it('refuses an expired file, and one whose expiry was edited', async () => {
    const { alice, bob, spend, income } = await pair();
    const draft = {
      channelId: 'old-1',
      fromAddress: spend.address,
      toAddress: income.address,
      priceTokens: '950',
      pricePower: 20,
      plannedQuantumCount: '1',
    };
    const offer = await app.call('channels.createOffer', {
      identityId: alice.id,
      counterpartyPK: bob.publicPem,
      draft,
      role: 'payer',
    });
    const old = JSON.stringify({ ...JSON.parse(offer.content), expiresAt: Date.now() - 1000 });
    const review = await app.call('channels.reviewFile', { content: old });
    expect(review.problems.map((p) => p.text).join()).toMatch(/expired/);
    await expect(
      app.call('channels.countersign', { content: old, identityId: bob.id }),
    ).rejects.toBeInstanceOf(ApiCallError);
    // The expiry is signed by the file's author: pushing it later breaks the file.
    const extended = JSON.stringify({ ...JSON.parse(offer.content), expiresAt: Date.now() + 86_400_000 });
    await expect(
      app.call('channels.countersign', { content: extended, identityId: bob.id }),
    ).rejects.toMatchObject({ code: 'BAD_FILE', message: expect.stringMatching(/altered/) });
  });

  it('shows the tracker’s refusal with its code', async () => {
    const { alice, income } = await pair();
    await expect(
      app.call('addresses.close', { identityId: alice.id, address: income.address }),
    ).rejects.toMatchObject({
      code: 'NOT_OWNER',
    });
    await expect(
      app.call('addresses.close', { identityId: alice.id, address: 'not-an-address' }),
    ).rejects.toMatchObject({
      code: 'BAD_ADDRESS',
    });
  });

  it('closes addresses and shows the payout on the common address', async () => {
    const p = await pair();
    await paidChannel(p, `payout-${seq}`, String(3 * 1048576));
    const closedSpend = await app.call('addresses.close', {
      identityId: p.alice.id,
      address: p.spend.address,
    });
    expect(closedSpend).toMatchObject({ status: 'closed', amount: '8000' });
    const closedIncome = await app.call('addresses.close', {
      identityId: p.bob.id,
      address: p.income.address,
    });
    expect(closedIncome).toMatchObject({ status: 'closed', amount: '3000' });
    const common = await app.call('common.state', { identityId: p.bob.id });
    expect(common).toMatchObject({ fact: '3000', plan: '0', profit: '3000' });
  });

  it('syncs the history into the cache and reads it with filters', async () => {
    const p = await pair();
    const bob = p.bob;
    await paidChannel(p, `synced-${seq}`, '1572864');
    await app.call('addresses.close', { identityId: bob.id, address: p.income.address });
    const st = await app.call('history.sync', { identityId: bob.id });
    expect(st.identityId).toBe(bob.id);
    const deadline = Date.now() + 15_000;
    let status = await app.call('history.syncStatus', { identityId: bob.id });
    while ((status.running || status.lastSyncedAt === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await app.call('history.syncStatus', { identityId: bob.id });
    }
    expect(status.error).toBeNull();
    const page = await app.call('history.query', { identityId: bob.id, filter: {}, limit: 100 });
    // open income, open + close transfer, close income, financial
    expect(page.total).toBe(5);
    expect(page.items.every((i) => i.signature === 'valid')).toBe(true);
    const closes = await app.call('history.query', {
      identityId: bob.id,
      filter: { types: [16] },
      limit: 100,
    });
    expect(closes.items.map((i) => i.amount)).toEqual(['2000']);
    const detail = await app.call('history.item', { identityId: bob.id, txId: closes.items[0]!.txId });
    expect(detail.parent?.txType).toBe(8);
    const csv = await app.call('history.exportCsv', { identityId: bob.id, filter: {} });
    expect(csv.rows).toBe(5);
    expect(readFileSync(csv.path, 'utf8').trim().split('\n')).toHaveLength(6);
  });
});
