/**
 * Assertions shared by the tests/integration/ledger-*.test.ts command suites: a session pinned to the
 * tracker key of its handshake, success frames checked (signature, corrToken, exData, `pk`), error frames
 * checked (code, corrToken echoed), and "a refusal changes nothing" checked against the database.
 */
import { LedgerDb } from './ledger-db';
import { isPostgres } from './ledger-backend';
import { expect } from 'vitest';
import { RawClient, type Frame, type TestPeer } from './raw-client';
import { verifyMessage } from '../../shared/crypto/sign';
import { canonicalJson } from '../../shared/protocol/schemas';

export const MINUTE = 60_000;
export const Q20 = 2 ** 20;

export interface AddressState {
  address: string;
  current: { amount: string; quantumVolume: number; volume: number };
  limit: { amount: string; quantumVolume: number };
  price: { amount: string; quantumPower: number };
  pk: string;
  timeLock: number;
  lifetime?: number;
}

export interface CommonState {
  address: string;
  state: { own: { fact: string; plan: string }; foreign: { fact: string; plan: string }; profit: string };
  pk: string;
}

export interface TxItem {
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from: string;
  to: string;
  amount: number;
  volume: number;
  quantum_count: number;
  contract_id: string;
  price_amount: number;
  price_quantum_power: number;
  planned_quantum_count: number;
  timelock: number;
  timestamp: number;
  status: number;
  version: string;
  pk: string;
  sign: string;
}

export interface FirstPage {
  _meta: { cursorId: string; totalCount: number; pageCount: number; currentPage: number; perPage: number };
  items: TxItem[];
}

export const ITEM_KEYS = [
  'amount',
  'contract_id',
  'from',
  'parent_tx_id',
  'pk',
  'planned_quantum_count',
  'price_amount',
  'price_quantum_power',
  'quantum_count',
  'sign',
  'status',
  'timelock',
  'timestamp',
  'to',
  'tx_id',
  'tx_type',
  'version',
  'volume',
];

let tokenSeq = 0;
/** A fresh corrToken, unique in this process. */
export function token(): string {
  return `ct-${process.pid}-${++tokenSeq}`;
}

const TABLES = ['meta', 'addresses', 'commons', 'common_aliases', 'channels', 'transactions', 'tx_parties'];

/**
 * Every row of every tracker table (read-only): equal fingerprints mean the command changed nothing.
 * Item signatures are left out: the tracker stores them after the commit, in the background.
 * `db` is the SQLite file or the PostgreSQL URL of the tracker.
 */
export async function dbFingerprint(db: string): Promise<string> {
  return withView(db, async (l) => {
    const parts: string[] = [];
    for (const t of TABLES) {
      const rows = await l.query<Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY 1, 2`);
      parts.push(`${t}:${JSON.stringify(rows.map(({ sign: _sign, ...row }) => row))}`);
    }
    return parts.join('\n');
  });
}

/** Runs one read-only query (`?` placeholders) on the tracker's database. */
export function dbQuery<T>(db: string, sql: string, ...params: unknown[]): Promise<T[]> {
  return withView(db, (l) => l.query<T>(sql, ...params));
}

/**
 * PostgreSQL views stay open for the file: a connection is a server process, and every refusal
 * checks the database twice (opening one per check made the command suites several times slower).
 * A view whose query fails is closed and forgotten (the server may have been stopped meanwhile).
 * A SQLite view is opened per use: cheap, and it never holds a file a test replaces.
 */
const pgViews = new Map<string, Promise<LedgerDb>>();

async function withView<T>(db: string, work: (l: LedgerDb) => Promise<T>): Promise<T> {
  if (!isPostgres(db)) {
    const l = await LedgerDb.open(db);
    try {
      return await work(l);
    } finally {
      await l.close();
    }
  }
  let view = pgViews.get(db);
  if (!view) {
    view = LedgerDb.open(db);
    pgViews.set(db, view);
    view.catch(() => pgViews.delete(db));
  }
  const l = await view;
  try {
    return await work(l);
  } catch (e) {
    pgViews.delete(db);
    await l.close().catch(() => undefined);
    throw e;
  }
}

export async function txCount(db: string): Promise<number> {
  return (await dbQuery<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM transactions'))[0]!.n;
}

/** The tracker wallet's balance (the row of kind 'tracker'), as stored. */
export async function trackerBalance(db: string): Promise<bigint> {
  return BigInt(
    (await dbQuery<{ amount: string }>(db, `SELECT amount FROM addresses WHERE kind = 'tracker'`))[0]!.amount,
  );
}

/** A one-signer payload over any message (for malformed-payload tests). */
export function single(signer: TestPeer, message: string, pk = signer.publicPem) {
  return { message, pk, sign: signer.sign(message) };
}

/** A two-signer payload over an exact message string, with optional outer keys. */
export function double(
  message: string,
  from: TestPeer,
  to: TestPeer,
  fromPK = from.publicPem,
  toPK = to.publicPem,
) {
  return { message, fromPK, fromSign: from.sign(message), toPK, toSign: to.sign(message) };
}

/** True when an item's `sign` is the tracker's signature over the canonical JSON of the rest. */
export function itemSignatureValid(item: TxItem, trackerPem: string): boolean {
  const { sign, ...rest } = item;
  return verifyMessage(canonicalJson(rest), sign, trackerPem);
}

/** One WebSocket connection whose every answer is verified with the key pinned at its handshake. */
export class Session {
  trackerPem = '';

  private constructor(
    readonly client: RawClient,
    /** The tracker's database (SQLite file or PostgreSQL URL). */
    readonly db: string,
    readonly peer: TestPeer,
  ) {}

  static async open(url: string, db: string, peer: TestPeer): Promise<Session> {
    const s = new Session(await RawClient.connect(url), db, peer);
    const f = await s.client.request(1, peer.pemPayload(), token());
    expect(f.error).toBeUndefined();
    const data = f.data as { message: string; sign: string };
    expect(verifyMessage(data.message, data.sign, data.message)).toBe(true);
    s.trackerPem = data.message;
    return s;
  }

  close(): void {
    this.client.close();
  }

  /** A success frame: cmd and corrToken echoed, exData ordered, message signed by the pinned key. */
  async ok<T = Record<string, unknown>>(cmd: number, payload: unknown): Promise<T> {
    const corrToken = token();
    const f = await this.client.request(cmd, payload, corrToken);
    if (f.error !== undefined) throw new Error(`cmd ${cmd} refused: ${f.error}`);
    expect(f.cmd).toBe(cmd);
    expect(f.corrToken).toBe(corrToken);
    const data = f.data as { message: string; sign: string };
    expect(Object.keys(data).sort()).toEqual(['message', 'sign']);
    expect(verifyMessage(data.message, data.sign, this.trackerPem), `cmd ${cmd} response signature`).toBe(
      true,
    );
    const ex = f.exData as { beforeCreate: number; created: number; handled: number };
    for (const k of ['beforeCreate', 'created', 'handled'] as const)
      expect(Number.isInteger(ex[k])).toBe(true);
    expect(ex.beforeCreate).toBeLessThanOrEqual(ex.created);
    expect(ex.created).toBeLessThanOrEqual(ex.handled);
    // Nanoseconds since the epoch: within a minute of this machine's clock.
    expect(Math.abs(ex.handled / 1e6 - Date.now())).toBeLessThan(MINUTE);
    if (cmd === 1) return data.message as T;
    const result = JSON.parse(data.message) as Record<string, unknown>;
    if (cmd === 1024 || cmd === 2048) expect(result).not.toHaveProperty('pk');
    else expect(result.pk).toBe(this.trackerPem);
    return result as T;
  }

  /** An error frame with the given code: corrToken echoed in `corrToken` and `data`, no `cmd`. */
  async fail(cmd: number, payload: unknown, code: string): Promise<Frame> {
    const corrToken = token();
    const f = await this.client.request(cmd, payload, corrToken);
    expect(f.error, `cmd ${cmd}: expected ${code}`).toMatch(new RegExp(`^${code}: \\S`));
    expect(f.corrToken).toBe(corrToken);
    expect(f.data).toBe(corrToken);
    expect(f.cmd).toBeUndefined();
    if (f.exData !== undefined) expect(f.exData).not.toHaveProperty('handled');
    return f;
  }

  /** The verified result, or the error code when refused (for state reads that may fail). */
  async probe(cmd: number, payload: unknown): Promise<unknown> {
    const corrToken = token();
    const f = await this.client.request(cmd, payload, corrToken);
    if (f.error !== undefined) {
      expect(f.corrToken).toBe(corrToken);
      return f.error.split(':')[0];
    }
    return this.checkSuccess(cmd, f);
  }

  private checkSuccess(cmd: number, f: Frame): unknown {
    const data = f.data as { message: string; sign: string };
    expect(verifyMessage(data.message, data.sign, this.trackerPem)).toBe(true);
    return cmd === 1 ? data.message : (JSON.parse(data.message) as unknown);
  }

  /**
   * A refused command: the error code; the database file and the given reads are the same before and
   * after; the reads (or a handshake) on this same connection show it is still usable.
   */
  async refused(cmd: number, payload: unknown, code: string, reads?: () => Promise<unknown>): Promise<Frame> {
    const read = reads ?? (() => this.ok(1, this.peer.pemPayload()));
    const dbBefore = await dbFingerprint(this.db);
    const before = await read();
    const f = await this.fail(cmd, payload, code);
    expect(await dbFingerprint(this.db)).toBe(dbBefore);
    expect(await read()).toEqual(before);
    return f;
  }

  spendState(reader: TestPeer, address: string): Promise<AddressState> {
    return this.ok<AddressState>(256, reader.json({ address }));
  }

  incomeState(reader: TestPeer, address: string): Promise<AddressState> {
    return this.ok<AddressState>(128, reader.json({ address }));
  }

  common(reader: TestPeer, address: string): Promise<CommonState> {
    return this.ok<CommonState>(8192, reader.json({ address }));
  }

  async channelState(reader: TestPeer, channelId: string): Promise<number> {
    return (await this.ok<{ state: number }>(512, reader.json({ channelId }))).state;
  }

  /** The newest `n` history items of a peer (one fresh cursor). */
  async history(peer: TestPeer, n = 1000, extra: Record<string, unknown> = {}): Promise<FirstPage> {
    return this.ok<FirstPage>(1024, peer.json({ limits: { pageSize: n, page: 1 }, ...extra }));
  }
}
