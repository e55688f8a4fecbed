/**
 * Tracker throughput on loopback against the crypto floor of this machine, in one run.
 *
 * The floor: every core (one worker thread each) signing and verifying with RSA-2048 as fast as it
 * can, nothing else. It is measured again before each load run, and the ratios are medians over
 * at least five alternations of floor and load: this VM's speed drifts within a minute, and a
 * ratio of two numbers taken apart measures the drift.
 *
 * Load: requests signed before the clock starts (the clients cost little CPU), N connections each
 * keeping one request in flight. A state read costs the tracker one verification and one signature;
 * a transfer open or close two verifications and one signature for its answer before it is
 * answered, plus one signature for the history item it writes, made after the commit in the
 * background (when no answer waits for the crypto workers). Each run waits for those to be done
 * before the next floor is measured, and the tracker CPU per command includes them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { startLedger } from '../tests/helpers/ledger-process';
import { metric, metricsOf } from '../tests/helpers/tracker-http';
import { TestPeer, twoSigned, resultOf, type Frame } from '../tests/helpers/raw-client';

/**
 * A bench connection: one request in flight, answers taken as text. The client must cost little
 * next to the tracker on the same cores: frames are serialised before the clock starts and answers
 * are not parsed (only an error frame, which has `"error":"` at its top level, is).
 */
interface Conn {
  ws: WebSocket;
  pending: ((text: string) => void) | null;
}

export async function connect(url: string): Promise<Conn> {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  await new Promise<void>((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const c: Conn = { ws, pending: null };
  ws.on('message', (d: Buffer) => {
    const resolve = c.pending;
    c.pending = null;
    resolve?.(d.toString());
  });
  return c;
}

function roundTrip(c: Conn, frame: string): Promise<string> {
  return new Promise((resolve) => {
    c.pending = resolve;
    c.ws.send(frame);
  });
}

let tokenSeq = 0;
/** A request frame, serialised once. */
export function frameOf(cmd: number, payload: unknown): string {
  return JSON.stringify({ cmd, corrToken: `b${++tokenSeq}`, payload });
}

export async function send(c: Conn, cmd: number, payload: unknown): Promise<Frame> {
  return JSON.parse(await roundTrip(c, frameOf(cmd, payload))) as Frame;
}

/** One worker per core, each alternating RSA-2048 signs and verifications for `ms` on demand. */
const FLOOR_WORKER = String.raw`
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const msg = crypto.randomBytes(400);
let sig = crypto.sign('sha256', msg, privateKey);
// CPU time of this thread (Linux), so that the cost of one operation is known on a busy machine too
function threadCpuMs() {
  try {
    const f = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
parentPort.on('message', (ms) => {
  let signs = 0, verifies = 0, signMs = 0, verifyMs = 0;
  const cpu0 = threadCpuMs();
  const end = performance.now() + ms;
  for (let t = performance.now(); t < end; ) {
    sig = crypto.sign('sha256', msg, privateKey);
    const u = performance.now();
    signMs += u - t;
    signs++;
    crypto.verify('sha256', msg, publicKey, sig);
    t = performance.now();
    verifyMs += t - u;
    verifies++;
  }
  parentPort.postMessage({ signs, verifies, signMs, verifyMs, cpuMs: threadCpuMs() - cpu0 });
});
parentPort.postMessage('ready');
`;

export interface FloorSample {
  /** sign + verify per second, all cores: a state read's crypto. */
  read: number;
  /** sign + 2 verify per second, all cores: a transfer open's or close's crypto (answer only). */
  transfer: number;
  signPerSec: number;
  verifyPerSec: number;
  /** CPU milliseconds of one sign + one verify (NaN where threads' CPU time is unknown). */
  pairCpuMs: number;
  /** CPU share of verification in that pair (wall-time proportions). */
  verifyShare: number;
}

export class CryptoFloor {
  private constructor(private readonly workers: Worker[]) {}

  static async start(n = availableParallelism()): Promise<CryptoFloor> {
    const workers = Array.from({ length: n }, () => new Worker(FLOOR_WORKER, { eval: true }));
    await Promise.all(workers.map((w) => new Promise((r) => w.once('message', r))));
    return new CryptoFloor(workers);
  }

  get cores(): number {
    return this.workers.length;
  }

  async measure(ms = 1000): Promise<FloorSample> {
    const runs = await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<{ signs: number; verifies: number; signMs: number; verifyMs: number; cpuMs: number }>(
            (r) => {
              w.once('message', r);
              w.postMessage(ms);
            },
          ),
      ),
    );
    let read = 0;
    let transfer = 0;
    let signPerSec = 0;
    let verifyPerSec = 0;
    const cpu = runs.reduce((n, r) => n + r.cpuMs, 0);
    const pairs = runs.reduce((n, r) => n + r.signs, 0);
    const wallSign = runs.reduce((n, r) => n + r.signMs, 0);
    const wallVerify = runs.reduce((n, r) => n + r.verifyMs, 0);
    for (const r of runs) {
      const s = r.signMs / r.signs;
      const v = r.verifyMs / r.verifies;
      read += 1000 / (s + v);
      transfer += 1000 / (s + 2 * v);
      signPerSec += 1000 / s;
      verifyPerSec += 1000 / v;
    }
    return {
      read,
      transfer,
      signPerSec,
      verifyPerSec,
      pairCpuMs: cpu / pairs,
      verifyShare: wallVerify / (wallSign + wallVerify),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** CPU milliseconds a process has used (Linux /proc: user + system), or NaN elsewhere. */
export function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/**
 * Sends the frames spread over `clients` connections (spread in turn over the nodes' URLs), each
 * keeping one request in flight.
 */
export async function drive(
  url: string | string[],
  clients: number,
  frames: string[],
): Promise<{ perSec: number; errors: string[]; clientCpuMs: number }> {
  const urls = typeof url === 'string' ? [url] : url;
  const conns = await Promise.all(Array.from({ length: clients }, (_, i) => connect(urls[i % urls.length]!)));
  let next = 0;
  const errors: string[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (next < frames.length) {
        const answer = await roundTrip(c, frames[next++]!);
        if (answer.includes('"error":"')) errors.push((JSON.parse(answer) as Frame).error!);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  conns.forEach((c) => c.ws.close());
  return {
    perSec: frames.length / seconds,
    errors,
    clientCpuMs: (cpu.user + cpu.system) / 1000 / frames.length,
  };
}

/** Waits until the tracker has signed every history item of the last run (signed after the commit). */
export async function itemsSigned(port: number): Promise<void> {
  const end = Date.now() + 60_000;
  while (metric(await metricsOf(port), 'tracker_items_unsigned') > 0) {
    if (Date.now() > end) throw new Error('history items still unsigned after 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (ratios: number[]): string =>
  `${(100 * median(ratios)).toFixed(1)} % (${ratios.map((r) => Math.round(100 * r)).join(', ')})`;

export interface LedgerBenchOptions {
  /** Floor/load alternations (the ratios are their medians); at least 5 for the report. */
  rounds?: number;
  reads?: number;
  transfers?: number;
  clients?: number;
  /** Tracker crypto workers (default: one per core). */
  workers?: number;
  floorMs?: number;
}

export async function benchLedger(opts: LedgerBenchOptions = {}) {
  const rounds = opts.rounds ?? 5;
  const reads = opts.reads ?? 4000;
  const transfers = opts.transfers ?? 600;
  const clients = opts.clients ?? 16;
  const floor = await CryptoFloor.start();
  const ledger = await startLedger({
    args: ['--quiet', ...(opts.workers === undefined ? [] : ['--workers', String(opts.workers)])],
    env: {
      TLPRT_LEDGER_AMOUNT_INITIAL: '1000000000000',
      TLPRT_LEDGER_AMOUNT_SPEND: '100000000000',
      TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '1000',
    },
  });
  try {
    const payer = new TestPeer();
    const payee = new TestPeer();
    const setup = await connect(ledger.url);
    const spend = resultOf<{ address: string }>(await send(setup, 4, payer.pemPayload()));
    const income = resultOf<{ address: string }>(await send(setup, 2, payee.pemPayload()));
    setup.ws.close();
    const readPayload = payer.json({ address: spend.address });
    const readFrames = Array.from({ length: reads }, () => frameOf(256, readPayload));
    const floors: FloorSample[] = [];
    const rates = { reads: [] as number[], opens: [] as number[], closes: [] as number[] };
    const ratios = { reads: [] as number[], opens: [] as number[], closes: [] as number[] };
    const cpu = { reads: [] as number[], transfers: [] as number[], client: [] as number[] };
    const pid = ledger.child.pid!;
    for (let round = 0; round < rounds; round++) {
      // Open+close pairs, each signed by both peers before the clock starts.
      const opens: string[] = [];
      const closes: string[] = [];
      for (let i = 0; i < transfers; i++) {
        const contract = {
          channelId: `bench-${round}-${i}-${randomBytes(4).toString('hex')}`,
          fromAddress: spend.address,
          toAddress: income.address,
          priceTokens: '1000',
          priceQuantumPower: 20,
          plannedQuantumCount: 1,
        };
        opens.push(frameOf(8, twoSigned(payer, payee, contract)));
        closes.push(
          frameOf(
            16,
            twoSigned(payer, payee, { ...contract, quantumCount: 1, tokens: '1000', volume: 1000 }),
          ),
        );
      }
      const f = await floor.measure(opts.floorMs ?? 1000);
      floors.push(f);
      const cpu0 = cpuMsOf(pid);
      const r = await drive(ledger.url, clients, readFrames);
      const cpu1 = cpuMsOf(pid);
      const o = await drive(ledger.url, clients, opens);
      await itemsSigned(ledger.port);
      const c = await drive(ledger.url, clients, closes);
      await itemsSigned(ledger.port);
      cpu.reads.push((cpu1 - cpu0) / reads);
      cpu.transfers.push((cpuMsOf(pid) - cpu1) / (2 * transfers));
      cpu.client.push(r.clientCpuMs);
      const errors = [...r.errors, ...o.errors, ...c.errors];
      if (errors.length) throw new Error(`${errors.length} commands failed, e.g. ${errors[0]}`);
      rates.reads.push(r.perSec);
      rates.opens.push(o.perSec);
      rates.closes.push(c.perSec);
      ratios.reads.push(r.perSec / f.read);
      ratios.opens.push(o.perSec / f.transfer);
      ratios.closes.push(c.perSec / f.transfer);
    }
    const m = (k: keyof FloorSample) => Math.round(median(floors.map((f) => f[k])));
    // CPU cost of one signature and one verification, from the floor workers' own CPU time
    const pairMs = median(floors.map((f) => f.pairCpuMs));
    const verifyMs = pairMs * median(floors.map((f) => f.verifyShare));
    const signMs = pairMs - verifyMs;
    const cpuText = (xs: number[], cryptoMs: number) =>
      Number.isNaN(median(xs)) || Number.isNaN(cryptoMs)
        ? 'not measured (no /proc)'
        : `${median(xs).toFixed(2)} ms, of which RSA ${cryptoMs.toFixed(2)} ms`;
    return {
      'cores (floor workers; tracker crypto workers)': `${floor.cores}; ${opts.workers ?? floor.cores}`,
      'RSA-2048 sign per s, all cores': m('signPerSec'),
      'RSA-2048 verify per s, all cores': m('verifyPerSec'),
      'floor for a read (sign + verify) per s, all cores': m('read'),
      'floor for a transfer command (sign + 2 verify) per s, all cores': m('transfer'),
      [`state reads per s, ${clients} clients`]: Math.round(median(rates.reads)),
      [`transfer opens per s, ${clients} clients`]: Math.round(median(rates.opens)),
      [`transfer closes per s, ${clients} clients`]: Math.round(median(rates.closes)),
      [`reads / read floor, median of ${rounds} (each)`]: pct(ratios.reads),
      [`opens / transfer floor, median of ${rounds} (each)`]: pct(ratios.opens),
      [`closes / transfer floor, median of ${rounds} (each)`]: pct(ratios.closes),
      'RSA-2048 CPU time: one sign; one verify': Number.isNaN(pairMs)
        ? 'not measured (no /proc)'
        : `${signMs.toFixed(3)} ms; ${verifyMs.toFixed(3)} ms`,
      'tracker CPU per state read (all threads)': cpuText(cpu.reads, signMs + verifyMs),
      'tracker CPU per transfer open or close (all threads)': cpuText(
        cpu.transfers,
        2 * signMs + 2 * verifyMs,
      ),
      'bench client CPU per state read': `${median(cpu.client).toFixed(2)} ms`,
    };
  } finally {
    await ledger.stop();
    await floor.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.env.ROUNDS ?? 5);
  const workers = process.env.WORKERS === undefined ? undefined : Number(process.env.WORKERS);
  const r = await benchLedger({ rounds, workers });
  console.log(JSON.stringify(r, null, 2));
}
