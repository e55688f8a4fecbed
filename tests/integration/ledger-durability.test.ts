/**
 * Durability (SPEC §6: every command is atomic and durable once answered): a client streams
 * writes over several connections, the tracker is SIGKILLed mid-stream, restarted on the same
 * files, and every answered command must be there with the answered figures, nothing may be half
 * applied (full ledger audit), and the tracker key must be the same. Three kill points, then a
 * clean stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_BACKEND } from '../helpers/ledger-backend';
import { startLedger, tempDir, type LedgerProcess } from '../helpers/ledger-process';
import { RawClient, TestPeer, twoSigned } from '../helpers/raw-client';
import { LedgerDb, auditLedger } from '../helpers/ledger-db';
import { call, codeOf, fullHistory, ok, type AddressState } from '../helpers/tracker-session';
import { normalizePem, parsePrivateKey, publicPemOf } from '../../shared/crypto/keys';
import { metric, metricsOf } from '../helpers/tracker-http';

const INITIAL = 1_000_000_000_000n;
const ENV = {
  TLPRT_LEDGER_AMOUNT_INITIAL: String(INITIAL),
  TLPRT_LEDGER_AMOUNT_SPEND: '11000',
  TLPRT_LEDGER_PRICE_AMOUNT_SPEND: '1100',
  TLPRT_LEDGER_PRICE_AMOUNT_INCOME: '900',
  TLPRT_LEDGER_QUANTUM_POWER: '20',
  TLPRT_LEDGER_SPEND_CHANNEL_LIFETIME: '30',
  TLPRT_LEDGER_INCOME_CHANNEL_LIFETIME: '30',
  TLPRT_LEDGER_TRANSFER_CHANNEL_LIFETIME: '30',
  TLPRT_LEDGER_MAX_OPEN_ADDRESSES_PER_PEER: '10000',
};
const LOOPS = 4;
const Q = 1 << 20;

type Kind =
  'open-spend' | 'open-income' | 'open-transfer' | 'close-transfer' | 'close-spend' | 'close-income';

interface Sent {
  kind: Kind;
  cmd: number;
  payload: unknown;
  /** what the command is about: an address or a channel id */
  subject: string;
  /** the figures a close-transfer carried */
  figures?: { quantumCount: number; tokens: string; volume: number };
  answer?: unknown;
  error?: string;
}

/** A crash: SIGKILL to the tracker process (it is the server itself), so that no shutdown code runs. */
async function crash(ledger: LedgerProcess): Promise<void> {
  await ledger.stop('SIGKILL');
}

describe('ledger durability across SIGKILL', () => {
  const dir = tempDir('wt-ledger-durable-');
  const peers: TestPeer[] = [];
  const answered: Sent[] = [];
  let pinnedPem: string | undefined;
  const launched: LedgerProcess[] = []; // every tracker started here, stopped in afterAll even after a failure
  let cycle = 0;
  /** Per round, before the crash: write commands committed, and commits (group commit). */
  const groups: Promise<{ commands: number; commits: number } | null>[] = [];

  beforeAll(() => {
    for (let i = 0; i < LOOPS; i++) peers.push(new TestPeer());
  });
  afterAll(async () => {
    for (const l of launched) await l.stop();
  });

  /** Starts the tracker on the same directory and checks the key did not change. */
  async function start(): Promise<{ ledger: LedgerProcess; client: RawClient; pem: string }> {
    const ledger = await startLedger({ dir, env: ENV, args: ['--quiet'] });
    launched.push(ledger);
    const client = await RawClient.connect(ledger.url);
    const hs = await call(client, 1, peers[0]!.pemPayload());
    const pem = (hs.data as { message: string }).message;
    ok(hs, pem);
    if (pinnedPem === undefined) pinnedPem = pem;
    expect(pem, 'the tracker key survives restarts').toBe(pinnedPem);
    return { ledger, client, pem };
  }

  /**
   * Streams writes from LOOPS connections (each: open spend, open income, three pipelined
   * transfer open+close pairs, close spend, close income, repeat) and crashes the tracker right
   * after the `killAt`-th answered success. Returns the commands sent but never answered.
   */
  async function streamAndCrash(
    l: LedgerProcess,
    pem: string,
    killAt: number,
  ): Promise<{ unanswered: Sent[]; inFlightAtKill: number }> {
    cycle++;
    const clients = await Promise.all(peers.map(() => RawClient.connect(l.url)));
    const inFlight = new Set<Sent>();
    const unanswered: Sent[] = [];
    let successes = 0;
    let killing: Promise<void> | undefined;
    let inFlightAtKill = 0;

    const send = async (client: RawClient, s: Sent): Promise<unknown> => {
      inFlight.add(s);
      let frame;
      try {
        frame = await call(client, s.cmd, s.payload);
      } catch (e) {
        unanswered.push(s);
        throw e;
      } finally {
        inFlight.delete(s);
      }
      if (frame.error !== undefined) {
        s.error = frame.error;
        answered.push(s);
        throw new Error(`cycle ${cycle}: ${s.kind} ${s.subject} refused: ${frame.error}`);
      }
      s.answer = ok(frame, pem);
      answered.push(s);
      if (++successes === Math.ceil(killAt / 2)) {
        groups.push(
          metricsOf(l.port).then(
            (m) => ({
              commands: metric(m, 'tracker_db_commit_commands_sum'),
              commits: metric(m, 'tracker_db_commit_commands_count'),
            }),
            () => null, // the crash came first
          ),
        );
      }
      if (successes === killAt) {
        inFlightAtKill = inFlight.size;
        killing = crash(l);
      }
      return s.answer;
    };

    const loop = async (i: number): Promise<void> => {
      const client = clients[i]!;
      const payer = peers[i]!;
      const payee = peers[(i + 1) % LOOPS]!;
      for (let j = 0; ; j++) {
        const os: Sent = { kind: 'open-spend', cmd: 4, payload: payer.pemPayload(), subject: '' };
        const spend = (await send(client, os)) as AddressState;
        os.subject = spend.address;
        const oi: Sent = { kind: 'open-income', cmd: 2, payload: payee.pemPayload(), subject: '' };
        const income = (await send(client, oi)) as AddressState;
        oi.subject = income.address;
        for (let k = 0; k < 3; k++) {
          const contract = {
            channelId: `d${cycle}-${i}-${j}-${k}`,
            fromAddress: spend.address,
            toAddress: k === 2 ? payee.commonAddress : income.address,
            priceTokens: '1000',
            priceQuantumPower: 20,
            plannedQuantumCount: 3,
          };
          const qc = (i + j + k) % 4;
          const figures = { quantumCount: qc, tokens: String(1000 * qc), volume: qc === 0 ? 0 : qc * Q - 7 };
          // open and close pipelined on one connection: the tracker handles them in order
          await Promise.all([
            send(client, {
              kind: 'open-transfer',
              cmd: 8,
              payload: twoSigned(payer, payee, contract),
              subject: contract.channelId,
            }),
            send(client, {
              kind: 'close-transfer',
              cmd: 16,
              payload: twoSigned(payer, payee, { ...contract, ...figures }),
              subject: contract.channelId,
              figures,
            }),
          ]);
        }
        await send(client, {
          kind: 'close-spend',
          cmd: 64,
          payload: payer.json({ address: spend.address }),
          subject: spend.address,
        });
        await send(client, {
          kind: 'close-income',
          cmd: 32,
          payload: payee.json({ address: income.address }),
          subject: income.address,
        });
      }
    };

    const outcomes = await Promise.allSettled(peers.map((_, i) => loop(i)));
    await killing;
    // the server process itself died by SIGKILL: no shutdown code ran
    expect(l.child.signalCode).toBe('SIGKILL');
    for (const c of clients) c.close();
    for (const o of outcomes) {
      expect(o.status).toBe('rejected');
      // every loop ended because the tracker died, never because a command was refused
      expect(String((o as PromiseRejectedResult).reason)).toMatch(/socket closed/);
    }
    expect(killing, `the stream reached ${killAt} successes`).toBeDefined();
    expect(l.child.exitCode !== null || l.child.signalCode !== null).toBe(true);
    return { unanswered, inFlightAtKill };
  }

  /** Every answered command is in the database with the answered figures; the ledger audits clean. */
  async function verify(client: RawClient, pem: string, db: LedgerDb): Promise<void> {
    expect(await auditLedger(db, INITIAL, { verifySignatures: true })).toEqual([]);
    expect(await db.totalBalance()).toBe(INITIAL);
    expect(await db.meta('tracker_pk')).toBe(pem);
    const expectedTx = new Map<string, Set<string>>(); // owner pem → tx ids its history must hold
    const need = (peerPem: string, txId: string | null | undefined) => {
      expect(txId).toBeTruthy();
      const k = normalizePem(peerPem);
      if (!expectedTx.has(k)) expectedTx.set(k, new Set());
      expectedTx.get(k)!.add(txId!);
    };
    const closedChannels = new Set(
      answered.filter((s) => s.kind === 'close-transfer' && !s.error).map((s) => s.subject),
    );
    const closedAddresses = new Set(
      answered
        .filter((s) => (s.kind === 'close-spend' || s.kind === 'close-income') && !s.error)
        .map((s) => s.subject),
    );
    for (const s of answered) {
      expect(s.error, `${s.kind} ${s.subject}`).toBeUndefined();
      switch (s.kind) {
        case 'open-spend':
        case 'open-income': {
          const res = s.answer as AddressState;
          const row = await db.address(res.address);
          expect(row, `answered ${s.kind} ${res.address} is stored`).toBeDefined();
          expect(row!.kind).toBe(s.kind === 'open-spend' ? 'spend' : 'income');
          expect(row!.time_lock).toBe(res.timeLock);
          const open = (await db.txById(row!.open_tx_id))!;
          expect([open.tx_type, open.to_address, open.amount, open.timelock]).toEqual([
            s.kind === 'open-spend' ? 4 : 2,
            res.address,
            res.current.amount,
            res.timeLock,
          ]);
          expect(res.current.amount).toBe(s.kind === 'open-spend' ? '11000' : '0');
          need(row!.owner_pk, row!.open_tx_id);
          if (!closedAddresses.has(res.address)) {
            // still open unless an unanswered close made it: then reads say ADDRESS_CLOSED
            const f = await call(
              client,
              s.kind === 'open-spend' ? 256 : 128,
              peers[0]!.json({ address: res.address }),
            );
            if (row!.status === 1) expect(ok<AddressState>(f, pem).current.amount).toBe(row!.amount);
            else expect(codeOf(f)).toBe('ADDRESS_CLOSED');
          }
          break;
        }
        case 'open-transfer': {
          const c = JSON.parse((s.payload as { message: string }).message) as Record<string, unknown>;
          const ch = await db.channel(s.subject);
          expect(ch, `answered channel ${s.subject} is stored`).toBeDefined();
          expect([ch!.from_address, ch!.to_address, ch!.price_tokens, ch!.planned]).toEqual([
            c.fromAddress,
            c.toAddress,
            '1000',
            '3',
          ]);
          expect(ch!.time_lock).toBe((s.answer as { timeLock: number }).timeLock);
          const open = (await db.txById(ch!.open_tx_id))!;
          expect([open.tx_type, open.contract_id]).toEqual([8, s.subject]);
          need(c.fromPK as string, ch!.open_tx_id);
          need(c.toPK as string, ch!.open_tx_id);
          const state = ok<{ state: number }>(
            await call(client, 512, peers[0]!.json({ channelId: s.subject })),
            pem,
          ).state;
          expect(state).toBe(ch!.status);
          if (closedChannels.has(s.subject)) expect(state).toBe(4);
          break;
        }
        case 'close-transfer': {
          const ch = (await db.channel(s.subject))!;
          expect(ch.status, `answered close of ${s.subject}`).toBe(4);
          expect(JSON.parse(ch.settlement!)).toEqual({
            quantumCount: String(s.figures!.quantumCount),
            tokens: s.figures!.tokens,
            volume: String(s.figures!.volume),
          });
          const close = (await db.txById(ch.close_tx_id!))!;
          expect([close.tx_type, close.amount, close.parent_tx_id]).toEqual([
            16,
            s.figures!.tokens,
            ch.open_tx_id,
          ]);
          const c = JSON.parse((s.payload as { message: string }).message) as Record<string, string>;
          need(c.fromPK!, ch.close_tx_id);
          need(c.toPK!, ch.close_tx_id);
          break;
        }
        case 'close-spend':
        case 'close-income': {
          const row = (await db.address(s.subject))!;
          expect(row.status, `answered close of ${s.subject}`).toBe(2);
          const state = (s.answer as { state: { amount: string; volume: number } }).state;
          const close = (await db.transactions()).filter(
            (t) => t.from_address === s.subject && t.tx_type === (s.kind === 'close-spend' ? 32 : 64),
          );
          expect(close.map((t) => [t.amount, t.volume, t.parent_tx_id])).toEqual([
            [state.amount, String(state.volume), row.open_tx_id],
          ]);
          need(row.owner_pk, close[0]!.tx_id);
          expect(
            codeOf(
              await call(
                client,
                s.kind === 'close-spend' ? 256 : 128,
                peers[0]!.json({ address: s.subject }),
              ),
            ),
          ).toBe('ADDRESS_CLOSED');
          break;
        }
      }
    }
    // history (cmd 1024/2048) of every peer holds every answered transaction that concerns it
    for (const p of peers) {
      const ids = new Set((await fullHistory(client, p, pem, 1000)).map((i) => i.tx_id));
      for (const id of expectedTx.get(normalizePem(p.publicPem)) ?? [])
        expect(ids.has(id), `history of a peer lacks ${id}`).toBe(true);
    }
  }

  /** Repeats the unanswered transfer opens/closes (SPEC §7: cmd 8 and 16 are safe to repeat). */
  async function repeatUnanswered(
    client: RawClient,
    pem: string,
    db: LedgerDb,
    unanswered: Sent[],
  ): Promise<number> {
    let appliedUnanswered = 0;
    const order: Record<Kind, number> = {
      'open-spend': 0,
      'open-income': 0,
      'open-transfer': 1,
      'close-transfer': 2,
      'close-spend': 3,
      'close-income': 3,
    };
    for (const s of [...unanswered].sort((a, b) => order[a.kind] - order[b.kind])) {
      if (s.cmd !== 8 && s.cmd !== 16) continue;
      const before = await db.channel(s.subject);
      const f = await call(client, s.cmd, s.payload);
      expect(f.error, `repeating ${s.kind} ${s.subject} after the crash`).toBeUndefined();
      ok(f, pem);
      const after = (await db.channel(s.subject))!;
      expect(after.status).toBe(s.cmd === 8 ? (before?.status ?? 2) : 4);
      if (before && (s.cmd === 8 || before.status === 4)) {
        expect(after).toEqual(before); // was applied before the crash: a no-op now
        appliedUnanswered++;
      }
    }
    return appliedUnanswered;
  }

  for (const [round, killAt] of [
    [1, 12],
    [2, 57],
    [3, 133],
  ] as const) {
    it(`round ${round}: crash after ${killAt} answered writes, restart, nothing answered is lost`, async () => {
      const first = await start();
      let db = await LedgerDb.open(first.ledger.db);
      await verify(first.client, first.pem, db); // state left by the previous rounds
      const txBefore = await db.txCount();
      await db.close();
      first.client.close();

      const { unanswered, inFlightAtKill } = await streamAndCrash(first.ledger, first.pem, killAt);
      expect(inFlightAtKill, 'the crash hit with commands in flight').toBeGreaterThan(0);

      const again = await start();
      db = await LedgerDb.open(again.ledger.db);
      expect(await db.txCount()).toBeGreaterThan(txBefore);
      await verify(again.client, again.pem, db);
      const applied = await repeatUnanswered(again.client, again.pem, db, unanswered);
      console.info(
        `durability round ${round}: ${inFlightAtKill} in flight at the kill, ${unanswered.length} never answered ` +
          `(${applied} transfer commands among them had been applied), ${answered.length} answered so far`,
      );
      expect(await auditLedger(db, INITIAL)).toEqual([]);
      await db.close();
      again.client.close();
      await again.ledger.stop('SIGTERM');
    });
  }

  it('after the crashes a clean restart still has everything, and the key file was never replaced', async () => {
    const { ledger: l, client, pem } = await start();
    const db = await LedgerDb.open(l.db);
    await verify(client, pem, db);
    expect(answered.length).toBeGreaterThanOrEqual(12 + 57 + 133);
    // SQLite committed the streams in groups (the crashes hit group commits); PostgreSQL commits
    // each command on its own connection
    const g = (await Promise.all(groups)).filter((x) => x !== null);
    expect(g.length).toBeGreaterThan(0);
    const [commands, commits] = [g.reduce((n, x) => n + x.commands, 0), g.reduce((n, x) => n + x.commits, 0)];
    if (LEDGER_BACKEND === 'sqlite') expect(commands).toBeGreaterThan(commits);
    else expect(commands).toBe(commits);
    // one TX_INIT for ever: restarts never re-fund the tracker
    expect((await db.transactions()).filter((t) => t.tx_type === 1).length).toBe(1);
    // the key file beside the database, private to its owner (SPEC §5), and its public half is the pinned key
    const keyFile = join(dir, 'tracker-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(publicPemOf(parsePrivateKey(readFileSync(keyFile, 'utf8')))).toBe(pinnedPem);
    await db.close();
    client.close();
  });
});
