/**
 * History sync with every item signature checked, against the bare better-sqlite3 insert loop of
 * the same items into the same schema, measured in the same run (target: the sync at ≥ 80 % of the
 * bare loop's rate).
 *
 * A real tracker (on tmpfs) holds `transactions` items for one peer. Its pages are read once through
 * TrackerSession + TrackerClient (every page verified with the pinned key), as the app reads them.
 * Then, alternating, `rounds` times, each into a fresh cache file:
 * - bare loop: the same rows, encoded beforehand, inserted with one prepared statement in
 *   transactions of 5000 (what HistorySync's flushItems uses) — SQLite's work alone;
 * - pipelined sync: HistorySync over those pages (parse, encode, signature checks on a worker thread,
 *   inserts), the pages served from memory so that only the sync is timed;
 * - end to end: HistorySync from the tracker through the session (fetching, page verification and
 *   the tracker's own work share the machine's cores with the sync).
 * Medians are reported. Both are measured twice: into an empty cache file, and into one already
 * holding `cached` items of another identity (the size the cache targets are set for, where
 * SQLite's indexes are larger and each insert costs more).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startLedger } from '../tests/helpers/ledger-process';
import { RawClient, TestPeer, resultOf } from '../tests/helpers/raw-client';
import { TrackerSession } from '../electron/services/tracker/session';
import { TrackerClient } from '../electron/services/tracker/commands';
import { HistoryCache } from '../electron/services/history/cache';
import { HistorySync, parseItem, itemVerifier, type HistorySource } from '../electron/services/history/sync';
import { defaultCheckerThreads } from '../electron/services/history/signature-checker';
import { bareInserter, batch, benchAddresses, median } from './history.bench';

const BATCH = 5000;

export async function benchHistorySync(
  opts: { transactions?: number; rounds?: number; cached?: number } = {},
): Promise<Record<string, string | number>> {
  const n = opts.transactions ?? 20_000;
  const rounds = opts.rounds ?? 3;
  const cached = opts.cached ?? 180_000;
  // The tracker fsyncs every command: on tmpfs the setup takes seconds instead of a minute.
  const ledgerDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wt-sync-bench-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'wt-sync-cache-'));
  const ledger = await startLedger({
    dir: ledgerDir,
    args: ['--quiet'],
    env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000' },
  });
  const peer = new TestPeer();
  const session = new TrackerSession({ url: ledger.url, signer: peer, pinnedKey: null });
  let file = 0;
  const fresh = () => join(cacheDir, `cache-${++file}.sqlite`);
  try {
    // Half the items open income addresses (cmd 2), the other half close them (cmd 32): a peer may
    // hold 10,000 open addresses, so up to 20,000 items.
    if (n > 20_000 || n % 2 !== 0) throw new Error('transactions: an even number up to 20,000');
    const raw = await RawClient.connect(ledger.url);
    const payload = peer.pemPayload();
    const opened: string[] = [];
    const waves = async (count: number, request: (i: number) => Promise<unknown>) => {
      for (let done = 0; done < count; done += 250) {
        await Promise.all(Array.from({ length: Math.min(250, count - done) }, (_, k) => request(done + k)));
      }
    };
    await waves(n / 2, async () =>
      opened.push(resultOf<{ address: string }>(await raw.request(2, payload)).address),
    );
    await waves(n / 2, async (i) => resultOf(await raw.request(32, peer.json({ address: opened[i] }))));
    raw.close();

    session.start();
    await session.waitOnline(10_000);
    const client = new TrackerClient(session);
    const live: HistorySource = {
      trackerPem: session.pinnedKey!,
      first: async (q) => {
        const r = await client.firstTransactions(peer, q);
        return { meta: r.meta, items: r.items };
      },
      next: async (cursorId, page) => (await client.nextTransactions(peer, cursorId, page)).items,
      touch: (cursorId) => client.touchCursor(peer, cursorId),
    };

    // Every page once, as the app reads them (pages of 1000).
    const t0 = performance.now();
    const first = await live.first({ pageSize: 1000, page: 1 });
    const pages = [first.items];
    for (let p = 2; p <= first.meta.pageCount; p++) pages.push(await live.next(first.meta.cursorId, p));
    const fetchMs = performance.now() - t0;
    const items = pages.flat();
    if (items.length !== n) throw new Error(`the tracker listed ${items.length} of ${n} items`);
    const memory: HistorySource = {
      trackerPem: live.trackerPem,
      first: async () => ({ meta: first.meta, items: pages[0]! }),
      next: async (_cursor, page) => pages[page - 1] ?? [],
      touch: async () => undefined,
    };
    const rate = (ms: number) => Math.round((n * 1000) / ms);
    const verifier = itemVerifier(live.trackerPem);
    const rows = items.map((it) => parseItem(it, verifier)!);
    if (rows.some((r) => r.signature !== 'valid')) throw new Error('an item signature does not verify');

    // A cache file holding `cached` items of another scope, copied for each run.
    const base = fresh();
    const others = new HistoryCache(base);
    const addresses = benchAddresses(400);
    for (let b = 0; b * BATCH < cached; b++) {
      others.transactions.insertItems('others', batch(b, Math.min(BATCH, cached - b * BATCH), addresses));
    }
    others.close();
    const fileFor = (prefilled: boolean): string => {
      const path = fresh();
      if (prefilled) copyFileSync(base, path);
      else new HistoryCache(path).close();
      return path;
    };

    const drop = (path: string) => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    };
    const sync = async (path: string, source: HistorySource): Promise<number> => {
      const cache = new HistoryCache(path);
      const syncer = new HistorySync(cache);
      try {
        const started = performance.now();
        const r = await syncer.sync('bench', 'bench', source);
        const ms = performance.now() - started;
        if (r.error || r.added !== n || r.invalid || r.unverifiable) {
          throw new Error(`sync: ${r.error ?? `${r.added} of ${n} added, ${r.invalid} invalid`}`);
        }
        return ms;
      } finally {
        await syncer.close();
        cache.close();
        drop(path);
      }
    };
    const results: Record<string, string | number> = {
      'transactions synced (full, from nothing cached for the identity)': n,
      'cores / signature worker threads': `${availableParallelism()} / ${defaultCheckerThreads()}`,
      'reading the pages alone (session, verified pages of 1000), items/s': rate(fetchMs),
    };
    for (const prefilled of [false, true]) {
      const bareMs: number[] = [];
      const pipelineMs: number[] = [];
      const endToEndMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const barePath = fileFor(prefilled);
        const bare = bareInserter(barePath);
        for (let i = 0; i < rows.length; i += BATCH) bare.insert(rows.slice(i, i + BATCH));
        bare.close();
        drop(barePath);
        bareMs.push(bare.ms);
        pipelineMs.push(await sync(fileFor(prefilled), memory));
        endToEndMs.push(await sync(fileFor(prefilled), live));
      }
      const where = prefilled
        ? `into a cache of ${cached.toLocaleString('en')} items`
        : 'into an empty cache';
      const bare = median(bareMs);
      const pipelined = median(pipelineMs);
      const endToEnd = median(endToEndMs);
      results[`${where}: bare better-sqlite3 insert loop, items/s`] = rate(bare);
      results[`${where}: sync, pages from memory (parse, check signatures, store), items/s`] =
        rate(pipelined);
      results[`${where}: sync vs bare loop (target ≥ 80 %)`] = `${Math.round((bare / pipelined) * 100)} %`;
      results[`${where}: sync from the tracker end to end, items/s`] = rate(endToEnd);
      results[`${where}: end to end vs bare loop`] = `${Math.round((bare / endToEnd) * 100)} %`;
      results[`${where}: rounds, ms (bare / sync / end to end)`] = bareMs
        .map((x, i) => `${x.toFixed(0)}/${pipelineMs[i]!.toFixed(0)}/${endToEndMs[i]!.toFixed(0)}`)
        .join(', ');
    }

    // Incremental, as the app syncs every refresh period: pages of 1000, a first page of 100 once complete.
    const cache = new HistoryCache(fresh());
    const app = new HistorySync(cache, { incrementalPageSize: 100 });
    await app.sync('bench', 'bench', live);
    const t1 = performance.now();
    const again = await app.sync('bench', 'bench', live);
    const incrementalMs = performance.now() - t1;
    await app.close();
    cache.close();

    results['incremental sync with nothing new, ms'] = +incrementalMs.toFixed(1);
    results['incremental sync pages read'] = again.pages;
    return results;
  } finally {
    await session.stop();
    await ledger.stop();
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(ledgerDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const transactions = Number(process.argv[2] ?? 20_000);
  console.log(await benchHistorySync({ transactions }));
}
