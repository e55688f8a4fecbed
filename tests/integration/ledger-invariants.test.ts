/**
 * Randomised invariants (SPEC §4, §6): thousands of valid and invalid commands from several peers
 * over real sockets against one tracker with small funds. A client-side model predicts the answer
 * (success or the exact error code) of every command and the figures of every read; after every
 * command a read-only connection to the tracker's SQLite file checks that refusals, reads and
 * repeated opens/closes changed nothing and that writes added exactly their transactions; at
 * checkpoints the whole database is audited (conservation, signs, reservations, replay).
 *
 * Deterministic: a seeded PRNG (LEDGER_INVARIANTS_SEED overrides the seed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { startNodes, type LedgerProcess } from '../helpers/ledger-process';
import { LEDGER_BACKEND } from '../helpers/ledger-backend';
import { RawClient, TestPeer, type Frame } from '../helpers/raw-client';
import { LedgerDb, auditLedger, type Fingerprint } from '../helpers/ledger-db';
import { call, codeOf, ok, type AddressState, type CommonState } from '../helpers/tracker-session';
import { channelAddressOf, commonAddressOf } from '../../shared/crypto/address';
import { signMessage } from '../../shared/crypto/sign';

const SEED = Number(process.env.LEDGER_INVARIANTS_SEED ?? 0x5eed2024);
/**
 * On PostgreSQL the peers' connections are spread over three tracker nodes sharing the database
 * (each step then also checks that a write through one node is what the next node reads), in fewer
 * steps: every step's fingerprint is several queries over the network.
 */
const NODES = LEDGER_BACKEND === 'postgres' ? 3 : 1;
const STEPS = LEDGER_BACKEND === 'postgres' ? 1200 : 2600;
const CHECKPOINT_EVERY = 500;
const PEERS = 5;
const INITIAL = 60000n;
const SPEND_FUNDING = 7000n; // 8 spend addresses take 56000; the 9th gets the last 4000, the 10th NO_FUNDS
// Low prices keep money flowing for the whole run: paid atoms end up on common addresses for good.
const SPEND_MAX = 110n;
const INCOME_MIN = 90n;
const POWER = 20;
const MAX_OPEN = 3;

/** mulberry32: small, fast, good enough to drive a test deterministically. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

// ---------------------------------------------------------------- model

interface MAddr {
  address: string;
  kind: 'spend' | 'income';
  owner: number;
  open: boolean;
  amount: bigint;
  reserved: bigint;
  planned: bigint;
  qv: bigint;
  vol: bigint;
  openCh: number;
  price: bigint;
}

type Contract = {
  channelId: string;
  fromAddress: string;
  toAddress: string;
  priceTokens: string;
  priceQuantumPower: number;
  plannedQuantumCount: number;
};

interface MChan {
  c: Contract;
  payer: number;
  payee: number;
  toCommon: boolean;
  open: boolean;
  settlement?: { quantumCount: number; tokens: string; volume: number };
}

interface MCommon {
  profit: bigint;
  fact: bigint;
  plan: bigint;
}

const q = (p: number): bigint => 1n << BigInt(p);
function cmpPrice(a: bigint, pa: number, b: bigint, pb: number): number {
  const top = Math.max(pa, pb);
  const l = a << BigInt(top - pa);
  const r = b << BigInt(top - pb);
  return l < r ? -1 : l > r ? 1 : 0;
}

/** What the test expects a command to do. */
interface Expect {
  code: string; // 'OK' or an error code
  /** transactions a success adds (0: a read or an idempotent repeat) */
  txs: number;
  /** model update and extra checks on success */
  onOk?: (result: unknown) => void;
}

describe(`ledger invariants under random valid and invalid commands (${NODES} node(s), 3 crypto workers in all)`, () => {
  let nodes: LedgerProcess[];
  let ledger: LedgerProcess;
  let db: LedgerDb;
  let pem: string;
  let trackerAddress: string;
  const peers: TestPeer[] = [];
  const clients: RawClient[] = [];
  let ecPem: string;
  let weakRsa: { publicPem: string; privatePem: string };

  const addrs: MAddr[] = [];
  const byAddress = new Map<string, MAddr>();
  const chans: MChan[] = [];
  const byChannel = new Map<string, MChan>();
  const commons: MCommon[] = [];
  const txsOf: number[] = [];
  let tracker = INITIAL;
  let channelSeq = 0;
  const stats = {
    ok: 0,
    refused: 0,
    noop: 0,
    byCode: new Map<string, number>(),
    byKind: new Map<string, number>(),
  };

  beforeAll(async () => {
    for (let i = 0; i < PEERS; i++) peers.push(new TestPeer());
    ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    weakRsa = {
      publicPem: weak.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privatePem: weak.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
    nodes = await startNodes(NODES, {
      // more crypto workers than cores: answers and history items signed out of order
      args: ['--quiet', '--workers', String(3 / NODES)],
      env: {
        TLPRT_LEDGER_AMOUNT_INITIAL: String(INITIAL),
        TLPRT_LEDGER_AMOUNT_SPEND: String(SPEND_FUNDING),
        TLPRT_LEDGER_PRICE_AMOUNT_SPEND: String(SPEND_MAX),
        TLPRT_LEDGER_PRICE_AMOUNT_INCOME: String(INCOME_MIN),
        TLPRT_LEDGER_QUANTUM_POWER: String(POWER),
        TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '30',
        TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '30',
        TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '30',
        TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: String(MAX_OPEN),
      },
    });
    ledger = nodes[0]!;
    for (let i = 0; i < PEERS; i++) clients.push(await RawClient.connect(nodes[i % NODES]!.url));
    const hs = await call(clients[0]!, 1, peers[0]!.pemPayload());
    pem = (hs.data as { message: string }).message;
    ok(hs, pem);
    trackerAddress = commonAddressOf(pem);
    db = await LedgerDb.open(ledger.db);
    for (let i = 0; i < PEERS; i++) {
      commons.push({ profit: 0n, fact: 0n, plan: 0n });
      txsOf.push(0);
    }
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await db?.close();
    await Promise.all((nodes ?? []).map((n) => n.stop()));
  });

  it(`keeps every invariant over ${STEPS} random commands (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const rnd = prng(SEED);
    const peerIdx = () => rnd.int(0, PEERS - 1);
    const other = (i: number) => (i + rnd.int(1, PEERS - 1)) % PEERS;
    const openOf = (owner: number, kind: 'spend' | 'income') =>
      addrs.filter((a) => a.owner === owner && a.kind === kind && a.open).length;

    /** Address state as the tracker must answer it. */
    const stateOf = (a: MAddr) => ({
      current: { amount: a.amount.toString(), quantumVolume: Number(a.qv), volume: Number(a.vol) },
      limit: {
        amount: (a.kind === 'spend' ? a.amount - a.reserved : a.amount + a.reserved).toString(),
        quantumVolume: Number(a.qv + a.planned),
      },
      price: { amount: a.price.toString(), quantumPower: POWER },
    });
    const unknownAddress = (kind: 'spend' | 'income') =>
      channelAddressOf(kind, pem, peers[peerIdx()]!.publicPem, 1_000_000 + rnd.int(0, 1_000_000));
    const badChecksum = (address: string) => {
      const c = address[4] === 'a' ? 'b' : 'a';
      return address.slice(0, 4) + c + address.slice(5);
    };
    const pickAddr = (kind: 'spend' | 'income', preferOpen: number): MAddr | undefined => {
      const open = addrs.filter((a) => a.kind === kind && a.open);
      const all = addrs.filter((a) => a.kind === kind);
      if (open.length && rnd.chance(preferOpen)) return rnd.pick(open);
      return all.length ? rnd.pick(all) : undefined;
    };

    const addTx = (parties: number[]) => {
      for (const p of new Set(parties)) txsOf[p]! += 1;
    };

    const signPair = (
      payer: number,
      payee: number,
      fields: Record<string, unknown>,
      tamper?: 'from' | 'to',
    ) => {
      const message = JSON.stringify({
        fromPK: peers[payer]!.publicPem,
        toPK: peers[payee]!.publicPem,
        ...fields,
      });
      const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
      const fromSign = peers[payer]!.sign(message);
      const toSign = peers[payee]!.sign(message);
      return {
        message,
        fromPK: peers[payer]!.publicPem,
        fromSign: tamper === 'from' ? flip(fromSign) : fromSign,
        toPK: peers[payee]!.publicPem,
        toSign: tamper === 'to' ? flip(toSign) : toSign,
      };
    };

    // ------------------------------------------------------------ command generators
    type Gen = () => {
      kind: string;
      conn: number;
      cmd: number;
      payload?: unknown;
      text?: string;
      expect: Expect;
    };

    const genOpenAddress = (kind: 'spend' | 'income'): ReturnType<Gen> => {
      const p = peerIdx();
      const cmd = kind === 'spend' ? 4 : 2;
      const variant = rnd.next();
      if (variant < 0.06) {
        // message = someone else's key, signed by p
        const msg = peers[other(p)]!.publicPem;
        return {
          kind: `open-${kind}-mismatch`,
          conn: p,
          cmd,
          payload: { message: msg, pk: peers[p]!.publicPem, sign: peers[p]!.sign(msg) },
          expect: { code: 'KEY_MISMATCH', txs: 0 },
        };
      }
      if (variant < 0.12) {
        const pl = peers[p]!.pemPayload();
        return {
          kind: `open-${kind}-badsig`,
          conn: p,
          cmd,
          payload: { ...pl, sign: peers[other(p)]!.sign(pl.message) },
          expect: { code: 'BAD_SIGNATURE', txs: 0 },
        };
      }
      // the PEM as sent may lack its trailing newline: same key, same owner
      const sentPem = rnd.chance(0.2) ? peers[p]!.publicPem.trimEnd() : peers[p]!.publicPem;
      const payload = { message: sentPem, pk: sentPem, sign: peers[p]!.sign(sentPem) };
      let code = 'OK';
      if (openOf(p, kind) >= MAX_OPEN) code = 'TOO_MANY_ADDRESSES';
      else if (kind === 'spend' && tracker === 0n) code = 'NO_FUNDS';
      return {
        kind: `open-${kind}`,
        conn: p,
        cmd,
        payload,
        expect: {
          code,
          txs: 1,
          onOk: (res) => {
            const s = res as AddressState;
            const funded = kind === 'spend' ? (tracker < SPEND_FUNDING ? tracker : SPEND_FUNDING) : 0n;
            tracker -= funded;
            const a: MAddr = {
              address: s.address,
              kind,
              owner: p,
              open: true,
              amount: funded,
              reserved: 0n,
              planned: 0n,
              qv: 0n,
              vol: 0n,
              openCh: 0,
              price: kind === 'spend' ? SPEND_MAX : INCOME_MIN,
            };
            expect(byAddress.has(s.address), 'a new address each time').toBe(false);
            expect({ current: s.current, limit: s.limit, price: s.price }).toEqual(stateOf(a));
            addrs.push(a);
            byAddress.set(a.address, a);
            addTx([p]);
          },
        },
      };
    };

    const genOpenTransfer = (): ReturnType<Gen> => {
      // an existing channel id: identical repeat or a conflicting contract
      if (chans.length && rnd.chance(0.12)) {
        const ch = rnd.pick(chans);
        if (rnd.chance(0.5)) {
          return {
            kind: 'open-transfer-repeat',
            conn: ch.payer,
            cmd: 8,
            payload: signPair(ch.payer, ch.payee, { ...ch.c }),
            expect: { code: 'OK', txs: 0 },
          };
        }
        const c = { ...ch.c, plannedQuantumCount: ch.c.plannedQuantumCount + 1 };
        return {
          kind: 'open-transfer-conflict',
          conn: ch.payer,
          cmd: 8,
          payload: signPair(ch.payer, ch.payee, c),
          expect: { code: 'CHANNEL_CONFLICT', txs: 0 },
        };
      }
      const spend = pickAddr('spend', 0.9);
      const payer = spend && rnd.chance(0.9) ? spend.owner : peerIdx();
      const toCommon = rnd.chance(0.25);
      const income = toCommon ? undefined : pickAddr('income', 0.9);
      let payee = income && rnd.chance(0.9) ? income.owner : peerIdx();
      if (toCommon && rnd.chance(0.7) && payee === payer) payee = other(payer);
      const commonTarget = toCommon ? (rnd.chance(0.85) ? payee : peerIdx()) : -1;
      const power = rnd.pick([18, 19, 20, 20, 20, 21, 22]);
      // a price per 2^20 around the bounds, expressed at `power` (rounded: sometimes just outside)
      const perMega = BigInt(rnd.int(toCommon ? 10 : 86, 114));
      const price =
        power >= 20
          ? perMega << BigInt(power - 20)
          : (perMega + (1n << BigInt(20 - power)) - 1n) >> BigInt(20 - power);
      const planned = rnd.chance(0.2) ? rnd.int(20, 70) : rnd.int(1, 6);
      const c: Contract = {
        channelId: `ch-${++channelSeq}`,
        fromAddress: spend ? spend.address : unknownAddress('spend'),
        toAddress: toCommon
          ? rnd.chance(0.2)
            ? commonAddressOf(peers[commonTarget]!.publicPem.trimEnd())
            : peers[commonTarget]!.commonAddress
          : income
            ? income.address
            : unknownAddress('income'),
        priceTokens: price.toString(),
        priceQuantumPower: power,
        plannedQuantumCount: planned,
      };
      if (rnd.chance(0.05)) c.fromAddress = unknownAddress('spend');
      if (!toCommon && rnd.chance(0.04)) c.toAddress = unknownAddress('income');

      // invalid shapes and signatures
      const v = rnd.next();
      if (v < 0.04)
        return {
          kind: 'open-transfer-badsig',
          conn: payer,
          cmd: 8,
          payload: signPair(payer, payee, c, rnd.chance(0.5) ? 'from' : 'to'),
          expect: { code: 'BAD_SIGNATURE', txs: 0 },
        };
      if (v < 0.07) {
        // inner fromPK differs from the outer one (the signatures are good)
        const message = JSON.stringify({
          fromPK: peers[other(payer)]!.publicPem,
          toPK: peers[payee]!.publicPem,
          ...c,
        });
        const payload = {
          message,
          fromPK: peers[payer]!.publicPem,
          fromSign: peers[payer]!.sign(message),
          toPK: peers[payee]!.publicPem,
          toSign: peers[payee]!.sign(message),
        };
        return {
          kind: 'open-transfer-keymismatch',
          conn: payer,
          cmd: 8,
          payload,
          expect: { code: 'KEY_MISMATCH', txs: 0 },
        };
      }
      if (v < 0.11) {
        const broken = rnd.pick<Record<string, unknown>>([
          { plannedQuantumCount: 0 },
          { plannedQuantumCount: -2 },
          { plannedQuantumCount: 1.5 },
          { priceTokens: '-5' },
          { priceTokens: '1e3' },
          { priceTokens: 1000 },
          { priceTokens: '18446744073709551616' },
          { priceQuantumPower: 64 },
          { channelId: '' },
          { channelId: 'x'.repeat(129) },
          { channelId: 'tab\there' },
        ]);
        return {
          kind: 'open-transfer-malformed',
          conn: payer,
          cmd: 8,
          payload: signPair(payer, payee, { ...c, ...broken }),
          expect: { code: 'BAD_PAYLOAD', txs: 0 },
        };
      }
      if (v < 0.14) {
        const which = rnd.pick(['from-checksum', 'to-checksum', 'to-spend', 'from-income', 'garbage']);
        const bad = { ...c };
        if (which === 'from-checksum') bad.fromAddress = badChecksum(c.fromAddress);
        if (which === 'to-checksum') bad.toAddress = badChecksum(c.toAddress);
        if (which === 'to-spend') bad.toAddress = c.fromAddress;
        if (which === 'from-income') bad.fromAddress = income?.address ?? unknownAddress('income');
        if (which === 'garbage') bad.fromAddress = '0x0cnot-an-address';
        return {
          kind: `open-transfer-${which}`,
          conn: payer,
          cmd: 8,
          payload: signPair(payer, payee, bad),
          expect: { code: 'BAD_ADDRESS', txs: 0 },
        };
      }

      // predict a well-formed contract
      const s = byAddress.get(c.fromAddress);
      const i = toCommon ? undefined : byAddress.get(c.toAddress);
      const reserve = price * BigInt(planned);
      let code = 'OK';
      if (!s) code = 'ADDRESS_NOT_FOUND';
      else if (!s.open) code = 'ADDRESS_CLOSED';
      else if (s.owner !== payer) code = 'NOT_OWNER';
      else if (!toCommon && !i) code = 'ADDRESS_NOT_FOUND';
      else if (i && !i.open) code = 'ADDRESS_CLOSED';
      else if (i && i.owner !== payee) code = 'NOT_OWNER';
      else if (toCommon && commonTarget !== payee) code = 'NOT_OWNER';
      else if (cmpPrice(price, power, SPEND_MAX, POWER) > 0) code = 'PRICE_OUT_OF_BOUNDS';
      else if (i && cmpPrice(price, power, INCOME_MIN, POWER) < 0) code = 'PRICE_OUT_OF_BOUNDS';
      else if (reserve > s.amount - s.reserved) code = 'INSUFFICIENT_LIMIT';
      return {
        kind: toCommon ? 'open-transfer-common' : 'open-transfer',
        conn: payer,
        cmd: 8,
        payload: signPair(payer, payee, c),
        expect: {
          code,
          txs: 1,
          onOk: () => {
            const bytes = BigInt(planned) * q(power);
            s!.reserved += reserve;
            s!.planned += bytes;
            s!.openCh += 1;
            if (i) {
              i.reserved += reserve;
              i.planned += bytes;
              i.openCh += 1;
            }
            commons[payee]!.plan += reserve;
            const ch: MChan = { c, payer, payee, toCommon, open: true };
            chans.push(ch);
            byChannel.set(c.channelId, ch);
            addTx([payer, payee]);
          },
        },
      };
    };

    const genCloseTransfer = (): ReturnType<Gen> => {
      const open = chans.filter((c) => c.open);
      const closed = chans.filter((c) => !c.open);
      const r = rnd.next();
      if (!chans.length || r < 0.06) {
        const p = peerIdx();
        const c = {
          channelId: `nope-${rnd.int(1, 1e6)}`,
          fromAddress: unknownAddress('spend'),
          toAddress: unknownAddress('income'),
          priceTokens: '1000',
          priceQuantumPower: 20,
          plannedQuantumCount: 1,
        };
        return {
          kind: 'close-transfer-unknown',
          conn: p,
          cmd: 16,
          payload: signPair(p, other(p), { ...c, quantumCount: 0, tokens: '0', volume: 0 }),
          expect: { code: 'CHANNEL_NOT_FOUND', txs: 0 },
        };
      }
      const ch =
        open.length && (r < 0.75 || !closed.length)
          ? rnd.pick(open)
          : rnd.pick(closed.length ? closed : open);
      const price = BigInt(ch.c.priceTokens);
      const qb = q(ch.c.priceQuantumPower);
      const planned = ch.c.plannedQuantumCount;
      // valid figures: zero, a whole number of quanta, or a started quantum
      let volume: number;
      const vr = rnd.next();
      if (vr < 0.3) volume = 0;
      else if (vr < 0.55) volume = Number(qb) * rnd.int(1, Math.min(planned, 2));
      else if (vr < 0.8) volume = rnd.int(1, Number(qb) * Math.min(planned, 3));
      else volume = rnd.int(1, Number(qb) * planned);
      const qc = Number((BigInt(volume) + qb - 1n) / qb);
      let fig = { quantumCount: qc, tokens: (price * BigInt(qc)).toString(), volume };
      let payer = ch.payer;
      let payee = ch.payee;
      let c = { ...ch.c };
      let code = 'OK';
      const v = rnd.next();
      if (v < 0.05) {
        fig = { ...fig, tokens: (price * BigInt(qc) + 1n).toString() };
        code = 'BAD_SETTLEMENT';
      } else if (v < 0.09) {
        // one quantum more than the bytes need (or more than planned)
        fig = { quantumCount: qc + 1, tokens: (price * BigInt(qc + 1)).toString(), volume };
        code = 'BAD_SETTLEMENT';
      } else if (v < 0.11) {
        fig = {
          quantumCount: planned,
          tokens: (price * BigInt(planned)).toString(),
          volume: Number(qb) * planned + 1,
        };
        code = 'BAD_SETTLEMENT';
      } else if (v < 0.14) {
        c = { ...c, priceTokens: (price + 1n).toString() };
        fig = { ...fig, tokens: ((price + 1n) * BigInt(qc)).toString() };
        code = 'CHANNEL_CONFLICT';
      } else if (v < 0.17) {
        // signed by the wrong pair of keys: not the contract that was opened
        if (rnd.chance(0.5)) [payer, payee] = [payee, payer];
        else payee = other(payee);
        code = payer === ch.payer && payee === ch.payee ? 'OK' : 'CHANNEL_CONFLICT';
      } else if (v < 0.19) {
        return {
          kind: 'close-transfer-malformed',
          conn: payer,
          cmd: 16,
          payload: signPair(payer, payee, { ...c, ...fig, volume: -1 }),
          expect: { code: 'BAD_PAYLOAD', txs: 0 },
        };
      } else if (v < 0.21) {
        return {
          kind: 'close-transfer-badsig',
          conn: payer,
          cmd: 16,
          payload: signPair(payer, payee, { ...c, ...fig }, 'to'),
          expect: { code: 'BAD_SIGNATURE', txs: 0 },
        };
      } else if (!ch.open && ch.settlement && rnd.chance(0.5)) {
        fig = { ...ch.settlement }; // an identical repeat
      }
      if (code === 'OK' && !ch.open) {
        const same = JSON.stringify(fig) === JSON.stringify(ch.settlement);
        code = same ? 'OK' : 'CHANNEL_CONFLICT';
        return {
          kind: same ? 'close-transfer-repeat' : 'close-transfer-conflict',
          conn: payer,
          cmd: 16,
          payload: signPair(payer, payee, { ...c, ...fig }),
          expect: { code, txs: 0 },
        };
      }
      return {
        kind: 'close-transfer',
        conn: payer,
        cmd: 16,
        payload: signPair(payer, payee, { ...c, ...fig }),
        expect: {
          code,
          txs: 1,
          onOk: () => {
            const reserve = price * BigInt(planned);
            const bytes = BigInt(planned) * qb;
            const tokens = BigInt(fig.tokens);
            const paid = BigInt(fig.quantumCount) * qb;
            const s = byAddress.get(ch.c.fromAddress)!;
            s.amount -= tokens;
            s.qv += paid;
            s.vol += BigInt(fig.volume);
            s.reserved -= reserve;
            s.planned -= bytes;
            s.openCh -= 1;
            const cm = commons[ch.payee]!;
            if (ch.toCommon) cm.profit += tokens;
            else {
              const i = byAddress.get(ch.c.toAddress)!;
              i.amount += tokens;
              i.qv += paid;
              i.vol += BigInt(fig.volume);
              i.reserved -= reserve;
              i.planned -= bytes;
              i.openCh -= 1;
            }
            cm.fact += tokens;
            cm.plan -= reserve;
            ch.open = false;
            ch.settlement = fig;
            addTx([ch.payer, ch.payee]);
          },
        },
      };
    };

    const genCloseAddress = (kind: 'spend' | 'income'): ReturnType<Gen> => {
      const cmd = kind === 'spend' ? 64 : 32;
      const a = pickAddr(kind, 0.8);
      const r = rnd.next();
      let address = a?.address ?? unknownAddress(kind);
      const signer = a && rnd.chance(0.85) ? a.owner : peerIdx();
      let code: string;
      if (r < 0.05) {
        address = pickAddr(kind === 'spend' ? 'income' : 'spend', 0.5)?.address ?? 'nonsense';
        code = 'BAD_ADDRESS';
      } else if (r < 0.08) {
        address = badChecksum(address);
        code = 'BAD_ADDRESS';
      } else if (r < 0.12) {
        address = unknownAddress(kind);
        code = 'ADDRESS_NOT_FOUND';
      } else if (r < 0.15) {
        // signed by someone else than the pk claims
        const m = JSON.stringify({ address, pk: peers[signer]!.publicPem });
        return {
          kind: `close-${kind}-badsig`,
          conn: signer,
          cmd,
          payload: { message: m, pk: peers[signer]!.publicPem, sign: peers[other(signer)]!.sign(m) },
          expect: { code: 'BAD_SIGNATURE', txs: 0 },
        };
      } else if (r < 0.18) {
        // message.pk is another key than the signer's
        const m = JSON.stringify({ address, pk: peers[other(signer)]!.publicPem });
        return {
          kind: `close-${kind}-keymismatch`,
          conn: signer,
          cmd,
          payload: { message: m, pk: peers[signer]!.publicPem, sign: peers[signer]!.sign(m) },
          expect: { code: 'KEY_MISMATCH', txs: 0 },
        };
      } else {
        const m = byAddress.get(address);
        if (!m) code = 'ADDRESS_NOT_FOUND';
        else if (!m.open) code = 'ADDRESS_CLOSED';
        else if (m.owner !== signer) code = 'NOT_OWNER';
        else if (m.openCh > 0) code = 'OPEN_CHANNELS';
        else code = 'OK';
      }
      const m = byAddress.get(address);
      return {
        kind: `close-${kind}`,
        conn: signer,
        cmd,
        payload: peers[signer]!.json({ address }),
        expect: {
          code,
          txs: kind === 'income' && m && m.amount > 0n ? 2 : 1,
          onOk: (res) => {
            const before = {
              amount: m!.amount.toString(),
              quantumVolume: Number(m!.qv),
              volume: Number(m!.vol),
            };
            expect((res as { state: unknown }).state).toEqual(before);
            if (kind === 'income' && m!.amount > 0n) {
              commons[m!.owner]!.profit += m!.amount;
              addTx([m!.owner]);
            } else tracker += m!.amount;
            m!.amount = 0n;
            m!.open = false;
            addTx([m!.owner]);
          },
        },
      };
    };

    const genRead = (): ReturnType<Gen> => {
      const p = peerIdx();
      const r = rnd.next();
      if (r < 0.35) {
        const kind = rnd.chance(0.5) ? 'spend' : 'income';
        const a = pickAddr(kind, 0.7);
        const address = a?.address ?? unknownAddress(kind);
        const code = !a ? 'ADDRESS_NOT_FOUND' : a.open ? 'OK' : 'ADDRESS_CLOSED';
        return {
          kind: `read-${kind}`,
          conn: p,
          cmd: kind === 'spend' ? 256 : 128,
          payload: peers[p]!.json({ address }),
          expect: {
            code,
            txs: 0,
            onOk: (res) => {
              const s = res as AddressState;
              expect({ current: s.current, limit: s.limit, price: s.price }).toEqual(stateOf(a!));
              expect(s.address).toBe(a!.address);
            },
          },
        };
      }
      if (r < 0.55) {
        const target = peerIdx();
        const address = rnd.chance(0.2)
          ? commonAddressOf(peers[target]!.publicPem.trimEnd())
          : peers[target]!.commonAddress;
        return {
          kind: 'read-common',
          conn: p,
          cmd: 8192,
          payload: peers[p]!.json({ address }),
          expect: {
            code: 'OK',
            txs: 0,
            onOk: (res) => {
              const m = commons[target]!;
              expect((res as CommonState).state).toEqual({
                own: { fact: m.fact.toString(), plan: m.plan.toString() },
                foreign: { fact: '0', plan: '0' },
                profit: m.profit.toString(),
              });
            },
          },
        };
      }
      if (r < 0.75) {
        const ch = chans.length && rnd.chance(0.85) ? rnd.pick(chans) : undefined;
        const channelId = ch?.c.channelId ?? `nope-${rnd.int(1, 1e6)}`;
        return {
          kind: 'read-channel',
          conn: p,
          cmd: 512,
          payload: peers[p]!.json({ channelId }),
          expect: {
            code: 'OK',
            txs: 0,
            onOk: (res) => expect((res as { state: number }).state).toBe(!ch ? 1 : ch.open ? 2 : 4),
          },
        };
      }
      return {
        kind: 'read-history',
        conn: p,
        cmd: 1024,
        payload: peers[p]!.json({ limits: { pageSize: rnd.int(1, 50), page: rnd.int(1, 3) } }),
        expect: {
          code: 'OK',
          txs: 0,
          onOk: (res) => expect((res as { _meta: { totalCount: number } })._meta.totalCount).toBe(txsOf[p]),
        },
      };
    };

    const genGarbage = (): ReturnType<Gen> => {
      const p = peerIdx();
      const peer = peers[p]!;
      const r = rnd.int(0, 9);
      switch (r) {
        case 0:
          return {
            kind: 'garbage-not-json',
            conn: p,
            cmd: 0,
            text: '{"cmd": 4, "corrToken": ',
            expect: { code: 'BAD_FRAME', txs: 0 },
          };
        case 1:
          return {
            kind: 'garbage-no-payload',
            conn: p,
            cmd: 0,
            text: JSON.stringify({ cmd: 4, corrToken: 'x' }),
            expect: { code: 'BAD_FRAME', txs: 0 },
          };
        case 2:
          return {
            kind: 'garbage-unknown-cmd',
            conn: p,
            cmd: rnd.pick([0, 3, 7, 16384]),
            payload: peer.pemPayload(),
            expect: { code: 'UNKNOWN_COMMAND', txs: 0 },
          };
        case 3:
          return {
            kind: 'garbage-empty-payload',
            conn: p,
            cmd: rnd.pick([2, 4, 8, 16, 64]),
            payload: {},
            expect: { code: 'BAD_PAYLOAD', txs: 0 },
          };
        case 4:
          return {
            kind: 'garbage-ec-key',
            conn: p,
            cmd: 4,
            payload: { message: ecPem, pk: ecPem, sign: 'AAAA' },
            expect: { code: 'BAD_KEY', txs: 0 },
          };
        case 5: {
          const sign = signMessage(weakRsa.publicPem, weakRsa.privatePem);
          return {
            kind: 'garbage-weak-rsa',
            conn: p,
            cmd: 2,
            payload: { message: weakRsa.publicPem, pk: weakRsa.publicPem, sign },
            expect: { code: 'BAD_KEY', txs: 0 },
          };
        }
        case 6:
          return {
            kind: 'garbage-cursor',
            conn: p,
            cmd: 2048,
            payload: peer.json({ cursorId: '00000000-0000-4000-8000-000000000000', page: 1 }),
            expect: { code: 'CURSOR_NOT_FOUND', txs: 0 },
          };
        case 7:
          return {
            kind: 'garbage-json-message',
            conn: p,
            cmd: 64,
            payload: (() => {
              const m = 'not json';
              return { message: m, pk: peer.publicPem, sign: peer.sign(m) };
            })(),
            expect: { code: 'BAD_PAYLOAD', txs: 0 },
          };
        case 8:
          return {
            kind: 'garbage-address-type',
            conn: p,
            cmd: 256,
            payload: peer.json({ address: 12345 }),
            expect: { code: 'BAD_PAYLOAD', txs: 0 },
          };
        default:
          return {
            kind: 'garbage-common-bad',
            conn: p,
            cmd: 8192,
            payload: peer.json({ address: badChecksum(peer.commonAddress) }),
            expect: { code: 'BAD_ADDRESS', txs: 0 },
          };
      }
    };

    const gens: [number, Gen][] = [
      [9, () => genOpenAddress('spend')],
      [7, () => genOpenAddress('income')],
      [26, genOpenTransfer],
      [24, genCloseTransfer],
      [7, () => genCloseAddress('spend')],
      [7, () => genCloseAddress('income')],
      [13, genRead],
      [7, genGarbage],
    ];
    const totalWeight = gens.reduce((s, [w]) => s + w, 0);
    const generate = () => {
      let x = rnd.next() * totalWeight;
      for (const [w, g] of gens) {
        if ((x -= w) < 0) return g();
      }
      return gens[0]![1]();
    };

    // ------------------------------------------------------------ checks
    const checkpoint = async (label: string) => {
      expect(await auditLedger(db, INITIAL, { verifySignatures: true }), `audit at ${label}`).toEqual([]);
      expect(await db.totalBalance(), `conservation at ${label}`).toBe(INITIAL);
      expect((await db.tracker()).amount, `tracker balance at ${label}`).toBe(tracker.toString());
      expect((await db.tracker()).address).toBe(trackerAddress);
      for (const a of addrs) {
        const row = (await db.address(a.address))!;
        expect(
          {
            status: row.status,
            amount: row.amount,
            reserved: row.reserved,
            planned: row.planned_bytes,
            qv: row.quantum_volume,
            vol: row.volume,
            openCh: row.open_channels,
          },
          `${a.kind} ${a.address} at ${label}`,
        ).toEqual({
          status: a.open ? 1 : 2,
          amount: a.amount.toString(),
          reserved: a.reserved.toString(),
          planned: a.planned.toString(),
          qv: a.qv.toString(),
          vol: a.vol.toString(),
          openCh: a.openCh,
        });
        expect(BigInt(row.amount) >= 0n && BigInt(row.reserved) >= 0n).toBe(true);
        if (a.kind === 'spend')
          expect(BigInt(row.amount) >= BigInt(row.reserved), 'reservations ≤ funds').toBe(true);
      }
      for (let i = 0; i < PEERS; i++) {
        const row = await db.common(peers[i]!.commonAddress);
        const m = commons[i]!;
        expect(
          row
            ? { profit: row.profit, fact: row.fact, plan: row.plan }
            : { profit: '0', fact: '0', plan: '0' },
        ).toEqual({
          profit: m.profit.toString(),
          fact: m.fact.toString(),
          plan: m.plan.toString(),
        });
      }
      expect((await db.channels()).length).toBe(chans.length);
    };

    let fp: Fingerprint = await db.fingerprint();
    const started = Date.now();
    for (let step = 1; step <= STEPS; step++) {
      const g = generate();
      const client = clients[g.conn]!;
      const frame: Frame =
        g.text !== undefined ? await client.sendText(g.text) : await call(client, g.cmd, g.payload);
      const got = frame.error === undefined ? 'OK' : (codeOf(frame) ?? frame.error);
      const where = `step ${step} (${g.kind}, seed ${SEED})`;
      expect(got, `${where}: ${frame.error ?? ''}`).toBe(g.expect.code);
      const after = await db.fingerprint();
      stats.byKind.set(g.kind, (stats.byKind.get(g.kind) ?? 0) + 1);
      stats.byCode.set(got, (stats.byCode.get(got) ?? 0) + 1);
      if (got !== 'OK' || g.expect.txs === 0 || !g.expect.onOk || g.kind.endsWith('repeat')) {
        // refusals, reads and idempotent repeats change nothing at all
        expect(after, `${where}: state changed`).toEqual(fp);
        if (got === 'OK') {
          g.expect.onOk?.(ok(frame, pem));
          stats.noop++;
        } else stats.refused++;
        expect(client.closeCode, `${where}: connection stays usable`).toBeNull();
      } else {
        g.expect.onOk(ok(frame, pem));
        expect(after.txCount - fp.txCount, `${where}: transactions added`).toBe(g.expect.txs);
        expect(after.hash).not.toBe(fp.hash);
        stats.ok++;
      }
      fp = after;
      if (step % CHECKPOINT_EVERY === 0) await checkpoint(`step ${step}`);
    }
    await checkpoint('end of the sequential run');
    const elapsed = Date.now() - started;

    console.info(
      `invariants: ${STEPS} commands in ${elapsed} ms — ${stats.ok} writes, ${stats.noop} reads/repeats, ${stats.refused} refused; ` +
        `${addrs.length} addresses, ${chans.length} channels; codes ${JSON.stringify(Object.fromEntries(stats.byCode))}`,
    );
    // the run must have exercised the interesting paths, not just refusals
    const seen = (code: string) => stats.byCode.get(code) ?? 0;
    for (const code of [
      'OK',
      'NOT_OWNER',
      'ADDRESS_CLOSED',
      'ADDRESS_NOT_FOUND',
      'BAD_ADDRESS',
      'PRICE_OUT_OF_BOUNDS',
      'INSUFFICIENT_LIMIT',
      'CHANNEL_CONFLICT',
      'BAD_SETTLEMENT',
      'BAD_SIGNATURE',
      'KEY_MISMATCH',
      'OPEN_CHANNELS',
      'TOO_MANY_ADDRESSES',
      'NO_FUNDS',
      'BAD_PAYLOAD',
      'BAD_KEY',
      'BAD_FRAME',
      'UNKNOWN_COMMAND',
      'CHANNEL_NOT_FOUND',
    ]) {
      expect(seen(code), `${code} never happened`).toBeGreaterThan(0);
    }
    expect(stats.ok).toBeGreaterThan(STEPS / 5);
    expect(chans.filter((c) => !c.open).length).toBeGreaterThan((100 * STEPS) / 2600);
  });

  it(
    'keeps the invariants under pipelined commands from all peers at once',
    { timeout: 60_000 },
    async () => {
      // Each peer pipelines, without waiting: a fresh spend + income address of its own, then
      // transfer open/close pairs towards the next peer's open income address, reads in between.
      const rnd = prng(SEED ^ 0xabcdef);
      const before = await db.txCount();
      const jobs: Promise<Frame>[] = [];
      let n = 0;
      for (let p = 0; p < PEERS; p++) {
        const payer = peers[p]!;
        const client = clients[p]!;
        const spends = addrs.filter(
          (a) => a.owner === p && a.kind === 'spend' && a.open && a.amount - a.reserved >= 1000n,
        );
        const payee = (p + 1) % PEERS;
        const incomes = addrs.filter((a) => a.owner === payee && a.kind === 'income' && a.open);
        jobs.push(call(client, 4, payer.pemPayload()), call(client, 2, payer.pemPayload()));
        for (let k = 0; k < 30; k++) {
          const s = spends.length ? rnd.pick(spends) : undefined;
          const i = incomes.length ? rnd.pick(incomes) : undefined;
          const c = {
            channelId: `burst-${p}-${k}`,
            fromAddress: s?.address ?? unknownAddress(),
            toAddress: i && rnd.chance(0.7) ? i.address : peers[payee]!.commonAddress,
            priceTokens: String(rnd.int(Number(INCOME_MIN), Number(SPEND_MAX))),
            priceQuantumPower: 20,
            plannedQuantumCount: rnd.int(1, 3),
          };
          const msg = (extra: Record<string, unknown> = {}) => {
            const message = JSON.stringify({
              fromPK: payer.publicPem,
              toPK: peers[payee]!.publicPem,
              ...c,
              ...extra,
            });
            return {
              message,
              fromPK: payer.publicPem,
              fromSign: payer.sign(message),
              toPK: peers[payee]!.publicPem,
              toSign: peers[payee]!.sign(message),
            };
          };
          const qc = rnd.int(0, c.plannedQuantumCount);
          jobs.push(call(client, 8, msg()));
          jobs.push(
            call(
              client,
              16,
              msg({ quantumCount: qc, tokens: String(Number(c.priceTokens) * qc), volume: qc * 1048576 }),
            ),
          );
          if (rnd.chance(0.3)) jobs.push(call(client, 8, msg())); // a late repeat of the open
          if (rnd.chance(0.3)) jobs.push(call(client, 256, payer.json({ address: c.fromAddress })));
          n++;
        }
        for (const s of spends.slice(0, 1)) jobs.push(call(client, 64, payer.json({ address: s.address })));
      }
      const frames = await Promise.all(jobs);
      expect(frames.length).toBeGreaterThan(2 * n);
      expect(frames.every((f) => f.error === undefined || /^[A-Z_]+: /.test(f.error))).toBe(true);
      // the burst did real work: channels opened and settled while other peers wrote in between
      const settled = (await db.channels()).filter(
        (c) => c.channel_id.startsWith('burst-') && c.status === 4,
      );
      expect(settled.length).toBeGreaterThan(20);
      expect(await db.txCount()).toBeGreaterThan(before);
      expect(await auditLedger(db, INITIAL, { verifySignatures: true })).toEqual([]);
      expect(await db.totalBalance()).toBe(INITIAL);
      for (const c of clients) expect(c.closeCode).toBeNull();

      function unknownAddress() {
        return channelAddressOf('spend', pem, peers[0]!.publicPem, 42);
      }
    },
  );
});
