/**
 * Labels: the store (its own SQLite file), JSON lines in and out (BIP-329 shape), the all-or-nothing
 * import, and searching the history cache by label (attached labels file, FTS5).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LabelStore, labelWordsQuery } from '../../electron/services/labels/label-store';
import { labelsToJsonl, parseLabelLines } from '../../electron/services/labels/label-lines';
import { Labels } from '../../electron/services/labels/service';
import { ApiEvents } from '../../electron/services/api/backend';
import { HistoryCache } from '../../electron/services/history/cache';
import { CacheDb, SCHEMA_VERSION } from '../../electron/services/history/cache-db';
import { filterSql, matchingQuery, TX_COLUMNS } from '../../electron/services/history/filter-sql';
import type { Label } from '../../shared/api/labels';

const dir = mkdtempSync(join(tmpdir(), 'wt-labels-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = (name = 'labels') => join(dir, `${name}-${++n}.sqlite`);

const TX = 'rUMyljclu4Rn-dattVnfNfRxZzfPE-GAJs6eDg==';
const ADDR = '0x0dE7ZvUJS7d71iR-xfDbqn6hYbxV6mqVnrviEVqQ==';

function labelsApi(path = fresh()): { store: LabelStore; labels: Labels; events: unknown[] } {
  const store = new LabelStore(path);
  const events: unknown[] = [];
  const api = new ApiEvents();
  api.on('labels.changed', (p) => events.push(p));
  return { store, labels: new Labels(store, api), events };
}

describe('label store', () => {
  it('sets, replaces, clears and lists labels, keyed by type and ref', () => {
    const { store, labels, events } = labelsApi();
    expect(labels.set({ type: 'tx', ref: TX, label: '  Rent for March  ' })).toEqual({
      type: 'tx',
      ref: TX,
      label: 'Rent for March',
    });
    labels.set({ type: 'addr', ref: ADDR, label: 'Main income' });
    labels.set({ type: 'channel', ref: 'ch-1', label: 'Stream with Bob' });
    labels.set({ type: 'addr', ref: TX, label: 'same ref, other type' });
    labels.set({ type: 'tx', ref: TX, label: 'Rent, April' });
    expect(store.get('tx', TX)).toBe('Rent, April');
    expect(labels.list({ type: 'addr' }).map((l) => l.ref)).toEqual([ADDR, TX]);
    expect(labels.list({ refs: [TX] }).map((l) => l.type)).toEqual(['addr', 'tx']);
    expect(labels.list({}).map((l) => l.type)).toEqual(['addr', 'addr', 'channel', 'tx']);
    expect(labels.clear('addr', TX)).toBe(true);
    expect(labels.clear('addr', TX)).toBe(false);
    expect(store.count()).toBe(3);
    // One event per change, with the count after it.
    expect(events).toEqual([
      { count: 1 },
      { count: 2 },
      { count: 3 },
      { count: 4 },
      { count: 4 },
      { count: 3 },
    ]);
    store.close();
  });

  it('refuses empty, multi-line or over-long labels and refs with control characters, changing nothing', () => {
    const { store, labels } = labelsApi();
    labels.set({ type: 'tx', ref: TX, label: 'kept' });
    for (const bad of [
      { type: 'tx', ref: TX, label: '   ' },
      { type: 'tx', ref: TX, label: 'two\nlines' },
      { type: 'tx', ref: TX, label: 'x'.repeat(256) },
      { type: 'tx', ref: 'a\u0000b', label: 'ok' },
      { type: 'tx', ref: '', label: 'ok' },
      { type: 'pubkey', ref: TX, label: 'ok' },
    ]) {
      expect(() => labels.set(bad as Label), JSON.stringify(bad)).toThrow();
    }
    expect(labels.set({ type: 'tx', ref: TX, label: 'Ж'.repeat(255) }).label).toHaveLength(255);
    expect(labels.all()).toHaveLength(1);
    store.close();
  });

  it('replaceAll (a wallet restore) makes the labels exactly the given ones', () => {
    const { store, labels } = labelsApi();
    labels.set({ type: 'tx', ref: 'a', label: 'old' });
    labels.set({ type: 'tx', ref: 'b', label: 'gone' });
    const restored: Label[] = [
      { type: 'tx', ref: 'a', label: 'new' },
      { type: 'channel', ref: 'ch-9', label: 'restored' },
    ];
    labels.replaceAll(restored);
    expect(labels.all()).toEqual([restored[1], restored[0]]);
    expect(() => labels.replaceAll([{ type: 'tx', ref: 'c', label: '' }])).toThrow();
    expect(labels.all()).toHaveLength(2);
    store.close();
  });

  it('keeps labels across a restart, and refuses a labels file of a newer layout', () => {
    const path = fresh();
    const { store, labels } = labelsApi(path);
    labels.set({ type: 'addr', ref: ADDR, label: 'Savings' });
    store.close();
    const again = new LabelStore(path);
    expect(again.get('addr', ADDR)).toBe('Savings');
    again.close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new LabelStore(path)).toThrow(/newer version/);
  });
});

describe('labels as JSON lines (BIP-329)', () => {
  it('round-trips: what is exported imports to the same labels', () => {
    const { store, labels } = labelsApi();
    labels.set({ type: 'tx', ref: TX, label: 'Оплата хостинга "Север"' });
    labels.set({ type: 'addr', ref: ADDR, label: 'Main income' });
    labels.set({ type: 'channel', ref: 'ch-1', label: 'Stream \\ with Bob' });
    const file = labels.exportFile(new Date(Date.UTC(2025, 5, 1)));
    expect(file.fileName).toBe('wallet-tracker-labels-2025-06-01.jsonl');
    const lines = file.content.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toEqual({ type: 'addr', ref: ADDR, label: 'Main income' });

    const other = labelsApi();
    expect(other.labels.importFile(file.content)).toEqual({
      applied: true,
      added: 3,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      badLines: 0,
      problems: [],
    });
    expect(other.labels.all()).toEqual(labels.all());
    // Importing the same file again changes nothing.
    expect(other.labels.importFile(file.content)).toMatchObject({ applied: true, added: 0, unchanged: 3 });
    store.close();
    other.store.close();
  });

  it("merges a good file: later lines win, labels the file does not name stay, other wallets' types are skipped", () => {
    const { store, labels, events } = labelsApi();
    labels.set({ type: 'tx', ref: 'kept', label: 'untouched' });
    labels.set({ type: 'tx', ref: 'a', label: 'before' });
    const text = [
      '\uFEFF{"type":"tx","ref":"a","label":"first"}',
      '',
      '{"type":"xpub","ref":"xpub661MyMwAqRbcF","label":"Wallet"}',
      '{"type":"output","ref":"f91d…:0","label":"coin","spendable":false}',
      '{"type":"tx","ref":"a","label":"second","origin":"wpkh([d34db33f/84\'/0\'/0\'])"}',
      '{"type":"channel","ref":"ch-2","label":"new"}',
      '',
    ].join('\r\n');
    const r = labels.importFile(text);
    expect(r).toEqual({
      applied: true,
      added: 1,
      updated: 1,
      unchanged: 0,
      skipped: 3,
      badLines: 0,
      problems: [],
    });
    expect(store.get('tx', 'a')).toBe('second');
    expect(store.get('tx', 'kept')).toBe('untouched');
    expect(store.get('channel', 'ch-2')).toBe('new');
    expect(events.at(-1)).toEqual({ count: 3 });
    store.close();
  });

  it('refuses a file with any bad line, changing nothing, and names each bad line and why', () => {
    const { store, labels, events } = labelsApi();
    labels.set({ type: 'tx', ref: 'a', label: 'before' });
    const changes = events.length;
    const text = [
      '{"type":"tx","ref":"a","label":"would change"}', // 1 fine
      '{"type":"tx","ref":"b","label":"would add"}', // 2 fine
      'not json', // 3
      '["tx","c","array"]', // 4
      '{"type":"contact","ref":"c","label":"unknown type"}', // 5
      '{"type":"tx","label":"no ref"}', // 6
      '{"type":"addr","ref":"c","label":""}', // 7
      '{"type":"addr","ref":"c","label":"two\\nlines"}', // 8
      `{"type":"tx","ref":"d","label":"${'x'.repeat(5000)}"}`, // 9
      '{"type":"tx","ref":" padded ","label":"x"}', // 10
      '{"type":"tx","ref":"e"}', // 11
    ].join('\n');
    const r = labels.importFile(text);
    expect(r.applied).toBe(false);
    expect(r).toMatchObject({ added: 0, updated: 0, badLines: 9 });
    expect(r.problems).toEqual([
      { line: 3, code: 'json' },
      { line: 4, code: 'object' },
      { line: 5, code: 'type' },
      { line: 6, code: 'ref' },
      { line: 7, code: 'label' },
      { line: 8, code: 'label' },
      { line: 9, code: 'tooLong' },
      { line: 10, code: 'ref' },
      { line: 11, code: 'label' },
    ]);
    expect(store.get('tx', 'a')).toBe('before');
    expect(store.get('tx', 'b')).toBeNull();
    expect(events).toHaveLength(changes);
    // Many bad lines: all counted, the first 50 listed.
    const many = labels.importFile(Array.from({ length: 120 }, () => 'x').join('\n'));
    expect(many).toMatchObject({ applied: false, badLines: 120 });
    expect(many.problems).toHaveLength(50);
    store.close();
  });

  it('writes one object per line in the BIP-329 field order', () => {
    expect(labelsToJsonl([{ type: 'tx', ref: 'r', label: 'l' }])).toBe(
      '{"type":"tx","ref":"r","label":"l"}\n',
    );
    expect(labelsToJsonl([])).toBe('');
    expect(parseLabelLines('')).toEqual({ labels: [], skipped: 0, badLines: 0, problems: [] });
  });
});

describe('searching the history cache by label', () => {
  const base = {
    parent_tx_id: '',
    tx_type: 16,
    quantum_count: 1,
    price_amount: 1000,
    price_quantum_power: 20,
    planned_quantum_count: 10,
    timelock: 0,
    status: 1,
    version: '1',
    pk: '-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n',
    sign: 'x',
  };
  const item = (i: number, from: string, to: string, contract = '') => ({
    raw: {
      ...base,
      tx_id: `tx-${i}`,
      from,
      to,
      amount: i,
      volume: i,
      contract_id: contract,
      timestamp: 1_700_000_000_000 + i,
    },
    signature: 'unverifiable' as const,
  });

  it('finds items by their own label, their channel’s or their addresses’, any case and diacritics', () => {
    const { store, labels } = labelsApi();
    const cache = new HistoryCache(fresh('cache'), { labelsPath: store.path });
    store.onChange(() => cache.labelsChanged());
    cache.transactions.insertItems('s', [
      item(1, '0x0cSPEND', '0x0dINCOME', 'ch-a'),
      item(2, '0x0cSPEND', '0x0dOTHER', 'ch-b'),
      item(3, '0x0cELSE', '0x0dOTHER'),
      item(4, '0x0cELSE', '0x0bCOMMON'),
    ]);
    const ids = (search: string) =>
      cache.transactions
        .query('s', { filter: { search } })
        .items.map((i) => i.txId)
        .sort();
    expect(ids('rent')).toEqual([]);
    labels.set({ type: 'tx', ref: 'tx-3', label: 'Rent for March' });
    labels.set({ type: 'addr', ref: '0x0dINCOME', label: 'Café Ёлка' });
    labels.set({ type: 'channel', ref: 'ch-b', label: 'Stream with Bob' });
    expect(ids('rent')).toEqual(['tx-3']);
    expect(ids('RENT MAR')).toEqual(['tx-3']); // every word, each also as a beginning
    expect(ids('rent april')).toEqual([]);
    expect(ids('cafe')).toEqual(['tx-1']);
    expect(ids('ёлка')).toEqual(['tx-1']);
    expect(ids('елка')).toEqual(['tx-1']);
    expect(ids('bob')).toEqual(['tx-2']);
    expect(ids('"bob')).toEqual(['tx-2']); // quotes are not FTS syntax here
    expect(ids('-')).toEqual([]);
    // Counts follow label changes.
    expect(cache.transactions.count('s', { search: 'stream' })).toBe(1);
    labels.set({ type: 'tx', ref: 'tx-4', label: 'Stream payout' });
    expect(cache.transactions.count('s', { search: 'stream' })).toBe(2);
    expect(cache.transactions.query('s', { filter: { search: 'stream' } }).total).toBe(2);
    // Combined with other filters.
    expect(cache.transactions.count('s', { search: 'stream', address: '0x0cELSE' })).toBe(1);
    expect(cache.transactions.count('s', { search: 'stream', types: [8] })).toBe(0);
    // Items carry their labels.
    const one = cache.transactions.item('s', 'tx-1').item!;
    expect(one.labels).toEqual({ to: 'Café Ёлка' });
    expect(cache.transactions.item('s', 'tx-2').item!.labels).toEqual({ channel: 'Stream with Bob' });
    expect(cache.transactions.item('s', 'tx-3').item!.labels).toEqual({ tx: 'Rent for March' });
    expect(cache.transactions.item('s', 'tx-4').item!.labels).toEqual({ tx: 'Stream payout' });
    labels.clear('tx', 'tx-4');
    expect(cache.transactions.item('s', 'tx-4').item!.labels).toBeUndefined();
    cache.close();
    store.close();
  });

  it('defect: a page of a label search looks the labelled ids up in their indexes, not a walk of every row', () => {
    const { store, labels } = labelsApi();
    labels.set({ type: 'tx', ref: 'tx-1', label: 'Rent' });
    const db = new CacheDb(fresh('cache'), { labelsPath: store.path });
    const scopeId = db.scopeId('s', true);
    const q = matchingQuery(TX_COLUMNS, scopeId, filterSql(db, { search: 'rent' }), null, 100);
    const plan = (db.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.params) as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');
    // No walk of every row in page order (tx_page by scope alone) testing each against the labels.
    expect(plan).not.toMatch(/SCAN tx\b/);
    expect(plan).not.toMatch(/INDEX tx_page \(scope_id=\?\)/);
    expect(plan).toMatch(/SEARCH tx USING (COVERING )?INDEX tx_by_id/);
    expect(plan).toMatch(/SEARCH tx USING (COVERING )?INDEX tx_by_contract/);
    db.close();
    store.close();
  });

  it('an older cache layout is dropped and fetched again; the labels file is untouched', () => {
    const { store, labels } = labelsApi();
    labels.set({ type: 'tx', ref: 'tx-1', label: 'precious' });
    const path = fresh('cache');
    const old = new Database(path);
    old.exec(`CREATE TABLE tx (seq INTEGER PRIMARY KEY, raw TEXT); INSERT INTO tx (raw) VALUES ('{}');`);
    old.pragma('user_version = 2');
    old.close();
    const cache = new HistoryCache(path, { labelsPath: store.path });
    expect(cache.transactions.count('s')).toBe(0);
    cache.transactions.insertItems('s', [item(1, '0x0cA', '0x0dB')]);
    expect(cache.transactions.query('s', { filter: { search: 'precious' } }).items).toHaveLength(1);
    cache.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
    expect(store.get('tx', 'tx-1')).toBe('precious');
    store.close();
  });

  it('builds safe FTS queries from what the user typed', () => {
    expect(labelWordsQuery('rent  March')).toBe('"rent"* "March"*');
    expect(labelWordsQuery('say "hi"')).toBe('"say"* """hi"""*');
    expect(labelWordsQuery('Ёлка')).toBe('"Елка"*');
    expect(labelWordsQuery('- * :')).toBeNull();
    expect(labelWordsQuery('')).toBeNull();
  });
});
