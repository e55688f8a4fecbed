/**
 * Labels through the API of a real app backend (embedded tracker, real cache and labels files):
 * label a synced transaction, its channel and an address, find them by label in the history, move
 * the labels to another data folder as JSON lines, and keep them when the cache is rebuilt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startApp, until, type TestApp } from '../helpers/backend';
import type { IdentityInfo } from '../../shared/api/models';

const PASS = 'correct horse battery';

describe('labels over a real history cache', () => {
  let app: TestApp;
  let bob: IdentityInfo;
  let income: string;
  const channelId = 'ch-labels-1';

  async function synced(a: TestApp, identityId: string): Promise<void> {
    const before = (await a.call('history.syncStatus', { identityId })).lastSyncedAt;
    await a.call('history.sync', { identityId });
    await until(
      () => a.call('history.syncStatus', { identityId }),
      (s) => !s.running && s.lastSyncedAt !== null && s.lastSyncedAt !== before,
    );
  }

  async function search(a: TestApp, text: string) {
    return a.call('history.query', { identityId: bob.id, filter: { search: text }, limit: 100 });
  }

  beforeAll(async () => {
    app = await startApp();
    const alice = await app.call('identities.create', { name: 'Alice', passphrase: PASS });
    bob = await app.call('identities.create', { name: 'Bob', passphrase: PASS });
    const embedded = (await app.call('trackers.list', {})).find((t) => t.embedded)!;
    await app.call('trackers.connect', { profileId: embedded.id, identityId: bob.id });
    const spend = await app.call('addresses.open', { identityId: alice.id, kind: 'spend' });
    income = (await app.call('addresses.open', { identityId: bob.id, kind: 'income' })).address;
    await app.call('channels.openLocal', {
      payerId: alice.id,
      payeeId: bob.id,
      draft: {
        channelId,
        fromAddress: spend.address,
        toAddress: income,
        priceTokens: '1000',
        pricePower: 20,
        plannedQuantumCount: '10',
      },
    });
    await app.call('channels.closeLocal', { channelId, volume: '1048576' });
    await synced(app, bob.id);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('finds transactions by the label of the transaction, its channel or its address', async () => {
    const all = await app.call('history.query', { identityId: bob.id, filter: {}, limit: 100 });
    const close = all.items.find((i) => i.txType === 16)!;
    const open = all.items.find((i) => i.txType === 8)!;
    expect((await search(app, 'invoice')).total).toBe(0);

    await app.call('labels.set', { type: 'tx', ref: close.txId, label: 'Invoice 42 — settled' });
    await app.call('labels.set', { type: 'channel', ref: channelId, label: 'Трансляция матча' });
    await app.call('labels.set', { type: 'addr', ref: income, label: 'Main income' });

    const invoice = await search(app, 'invoice 42');
    expect(invoice.items.map((i) => i.txId)).toEqual([close.txId]);
    expect(invoice.items[0]!.labels).toMatchObject({
      tx: 'Invoice 42 — settled',
      channel: 'Трансляция матча',
    });
    expect((await search(app, 'трансляция')).items.map((i) => i.txId).sort()).toEqual(
      [open.txId, close.txId].sort(),
    );
    // The income address's label finds every item it is in (open income, the channel, ...).
    const byAddress = await search(app, 'main income');
    const withAddress = all.items.filter((i) => i.from === income || i.to === income);
    expect(byAddress.total).toBe(withAddress.length);
    expect(
      byAddress.items.every((i) => i.labels?.from === 'Main income' || i.labels?.to === 'Main income'),
    ).toBe(true);
    // By id and address too, from their beginning.
    expect((await search(app, close.txId.slice(0, 12))).items.map((i) => i.txId)).toContain(close.txId);
    expect((await search(app, income.slice(0, 14))).total).toBe(withAddress.length);

    // A cleared label is no longer found; counts follow.
    expect(await app.call('labels.clear', { type: 'tx', ref: close.txId })).toEqual({ cleared: true });
    expect((await search(app, 'invoice')).total).toBe(0);
    expect(await app.call('labels.list', { type: 'channel' })).toEqual([
      { type: 'channel', ref: channelId, label: 'Трансляция матча' },
    ]);
  });

  it('exports the labels as JSON lines that another wallet imports; a bad file changes nothing', async () => {
    const file = await app.call('labels.export', {});
    expect(file.fileName).toMatch(/^wallet-tracker-labels-\d{4}-\d{2}-\d{2}\.jsonl$/);
    const lines = file.content
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type).sort()).toEqual(['addr', 'channel']);

    const other = await startApp();
    try {
      const bad = await other.call('labels.import', { content: `${file.content}{"type":"tx"}\n` });
      expect(bad).toMatchObject({ applied: false, badLines: 1, problems: [{ line: 3, code: 'ref' }] });
      expect(await other.call('labels.list', {})).toEqual([]);
      const good = await other.call('labels.import', { content: file.content });
      expect(good).toMatchObject({ applied: true, added: 2, badLines: 0 });
      expect(await other.call('labels.list', {})).toEqual(await app.call('labels.list', {}));
    } finally {
      await other.close();
    }
  });

  it('keeps labels when the cache is dropped for a new layout, and finds the refetched items by them', async () => {
    await app.call('labels.set', { type: 'addr', ref: income, label: 'Main income' });
    const dataDir = app.dataDir;
    await app.close();
    // An older layout: the app drops the cache and fetches the history again.
    const db = new Database(join(dataDir, 'cache.sqlite'));
    db.pragma('user_version = 2');
    db.close();
    app = await startApp({ dataDir });
    await app.call('identities.unlock', { id: bob.id, passphrase: PASS });
    const embedded = (await app.call('trackers.list', {})).find((t) => t.embedded)!;
    await app.call('trackers.connect', { profileId: embedded.id, identityId: bob.id });
    await synced(app, bob.id);
    expect(await app.call('labels.list', { type: 'addr' })).toEqual([
      { type: 'addr', ref: income, label: 'Main income' },
    ]);
    expect((await search(app, 'main income')).total).toBeGreaterThan(0);
  });

  it('refuses bad labels at the API boundary with a clear error, changing nothing', async () => {
    const before = await app.call('labels.list', {});
    const bad: unknown[] = [
      { type: 'utxo', ref: 'x', label: 'unknown type' },
      { type: 'tx', ref: '', label: 'empty ref' },
      { type: 'tx', ref: 'abc', label: '   ' },
      { type: 'tx', ref: 'abc', label: 'x'.repeat(256) },
      { type: 'tx', ref: 'abc', label: 'two\nlines' },
      { type: 'tx', ref: 'r'.repeat(257), label: 'long ref' },
    ];
    for (const args of bad) {
      await expect(app.call('labels.set', args as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(app.call('labels.import', { content: 'x'.repeat(512 * 1024 + 1) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const unknown = await app.call('labels.import', { content: '{"type":"utxo","ref":"a","label":"b"}\n' });
    expect(unknown).toMatchObject({ applied: false, problems: [{ line: 1, code: 'type' }] });
    expect(await app.call('labels.list', {})).toEqual(before);
    // The largest label is accepted, trimmed.
    const max = await app.call('labels.set', { type: 'tx', ref: 'abc', label: ` ${'я'.repeat(255)} ` });
    expect(max.label).toBe('я'.repeat(255));
    await app.call('labels.clear', { type: 'tx', ref: 'abc' });
  });

  it('a new data folder starts with an empty labels file of its own, owner-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wt-labels-fresh-'));
    const fresh = await startApp({ dataDir: dir });
    try {
      expect(await fresh.call('labels.list', {})).toEqual([]);
      expect(statSync(join(dir, 'labels.sqlite')).mode & 0o777).toBe(0o600);
    } finally {
      await fresh.close();
    }
  });
});
