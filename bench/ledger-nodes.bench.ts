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
  TLPRT_LEDGER_AMOUNT_SPEND: '10000000000',
  TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '1000',
};

/** Statements a transfer open runs while it holds tx_counter (statements.ts). */
const UNDER_COUNTER = ['UPDATE tx_counter', 'INSERT transactions', 'INSERT channels', 'COMMIT'];
/** Payer/payee pairs: opens spread over as many spend addresses (one address would serialise them all). */
const PAIRS = 16;

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

/**
 * The database's statement times since the last reset (ms): all of them (waits for row locks
 * included), and the stretch an open holds tx_counter: its seq UPDATE taken at its fastest call
 * (the others wait for the row), then the transaction insert, the channel insert and the COMMIT
 * (WAL flush) at their mean. Round trips between them are not in it: a lower bound of the hold.
 */
async function statementTimes(
  admin: pg.Client,
  db: string,
  commands: number,
): Promise<{ total: number; under: number }> {
  const r = await admin.query<{ query: string; calls: number; total: number; mean: number; min: number }>(
    `SELECT s.query, s.calls, s.total_exec_time AS total, s.mean_exec_time AS mean, s.min_exec_time AS min
     FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`,
    [db],
  );
  let total = 0;
  let under = 0;
  for (const row of r.rows) {
    total += row.total;
    const q = row.query.trim();
    if (/^UPDATE tx_counter SET seq/.test(q)) under += row.min;
    else if (q === 'COMMIT' || /^WITH c AS \(UPDATE tx_counter/.test(q) || /^INSERT INTO channels/.test(q))
      under += row.mean;
  }
  return { total: total / commands, under };
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
    settings: {
      shared_preload_libraries: 'pg_stat_statements',
      'pg_stat_statements.track': 'all',
      // PostgreSQL's default: the tests' shorter one costs deadlock checks of every long lock wait.
      deadlock_timeout: '1s',
    },
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
  const peers = Array.from({ length: PAIRS }, () => [new TestPeer(), new TestPeer()] as const);
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
        const setup = await connect(urls[0]!);
        const pairs: { payer: TestPeer; payee: TestPeer; spend: string; income: string }[] = [];
        for (const [payer, payee] of peers) {
          const spend = resultOf<{ address: string }>(await send(setup, 4, payer.pemPayload())).address;
          const income = resultOf<{ address: string }>(await send(setup, 2, payee.pemPayload())).address;
          pairs.push({ payer, payee, spend, income });
        }
        setup.ws.close();
        const readFrames = Array.from({ length: reads }, (_, i) => {
          const p = pairs[i % PAIRS]!;
          return frameOf(256, p.payer.json({ address: p.spend }));
        });
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
          const opens = Array.from({ length: transfers }, (_, i) => {
            const p = pairs[i % PAIRS]!;
            return frameOf(
              8,
              twoSigned(p.payer, p.payee, {
                channelId: `nodes-${round}-${i}-${randomBytes(4).toString('hex')}`,
                fromAddress: p.spend,
                toAddress: p.income,
                priceTokens: '1000',
                priceQuantumPower: 20,
                plannedQuantumCount: 1,
              }),
            );
          });
          const f = await floor.measure(1000);
          floors.push(f);
          if (dbName) await admin.query('SELECT pg_stat_statements_reset()');
          let t0 = trackerCpu();
          let d0 = serverCpuMs(cluster);
          const r = await drive(urls, clients, readFrames);
          cpu.reads.push((trackerCpu() - t0) / reads);
          cpu.dbReads.push((serverCpuMs(cluster) - d0) / reads);
          if (dbName) {
            dbMs.reads.push((await statementTimes(admin, dbName, reads)).total);
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
            const t = await statementTimes(admin, dbName, transfers);
            dbMs.opens.push(t.total);
            dbMs.under.push(t.under);
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
          out[
            `${s.label}: database statement time per read; per open (pg_stat_statements, lock waits included)`
          ] = `${fmt(median(dbMs.reads), 3)} ms; ${fmt(median(dbMs.opens), 3)} ms`;
          out[`${s.label}: an open holds the history order at least (${UNDER_COUNTER.join(', ')})`] =
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
