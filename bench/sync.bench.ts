/**
 * History sync end to end, as the app runs it: TrackerSession + TrackerClient (verified responses)
 * paging a real tracker's history into the HistoryCache with HistorySync (item signatures checked).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startLedger } from '../tests/helpers/ledger-process';
import { RawClient, TestPeer, resultOf } from '../tests/helpers/raw-client';
import { TrackerSession } from '../electron/services/tracker/session';
import { TrackerClient } from '../electron/services/tracker/commands';
import { HistoryCache } from '../electron/services/history/cache';
import { HistorySync } from '../electron/services/history/sync';

export async function benchHistorySync(
  opts: { transactions?: number } = {},
): Promise<Record<string, string | number>> {
  const n = opts.transactions ?? 5000;
  // The tracker fsyncs every command: on tmpfs the setup takes seconds instead of a minute.
  const ledgerDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wt-sync-bench-'));
  const ledger = await startLedger({
    dir: ledgerDir,
    args: ['--quiet'],
    env: { TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000' },
  });
  const cache = new HistoryCache(join(mkdtempSync(join(tmpdir(), 'wt-sync-cache-')), 'cache.sqlite'));
  const peer = new TestPeer();
  const session = new TrackerSession({ url: ledger.url, signer: peer, pinnedKey: null });
  try {
    const raw = await RawClient.connect(ledger.url);
    const payload = peer.pemPayload();
    for (let done = 0; done < n;) {
      const wave = Math.min(250, n - done);
      const frames = await Promise.all(Array.from({ length: wave }, () => raw.request(2, payload)));
      frames.forEach((f) => resultOf(f));
      done += wave;
    }
    raw.close();

    session.start();
    await session.waitOnline(10_000);
    const client = new TrackerClient(session);
    const source = {
      trackerPem: session.pinnedKey!,
      first: async (q: { pageSize: number; page: number }) => {
        const r = await client.firstTransactions(peer, q);
        return { meta: r.meta, items: r.items };
      },
      next: async (cursorId: string, page: number) =>
        (await client.nextTransactions(peer, cursorId, page)).items,
      touch: (cursorId: string) => client.touchCursor(peer, cursorId),
    };
    // As the app syncs (HistoryService): pages of 1000, a first page of 100 once complete.
    const sync = new HistorySync(cache, { incrementalPageSize: 100 });
    const t0 = performance.now();
    const full = await sync.sync('bench', 'bench', source);
    const fullMs = performance.now() - t0;
    if (full.error || full.added !== n)
      throw new Error(`full sync: ${full.error ?? `${full.added} of ${n} added`}`);
    const t1 = performance.now();
    const again = await sync.sync('bench', 'bench', source);
    const incrementalMs = performance.now() - t1;
    return {
      'transactions synced (full, from an empty cache)': n,
      'full sync, s': +(fullMs / 1000).toFixed(2),
      'full sync, transactions per s (verified, into the cache)': Math.round((n * 1000) / fullMs),
      'tracker pages read (1000 items each)': full.pages,
      'incremental sync with nothing new, ms': +incrementalMs.toFixed(1),
      'incremental sync pages read': again.pages,
    };
  } finally {
    await session.stop();
    cache.close();
    await ledger.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchHistorySync(), null, 2));
}
