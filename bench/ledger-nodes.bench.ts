/**
 * The tracker on PostgreSQL with 1, 2 and 3 nodes beside the SQLite single node, in one run, against
 * the all-core crypto floor (ledger.bench.ts measures it the same way, alternating with the loads).
 *
 * On this machine every node, the database server and the benchmark client share the same cores,
 * so more nodes cannot mean more throughput here: what scales out is measured instead as the
 * database's own time per command (pg_stat_statements: execution time of every statement of the
 * command, COMMIT included) and the part of it spent holding the history's order (tx_counter, held
 * from a command's first transaction row to its COMMIT: those stretches follow one another), which
 * bound the commands per second one PostgreSQL primary can take whatever the number of nodes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { startNodes, type LedgerProcess } from '../tests/helpers/ledger-process';
import { PgCluster } from '../tests/helpers/pg-cluster';
import type { BackendChoice } from '../tests/helpers/ledger-backend';
import { TestPeer, twoSigned, resultOf } from '../tests/helpers/raw-client';
import {
  CryptoFloor,
  connect,
  cpuMsOf,
  drive,
  frameOf,
  itemsSigned,
  median,
  send,
  type FloorSample,
} from './ledger.bench';

const ENV = {
  TLPRT_LEDGER_AMOUNT_INITIAL: '1000000000000',
  TLPRT_LEDGER_AMOUNT_SPEND: '100000000000',
  TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '1000',
};

/** Statements a transfer open runs while it holds tx_counter (prepared statement names, statements.ts). */
const UNDER_COUNTER = ['next_seq', 'insert_tx', 'insert_channel', 'COMMIT'];

interface Setup {
  label: string;
  backend: BackendChoice;
  nodes: number;
}

/** CPU milliseconds of the PostgreSQL server: the postmaster and its children (backends and workers). */
function serverCpuMs(cluster: PgCluster): number {
  try {
    const pid = Number(readFileSync(`${cluster.dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return [pid, ...children.map(Number)].reduce((sum, p) => sum + (cpuMsOf(p) || 0), 0);
  } catch {
    return NaN;
  }
}

/** Execution time (ms) of the database's statements since the last reset, in all and by name. */
async function statementTimes(admin: pg.Client, db: string): Promise<{ total: number; under: number }> {
  const r = await admin.query<{ query: string; ms: number }>(
    `SELECT s.query, s.total_exec_time AS ms FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
     WHERE d.datname = $1`,
    [db],
  );
  let total = 0;
  let under = 0;
  for (const row of r.rows) {
    total += row.ms;
    const q = row.query.trim();
    if (
      q === 'COMMIT' ||
      /^UPDATE tx_counter SET seq/.test(q) ||
      /^WITH c AS \(UPDATE tx_counter/.test(q) ||
      /^INSERT INTO channels/.test(q)
    )
      under += row.ms;
  }
  return { total, under };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export async function benchLedgerNodes(opts: { rounds?: number; reads?: number; transfers?: number } = {}) {
  const rounds = opts.rounds ?? 3;
  const reads = opts.reads ?? 2000;
  const transfers = opts.transfers ?? 400;
  const clients = 16;
  const floor = await CryptoFloor.start();
  const cluster = await PgCluster.create({
    durable: true,
    settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  });
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  const setups: Setup[] = [
    { label: 'SQLite, 1 node', backend: { backend: 'sqlite' }, nodes: 1 },
    ...[1, 2, 3].map((n) => ({
      label: `PostgreSQL, ${n} node${n > 1 ? 's' : ''}`,
      backend: { backend: 'postgres' as const, pgAdminUrl: cluster.url() },
      nodes: n,
    })),
  ];
  const out: Record<string, string | number> = {
    'cores (floor workers)': floor.cores,
    note: `${clients} clients spread over the nodes; each node has cores / nodes crypto workers (at least 1)`,
  };
  const floors: FloorSample[] = [];
  try {
    for (const s of setups) {
      const workers = Math.max(1, Math.floor(availableParallelism() / s.nodes));
      let nodes: LedgerProcess[] = [];
      try {
        nodes = await startNodes(s.nodes, {
          backend: s.backend,
          env: ENV,
          args: ['--quiet', '--workers', String(workers)],
        });
        const urls = nodes.map((n) => n.url);
        const payer = new TestPeer();
        const payee = new TestPeer();
        const setup = await connect(urls[0]!);
        const spend = resultOf<{ address: string }>(await send(setup, 4, payer.pemPayload()));
        const income = resultOf<{ address: string }>(await send(setup, 2, payee.pemPayload()));
        setup.ws.close();
        const readFrames = Array.from({ length: reads }, () =>
          frameOf(256, payer.json({ address: spend.address })),
        );
        const rate = { reads: [] as number[], opens: [] as number[] };
        const ratio = { reads: [] as number[], opens: [] as number[] };
        const cpu = {
          reads: [] as number[],
          opens: [] as number[],
          dbReads: [] as number[],
          dbOpens: [] as number[],
        };
        const dbMs = { reads: [] as number[], opens: [] as number[], under: [] as number[] };
        const dbName = s.backend.backend === 'postgres' ? new URL(nodes[0]!.db).pathname.slice(1) : '';
        const trackerCpu = () => nodes.reduce((sum, n) => sum + cpuMsOf(n.child.pid!), 0);
        for (let round = 0; round < rounds; round++) {
          const opens = Array.from({ length: transfers }, (_, i) =>
            frameOf(
              8,
              twoSigned(payer, payee, {
                channelId: `nodes-${round}-${i}-${randomBytes(4).toString('hex')}`,
                fromAddress: spend.address,
                toAddress: income.address,
                priceTokens: '1000',
                priceQuantumPower: 20,
                plannedQuantumCount: 1,
              }),
            ),
          );
          const f = await floor.measure(1000);
          floors.push(f);
          if (dbName) await admin.query('SELECT pg_stat_statements_reset()');
          let t0 = trackerCpu();
          let d0 = serverCpuMs(cluster);
          const r = await drive(urls, clients, readFrames);
          cpu.reads.push((trackerCpu() - t0) / reads);
          cpu.dbReads.push((serverCpuMs(cluster) - d0) / reads);
          if (dbName) {
            dbMs.reads.push((await statementTimes(admin, dbName)).total / reads);
            await admin.query('SELECT pg_stat_statements_reset()');
          }
          t0 = trackerCpu();
          d0 = serverCpuMs(cluster);
          const o = await drive(urls, clients, opens);
          for (const n of nodes) await itemsSigned(n.port);
          cpu.opens.push((trackerCpu() - t0) / transfers);
          cpu.dbOpens.push((serverCpuMs(cluster) - d0) / transfers);
          if (dbName) {
            // Item signatures are stored after the commit: their UPDATEs are part of an open's cost.
            const t = await statementTimes(admin, dbName);
            dbMs.opens.push(t.total / transfers);
            dbMs.under.push(t.under / transfers);
          }
          const errors = [...r.errors, ...o.errors];
          if (errors.length) throw new Error(`${errors.length} commands failed, e.g. ${errors[0]}`);
          rate.reads.push(r.perSec);
          rate.opens.push(o.perSec);
          ratio.reads.push(r.perSec / f.read);
          ratio.opens.push(o.perSec / f.transfer);
        }
        const pct = (xs: number[]) => `${(100 * median(xs)).toFixed(1)} %`;
        out[`${s.label}: state reads per s (of the read floor)`] =
          `${Math.round(median(rate.reads))} (${pct(ratio.reads)})`;
        out[`${s.label}: transfer opens per s (of the transfer floor)`] =
          `${Math.round(median(rate.opens))} (${pct(ratio.opens)})`;
        out[`${s.label}: CPU per read, trackers; database server`] =
          `${fmt(median(cpu.reads), 2)} ms; ${dbName ? `${fmt(median(cpu.dbReads), 2)} ms` : 'in the tracker'}`;
        out[`${s.label}: CPU per open, trackers; database server`] =
          `${fmt(median(cpu.opens), 2)} ms; ${dbName ? `${fmt(median(cpu.dbOpens), 2)} ms` : 'in the tracker'}`;
        if (dbName) {
          out[`${s.label}: database execution time per read; per open (pg_stat_statements)`] =
            `${fmt(median(dbMs.reads), 3)} ms; ${fmt(median(dbMs.opens), 3)} ms`;
          out[`${s.label}: of an open, under the history lock (${UNDER_COUNTER.join(', ')})`] =
            `${fmt(median(dbMs.under), 3)} ms → at most ~${fmt(1000 / median(dbMs.under))} opens/s per database`;
        }
      } finally {
        await Promise.all(nodes.map((n) => n.stop()));
      }
    }
    const m = (k: keyof FloorSample) => Math.round(median(floors.map((f) => f[k])));
    out['floor for a read (sign + verify) per s, all cores'] = m('read');
    out['floor for a transfer command (sign + 2 verify) per s, all cores'] = m('transfer');
    return out;
  } finally {
    await admin.end();
    await cluster.remove();
    await floor.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchLedgerNodes({ rounds: Number(process.env.ROUNDS ?? 3) });
  console.log(JSON.stringify(r, null, 2));
}
