/**
 * Tracker throughput on loopback: signed commands per second with N concurrent clients, beside the
 * floor set by the crypto alone (one RSA-2048 sign + one verify per request, measured in the same run
 * on one core). Requests are signed before the clock starts, so the clients cost little CPU and the
 * number measures the tracker (one process, one core: Node runs the handlers on one thread).
 */
import { generateKeyPairSync, sign, verify, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { startLedger } from '../tests/helpers/ledger-process';
import { TestPeer, twoSigned, resultOf, type Frame } from '../tests/helpers/raw-client';

interface Conn {
  ws: WebSocket;
  waiters: Map<string, (f: Frame) => void>;
}

async function connect(url: string): Promise<Conn> {
  const ws = new WebSocket(url);
  await new Promise<void>((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  const waiters = new Map<string, (f: Frame) => void>();
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Frame;
    const w = waiters.get(f.corrToken ?? '');
    if (w) {
      waiters.delete(f.corrToken!);
      w(f);
    }
  });
  return { ws, waiters };
}

let tokenSeq = 0;
function send(c: Conn, cmd: number, payload: unknown): Promise<Frame> {
  const corrToken = `b${++tokenSeq}`;
  return new Promise((resolve) => {
    c.waiters.set(corrToken, resolve);
    c.ws.send(JSON.stringify({ cmd, corrToken, payload }));
  });
}

/** Sign + verify per second on this core: the ceiling of a tracker that signs every answer. */
export function cryptoFloor(iterations = 400): {
  signPerSec: number;
  verifyPerSec: number;
  floorPerSec: number;
} {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const msg = randomBytes(300);
  let t = performance.now();
  let s = Buffer.alloc(0);
  for (let i = 0; i < iterations; i++) s = sign('sha256', msg, privateKey);
  const signMs = (performance.now() - t) / iterations;
  t = performance.now();
  for (let i = 0; i < iterations * 4; i++) verify('sha256', msg, publicKey, s);
  const verifyMs = (performance.now() - t) / (iterations * 4);
  return {
    signPerSec: 1000 / signMs,
    verifyPerSec: 1000 / verifyMs,
    floorPerSec: 1000 / (signMs + verifyMs),
  };
}

/** Runs `total` requests spread over `clients` connections, each keeping one request in flight. */
async function drive(
  url: string,
  clients: number,
  jobs: { cmd: number; payload: unknown }[],
): Promise<{ perSec: number; errors: number }> {
  const conns = await Promise.all(Array.from({ length: clients }, () => connect(url)));
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const f = await send(c, job.cmd, job.payload);
        if (f.error) errors++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  conns.forEach((c) => c.ws.close());
  return { perSec: jobs.length / seconds, errors };
}

export async function benchLedger(opts: { reads?: number; transfers?: number; clients?: number[] } = {}) {
  const reads = opts.reads ?? 3000;
  const transfers = opts.transfers ?? 400;
  const levels = opts.clients ?? [1, 4, 16];
  const floor = cryptoFloor();
  const ledger = await startLedger({
    args: ['--quiet'],
    env: {
      TLPRT_LEDGER_AMOUNT_INITIAL: '1000000000000',
      TLPRT_LEDGER_AMOUNT_SPEND: '100000000',
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
    const results: Record<string, number | string> = {
      'crypto floor (sign+verify per s, 1 core)': Math.round(floor.floorPerSec),
      'RSA-2048 sign per s': Math.round(floor.signPerSec),
      'RSA-2048 verify per s': Math.round(floor.verifyPerSec),
    };
    for (const n of levels) {
      // The floor is measured again right before each level: this machine's speed drifts, and a
      // ratio of two numbers taken minutes apart would measure the drift.
      const local = cryptoFloor(300).floorPerSec;
      const r = await drive(
        ledger.url,
        n,
        Array.from({ length: reads }, () => ({ cmd: 256, payload: readPayload })),
      );
      if (r.errors) throw new Error(`${r.errors} reads failed`);
      results[`reads per s, ${n} clients`] = Math.round(r.perSec);
      results[`reads vs the floor measured just before, ${n} clients`] =
        `${((100 * r.perSec) / local).toFixed(1)} % of ${Math.round(local)}`;
    }
    // Open+close pairs: each pre-signed by both peers before the clock starts.
    for (const n of levels) {
      const opens: { cmd: number; payload: unknown }[] = [];
      const closes: { cmd: number; payload: unknown }[] = [];
      for (let i = 0; i < transfers; i++) {
        const contract = {
          channelId: `bench-${n}-${i}-${randomBytes(4).toString('hex')}`,
          fromAddress: spend.address,
          toAddress: income.address,
          priceTokens: '1000',
          priceQuantumPower: 20,
          plannedQuantumCount: 1,
        };
        opens.push({ cmd: 8, payload: twoSigned(payer, payee, contract) });
        closes.push({
          cmd: 16,
          payload: twoSigned(payer, payee, { ...contract, quantumCount: 1, tokens: '1000', volume: 1000 }),
        });
      }
      const o = await drive(ledger.url, n, opens);
      const c = await drive(ledger.url, n, closes);
      if (o.errors || c.errors) throw new Error(`${o.errors + c.errors} transfer commands failed`);
      results[`transfer opens per s, ${n} clients`] = Math.round(o.perSec);
      results[`transfer closes per s, ${n} clients`] = Math.round(c.perSec);
    }
    return results;
  } finally {
    await ledger.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await benchLedger();
  console.log(JSON.stringify(r, null, 2));
}
