/**
 * `npm run bench`: every benchmark of the project, written to docs/benchmarks.md with the machine
 * and the date. Targets are stated beside the numbers; no test depends on them.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';

type Results = Record<string, string | number>;

interface Section {
  title: string;
  target: string;
  /** How to read the numbers: what limits them. */
  note?: string;
  run(): Promise<Results>;
}

const sections: Section[] = [
  {
    title: 'Tracker: signed commands per second on loopback',
    target:
      'with 16 clients, state reads ≥ 75 % of the all-core crypto floor (one RSA-2048 sign + verify per ' +
      'read); transfer opens and closes ≥ 50 % of the all-core floor for their crypto (one sign + two verify)',
    note:
      'The floor is every core signing and verifying in worker threads, nothing else; it is measured before each ' +
      'load run and the ratios are medians of the alternations (each listed). The tracker runs its RSA work on ' +
      'one worker per core; its main thread parses frames, runs SQLite (one writer, group commit, one fsync per ' +
      'group) and writes the sockets, on the same cores, beside the benchmark client. A transfer command also ' +
      'writes a history item, signed after the commit in the background (when no answer waits for the workers); ' +
      'each run waits for those before the next floor, and the CPU per command includes them. The CPU lines say where the rest goes (from /proc, so they hold on a busy machine too): a ' +
      "command's tracker CPU minus its RSA is frame parsing, SQLite, messages between threads, garbage " +
      "collection and socket writes; the bench client's share of the same cores is listed too.",
    run: async () => (await import('./ledger.bench')).benchLedger(),
  },
  {
    title: 'Tracker on PostgreSQL: 1, 2 and 3 nodes beside SQLite',
    target:
      'no target: state reads and transfer opens per second with 16 clients spread over the nodes, and the ' +
      'database time per command that bounds how many nodes one PostgreSQL primary can serve',
    note:
      'One throwaway PostgreSQL cluster on this machine (fsync on, pg_stat_statements), a fresh database per ' +
      'setup; the floor as above, alternating with the loads (medians of 3). Here the nodes, the database ' +
      'server and the client share the same cores, so adding nodes adds no CPU: throughput falls as the cores ' +
      'are split between more processes, which is what limits these figures (the CPU lines say where it goes). ' +
      'What a real scale-out would reach is bounded by the database: its execution time per command (every ' +
      'statement, COMMIT and the item-signature UPDATEs included) gives the commands one server core takes per ' +
      'second, and the part of an open spent holding the history order (tx_counter, from its first transaction ' +
      'row to COMMIT; those stretches follow one another across all nodes) bounds the opens per second of one ' +
      'database whatever the cores. Reads hold no lock and scale with nodes and database cores.',
    run: async () => (await import('./ledger-nodes.bench')).benchLedgerNodes(),
  },
  {
    title: 'History cache: sync throughput, page reads, memory',
    target: 'a cached page read < 5 ms at offset 0 and at 100,000 with 200,000 cached items',
    run: async () => (await import('./history.bench')).benchHistory(),
  },
  {
    title: 'History sync from a tracker, as the app runs it',
    target: 'no target: compare with the cache insert rate and the bare better-sqlite3 loop above',
    note:
      'TrackerSession + TrackerClient (every page verified with the pinned key) feeding HistorySync ' +
      '(every item signature verified) into the HistoryCache; the tracker on tmpfs.',
    run: async () => (await import('./sync.bench')).benchHistorySync(),
  },
  {
    title: 'API round trip of a state read through each transport',
    target: 'no target: the app layers beside the bare WebSocket round trip',
    run: async () => (await import('./transport.bench')).benchTransports(),
  },
  {
    title: 'Renderer in Chromium: history scrolling, load to interactive, heap',
    target: 'p95 frame time ≤ 16.7 ms while scrolling 200,000 rows',
    note:
      'Headless Chromium draws at 60 Hz, so 16.7 ms is the floor of a frame; “main thread busy per ' +
      'frame” shows the headroom left.',
    run: async () => (await import('./renderer.bench')).benchRenderer(),
  },
];

function table(r: Results): string {
  return ['| measure | value |', '|---|---|', ...Object.entries(r).map(([k, v]) => `| ${k} | ${v} |`)].join(
    '\n',
  );
}

const only = process.argv.slice(2);
const out: string[] = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}.`,
  '',
];
let failed = 0;
for (const s of sections) {
  if (only.length && !only.some((o) => s.title.toLowerCase().includes(o.toLowerCase()))) continue;
  process.stdout.write(`\n== ${s.title}\n`);
  out.push(`## ${s.title}`, '', `Target: ${s.target}.`, '');
  if (s.note) out.push(s.note, '');
  try {
    const r = await s.run();
    console.log(r);
    out.push(table(r), '');
  } catch (e) {
    failed++;
    console.error(`   failed: ${(e as Error).message}`);
    out.push(`Not measured in this run: ${(e as Error).message}`, '');
  }
}
const target = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
if (!only.length) writeFileSync(target, `${out.join('\n')}\n`);
console.log(only.length ? '\n(partial run: docs/benchmarks.md not rewritten)' : `\nwritten: ${target}`);
process.exit(failed ? 1 : 0);
