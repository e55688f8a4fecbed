/**
 * Read-only views of a tracker's database for integration tests, on either backend (a SQLite file
 * or a PostgreSQL URL, tests/helpers/ledger-backend.ts): row snapshots, a change fingerprint, and a
 * full audit that replays the transactions table and compares the result with the balance tables
 * (SPEC §4, §6). Never writes (SQLite opened `readonly`).
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { createHash } from 'node:crypto';
import { hashBody } from '../../shared/crypto/address';
import { verifyMessage } from '../../shared/crypto/sign';
import { canonicalJson } from '../../shared/protocol/schemas';
import { toJsonInteger } from '../../shared/protocol/amounts';
import { trackerTypes } from '../../ledger/storage/postgres/types';
import type { AddressRow, ChannelRow, CommonRow } from '../../ledger/engine/rows';
import type { TxRow } from '../../ledger/engine/transactions';
import { isPostgres } from './ledger-backend';

/** The tracker's row shapes (the tables are the tracker's own: the types come from there). */
export type AddressRowView = AddressRow;
export type ChannelRowView = ChannelRow;
export type CommonRowView = CommonRow;
export type TxRowView = TxRow;

export interface Fingerprint {
  txCount: number;
  maxSeq: number;
  partyCount: number;
  /** sha256 over addresses, channels, commons, common_aliases and meta rows. */
  hash: string;
}

/** One SQL text for both backends: `?` placeholders become `$1, $2…` on PostgreSQL. */
interface Connection {
  all<T>(sql: string, params?: unknown[], raw?: boolean): Promise<T[]>;
  close(): Promise<void>;
}

function sqliteConnection(path: string): Connection & { sqlite: Database.Database } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const stmts = new Map<string, Database.Statement>();
  return {
    sqlite: db,
    async all<T>(sql: string, params: unknown[] = [], raw = false) {
      const key = `${raw}:${sql}`;
      let s = stmts.get(key);
      if (!s) {
        s = db.prepare(sql);
        if (raw) s.raw(true);
        stmts.set(key, s);
      }
      return s.all(...params) as T[];
    },
    async close() {
      db.close();
    },
  };
}

async function pgConnection(url: string): Promise<Connection> {
  const client = new pg.Client({ connectionString: url, types: trackerTypes });
  // A connection the server drops while idle (a test stopping the cluster) must not end the test
  // process: its next query rejects instead.
  client.on('error', () => undefined);
  await client.connect();
  return {
    async all<T>(sql: string, params: unknown[] = [], raw = false) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      const r = await client.query({ text, values: params, ...(raw ? { rowMode: 'array' as const } : {}) });
      return r.rows as T[];
    },
    close: () => client.end(),
  };
}

export class LedgerDb {
  private constructor(
    private readonly c: Connection,
    /** The SQLite handle (SQLite-only tests), undefined on PostgreSQL. */
    readonly sqlite: Database.Database | undefined,
  ) {}

  /** A view of the tracker database `db` (a SQLite path or a PostgreSQL URL). */
  static async open(db: string): Promise<LedgerDb> {
    if (isPostgres(db)) return new LedgerDb(await pgConnection(db), undefined);
    const c = sqliteConnection(db);
    return new LedgerDb(c, c.sqlite);
  }

  /** Any read-only query (`?` placeholders). */
  query<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return this.c.all<T>(sql, params);
  }

  private async one<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.c.all<T>(sql, params))[0];
  }

  addresses(): Promise<AddressRowView[]> {
    return this.c.all(`SELECT * FROM addresses ORDER BY address`);
  }
  address(address: string): Promise<AddressRowView | undefined> {
    return this.one(`SELECT * FROM addresses WHERE address = ?`, [address]);
  }
  async tracker(): Promise<AddressRowView> {
    const rows = await this.c.all<AddressRowView>(`SELECT * FROM addresses WHERE kind = 'tracker'`);
    if (rows.length !== 1) throw new Error(`expected one tracker row, found ${rows.length}`);
    return rows[0]!;
  }
  channels(): Promise<ChannelRowView[]> {
    return this.c.all(`SELECT * FROM channels ORDER BY channel_id`);
  }
  channel(id: string): Promise<ChannelRowView | undefined> {
    return this.one(`SELECT * FROM channels WHERE channel_id = ?`, [id]);
  }
  commons(): Promise<CommonRowView[]> {
    return this.c.all(`SELECT * FROM commons ORDER BY address`);
  }
  common(address: string): Promise<CommonRowView | undefined> {
    return this.one(`SELECT * FROM commons WHERE address = ?`, [address]);
  }
  aliases(): Promise<{ alias: string; address: string }[]> {
    return this.c.all(`SELECT alias, address FROM common_aliases`);
  }
  transactions(): Promise<TxRowView[]> {
    return this.c.all(`SELECT * FROM transactions ORDER BY seq`);
  }
  txById(txId: string): Promise<TxRowView | undefined> {
    return this.one(`SELECT * FROM transactions WHERE tx_id = ?`, [txId]);
  }
  async txCount(): Promise<number> {
    return (await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM transactions`))!.n;
  }
  /** Committed transactions whose item signature is not stored yet (signed after the commit). */
  async unsignedCount(): Promise<number> {
    return (await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM transactions WHERE sign IS NULL`))!.n;
  }

  /** Waits until the tracker has stored every item signature (its background signer is done). */
  async signaturesSettled(timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while ((await this.unsignedCount()) > 0) {
      if (Date.now() > end) throw new Error(`${await this.unsignedCount()} history items still unsigned`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async meta(key: string): Promise<string | undefined> {
    return (await this.one<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, [key]))?.value;
  }

  /** Everything a command could change, reduced to counts and one hash. */
  async fingerprint(): Promise<Fingerprint> {
    const h = createHash('sha256');
    for (const sql of [
      `SELECT * FROM addresses ORDER BY address`,
      `SELECT * FROM channels ORDER BY channel_id`,
      `SELECT * FROM commons ORDER BY address`,
      `SELECT * FROM common_aliases ORDER BY alias`,
      `SELECT * FROM meta ORDER BY key`,
    ]) {
      h.update(JSON.stringify(await this.c.all(sql, [], true)));
      h.update('|');
    }
    const t = (await this.one<{ n: number; m: number }>(
      `SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS m FROM transactions`,
    ))!;
    const p = (await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM tx_parties`))!;
    return { txCount: t.n, maxSeq: t.m, partyCount: p.n, hash: h.digest('hex') };
  }

  /** Σ tracker + spend + income `amount` + commons `profit` (SPEC §6 conservation). */
  async totalBalance(): Promise<bigint> {
    let sum = 0n;
    for (const a of await this.addresses()) sum += BigInt(a.amount);
    for (const c of await this.commons()) sum += BigInt(c.profit);
    return sum;
  }

  close(): Promise<void> {
    return this.c.close();
  }
}

const TX = {
  INIT: 1,
  OPEN_INCOME: 2,
  OPEN_SPEND: 4,
  OPEN_TRANSFER: 8,
  CLOSE_TRANSFER: 16,
  CLOSE_SPEND: 32,
  CLOSE_INCOME: 64,
  FINANCIAL: 128,
};

/**
 * Replays the transactions table and checks every stored figure against it. Returns the list of
 * violations (empty when the database is consistent). `initial` is TLPRT_LEDGER_AMOUNT_INITIAL.
 * With `verifySignatures`, it first waits for the tracker to store every item signature (they are
 * made after the commit), then checks each.
 */
export async function auditLedger(
  l: LedgerDb,
  initial: bigint,
  opts: { verifySignatures?: boolean } = {},
): Promise<string[]> {
  if (opts.verifySignatures) await l.signaturesSettled();
  const bad: string[] = [];
  const addresses = await l.addresses();
  const channels = await l.channels();
  const commons = await l.commons();
  const txs = await l.transactions();
  const aliases = await l.aliases();
  const trackerPem = await l.meta('tracker_pk');
  if (!trackerPem) return ['meta.tracker_pk missing'];
  const trackerRows = addresses.filter((a) => a.kind === 'tracker');
  if (trackerRows.length !== 1) return [`expected one tracker row, found ${trackerRows.length}`];
  const trackerAddress = trackerRows[0]!.address;

  const byAddress = new Map(addresses.map((a) => [a.address, a]));
  const commonByAddress = new Map(commons.map((c) => [c.address, c]));
  for (const a of aliases) {
    const c = commonByAddress.get(a.address);
    if (!c) bad.push(`alias ${a.alias} points to unknown common ${a.address}`);
    else commonByAddress.set(a.alias, c);
  }
  const commonByOwner = new Map(commons.map((c) => [c.owner_id, c]));
  const txById = new Map(txs.map((t) => [t.tx_id, t]));

  // --- 1. conservation, signs, reservations ---
  let total = 0n;
  for (const a of addresses) {
    for (const f of ['amount', 'quantum_volume', 'volume', 'reserved', 'planned_bytes'] as const) {
      if (!/^(0|[1-9][0-9]*)$/.test(a[f])) bad.push(`${a.kind} ${a.address}.${f} = ${a[f]} is not a uint`);
    }
    if (a.open_channels < 0) bad.push(`${a.address}.open_channels < 0`);
    total += BigInt(a.amount);
    if (a.kind === 'spend' && BigInt(a.amount) < BigInt(a.reserved)) {
      bad.push(`spend ${a.address}: amount ${a.amount} < reserved ${a.reserved}`);
    }
    if (BigInt(a.volume) > BigInt(a.quantum_volume)) {
      bad.push(`${a.address}: volume ${a.volume} > quantum_volume ${a.quantum_volume}`);
    }
    if (a.status === 2 && (a.amount !== '0' || a.reserved !== '0' || a.open_channels !== 0)) {
      bad.push(
        `closed ${a.address} still holds amount ${a.amount} / reserved ${a.reserved} / ${a.open_channels} channels`,
      );
    }
  }
  for (const c of commons) {
    for (const f of ['profit', 'fact', 'plan'] as const) {
      if (!/^(0|[1-9][0-9]*)$/.test(c[f])) bad.push(`common ${c.address}.${f} = ${c[f]} is not a uint`);
    }
    total += BigInt(c.profit);
  }
  if (total !== initial) bad.push(`conservation: total ${total} != initial ${initial}`);
  const inits = txs.filter((t) => t.tx_type === TX.INIT);
  const initSum = inits.reduce((s, t) => s + BigInt(t.amount), 0n);
  if (initSum !== initial) bad.push(`Σ TX_INIT = ${initSum} != ${initial}`);

  // --- 2. replay balances from the transactions ---
  const amount = new Map<string, bigint>(); // address / common canonical address → atoms
  const add = (k: string, d: bigint): void => void amount.set(k, (amount.get(k) ?? 0n) + d);
  const commonKey = (address: string): string | null => commonByAddress.get(address)?.address ?? null;
  for (const t of txs) {
    const a = BigInt(t.amount);
    switch (t.tx_type) {
      case TX.INIT:
        add(t.to_address, a);
        break;
      case TX.OPEN_SPEND:
      case TX.OPEN_INCOME:
        if (t.from_address !== trackerAddress) bad.push(`open tx ${t.tx_id} not from the tracker`);
        add(t.from_address, -a);
        add(t.to_address, a);
        if (t.tx_type === TX.OPEN_INCOME && a !== 0n) bad.push(`OPEN_INCOME ${t.tx_id} amount ${a}`);
        break;
      case TX.OPEN_TRANSFER:
        if (a !== 0n) bad.push(`OPEN_TRANSFER ${t.tx_id} amount ${a}`);
        break;
      case TX.CLOSE_TRANSFER: {
        add(t.from_address, -a);
        const to = byAddress.get(t.to_address) ? t.to_address : commonKey(t.to_address);
        if (!to) bad.push(`CLOSE_TRANSFER ${t.tx_id} pays unknown ${t.to_address}`);
        else add(to, a);
        break;
      }
      case TX.CLOSE_SPEND:
      case TX.CLOSE_INCOME:
        if (t.to_address !== trackerAddress) bad.push(`close tx ${t.tx_id} not to the tracker`);
        add(t.from_address, -a);
        add(t.to_address, a);
        break;
      case TX.FINANCIAL: {
        if (t.from_address !== trackerAddress) bad.push(`FINANCIAL ${t.tx_id} not from the tracker`);
        add(t.from_address, -a);
        const to = commonKey(t.to_address);
        if (!to) bad.push(`FINANCIAL ${t.tx_id} pays unknown ${t.to_address}`);
        else add(to, a);
        break;
      }
      default:
        bad.push(`unknown tx_type ${t.tx_type}`);
    }
  }
  for (const a of addresses) {
    const expected = amount.get(a.address) ?? 0n;
    if (BigInt(a.amount) !== expected)
      bad.push(`${a.kind} ${a.address}: amount ${a.amount}, replay says ${expected}`);
  }
  for (const c of commons) {
    const expected = amount.get(c.address) ?? 0n;
    if (BigInt(c.profit) !== expected)
      bad.push(`common ${c.address}: profit ${c.profit}, replay says ${expected}`);
  }

  // --- 3. addresses: open tx, close tx, derived reservations and volumes ---
  const closeTxOf = new Map<string, TxRowView[]>();
  for (const t of txs) {
    if (t.tx_type === TX.CLOSE_SPEND || t.tx_type === TX.CLOSE_INCOME) {
      closeTxOf.set(t.from_address, [...(closeTxOf.get(t.from_address) ?? []), t]);
    }
  }
  const derived = new Map<
    string,
    { reserved: bigint; planned: bigint; open: number; qv: bigint; vol: bigint }
  >();
  const d = (addr: string) => {
    let x = derived.get(addr);
    if (!x) derived.set(addr, (x = { reserved: 0n, planned: 0n, open: 0, qv: 0n, vol: 0n }));
    return x;
  };
  const commonDerived = new Map<string, { plan: bigint; fact: bigint }>();
  const cd = (owner: string) => {
    let x = commonDerived.get(owner);
    if (!x) commonDerived.set(owner, (x = { plan: 0n, fact: 0n }));
    return x;
  };
  const closeTxByContract = new Map<string, TxRowView[]>();
  const openTxByContract = new Map<string, TxRowView[]>();
  for (const t of txs) {
    if (t.tx_type === TX.CLOSE_TRANSFER)
      closeTxByContract.set(t.contract_id, [...(closeTxByContract.get(t.contract_id) ?? []), t]);
    if (t.tx_type === TX.OPEN_TRANSFER)
      openTxByContract.set(t.contract_id, [...(openTxByContract.get(t.contract_id) ?? []), t]);
  }
  for (const [id, list] of openTxByContract) {
    if (list.length !== 1) bad.push(`channel ${id} has ${list.length} OPEN_TRANSFER transactions`);
    if (!channels.some((c) => c.channel_id === id)) bad.push(`OPEN_TRANSFER for unknown channel ${id}`);
  }
  for (const ch of channels) {
    const price = BigInt(ch.price_tokens);
    const planned = BigInt(ch.planned);
    const q = 1n << BigInt(ch.price_power);
    const open = txById.get(ch.open_tx_id);
    if (!open || open.tx_type !== TX.OPEN_TRANSFER || open.contract_id !== ch.channel_id) {
      bad.push(`channel ${ch.channel_id}: open tx ${ch.open_tx_id} missing or wrong`);
    } else {
      if (open.from_address !== ch.from_address || open.to_address !== ch.to_address)
        bad.push(`channel ${ch.channel_id}: open tx addresses differ`);
      if (
        BigInt(open.price_amount) !== price ||
        open.price_quantum_power !== ch.price_power ||
        BigInt(open.planned_quantum_count) !== planned
      ) {
        bad.push(`channel ${ch.channel_id}: open tx contract figures differ`);
      }
      if (open.timelock !== ch.time_lock) bad.push(`channel ${ch.channel_id}: open tx timelock differs`);
    }
    const closes = closeTxByContract.get(ch.channel_id) ?? [];
    if (ch.status === 2) {
      if (closes.length !== 0 || ch.close_tx_id !== null || ch.settlement !== null)
        bad.push(`open channel ${ch.channel_id} has close data`);
      const s = d(ch.from_address);
      s.reserved += price * planned;
      s.planned += planned * q;
      s.open += 1;
      if (!ch.to_common) {
        const i = d(ch.to_address);
        i.reserved += price * planned;
        i.planned += planned * q;
        i.open += 1;
      }
      cd(ch.to_id).plan += price * planned;
    } else if (ch.status === 4) {
      const close = ch.close_tx_id ? txById.get(ch.close_tx_id) : undefined;
      if (closes.length !== 1 || !close || close.tx_type !== TX.CLOSE_TRANSFER) {
        bad.push(
          `closed channel ${ch.channel_id}: ${closes.length} close txs, close_tx_id ${ch.close_tx_id}`,
        );
        continue;
      }
      if (close.parent_tx_id !== ch.open_tx_id)
        bad.push(`channel ${ch.channel_id}: close parent ${close.parent_tx_id} != open ${ch.open_tx_id}`);
      const settlement = JSON.parse(ch.settlement ?? 'null') as {
        quantumCount: string;
        tokens: string;
        volume: string;
      } | null;
      if (!settlement) {
        bad.push(`closed channel ${ch.channel_id} without settlement`);
        continue;
      }
      const qc = BigInt(settlement.quantumCount);
      const tokens = BigInt(settlement.tokens);
      const vol = BigInt(settlement.volume);
      if (
        BigInt(close.amount) !== tokens ||
        BigInt(close.quantum_count) !== qc ||
        BigInt(close.volume) !== vol
      ) {
        bad.push(`channel ${ch.channel_id}: close tx figures differ from settlement`);
      }
      if (tokens !== price * qc || qc > planned || vol > qc * q || (qc > 0n && vol <= (qc - 1n) * q)) {
        bad.push(`channel ${ch.channel_id}: inconsistent settlement ${ch.settlement}`);
      }
      if (ch.expired && (tokens !== 0n || qc !== 0n || vol !== 0n))
        bad.push(`expired channel ${ch.channel_id} settled non-zero`);
      const s = d(ch.from_address);
      s.qv += qc * q;
      s.vol += vol;
      if (!ch.to_common) {
        const i = d(ch.to_address);
        i.qv += qc * q;
        i.vol += vol;
      }
      cd(ch.to_id).fact += tokens;
    } else bad.push(`channel ${ch.channel_id}: status ${ch.status}`);
  }
  for (const a of addresses) {
    if (a.kind === 'tracker') continue;
    const open = txById.get(a.open_tx_id);
    const openType = a.kind === 'spend' ? TX.OPEN_SPEND : TX.OPEN_INCOME;
    if (!open || open.tx_type !== openType || open.to_address !== a.address)
      bad.push(`${a.kind} ${a.address}: open tx missing or wrong`);
    if (open && open.timelock !== a.time_lock) bad.push(`${a.kind} ${a.address}: open tx timelock differs`);
    const closes = closeTxOf.get(a.address) ?? [];
    const closeType = a.kind === 'spend' ? TX.CLOSE_SPEND : TX.CLOSE_INCOME;
    if (a.status === 1 && closes.length) bad.push(`open ${a.address} has close txs`);
    if (a.status === 2) {
      if (
        closes.length !== 1 ||
        closes[0]!.tx_type !== closeType ||
        closes[0]!.parent_tx_id !== a.open_tx_id
      ) {
        bad.push(`closed ${a.kind} ${a.address}: close txs wrong (${closes.length})`);
      } else if (a.kind === 'income' && BigInt(closes[0]!.amount) > 0n) {
        const fin = txs.filter((t) => t.tx_type === TX.FINANCIAL && t.parent_tx_id === closes[0]!.tx_id);
        const common = commonByOwner.get(a.owner_id);
        if (
          fin.length !== 1 ||
          fin[0]!.amount !== closes[0]!.amount ||
          !common ||
          fin[0]!.to_address !== common.address
        ) {
          bad.push(`closed income ${a.address}: FINANCIAL missing or wrong`);
        }
      }
    }
    const x = derived.get(a.address) ?? { reserved: 0n, planned: 0n, open: 0, qv: 0n, vol: 0n };
    if (BigInt(a.reserved) !== x.reserved)
      bad.push(`${a.address}: reserved ${a.reserved}, channels say ${x.reserved}`);
    if (BigInt(a.planned_bytes) !== x.planned)
      bad.push(`${a.address}: planned_bytes ${a.planned_bytes}, channels say ${x.planned}`);
    if (a.open_channels !== x.open)
      bad.push(`${a.address}: open_channels ${a.open_channels}, channels say ${x.open}`);
    if (BigInt(a.quantum_volume) !== x.qv)
      bad.push(`${a.address}: quantum_volume ${a.quantum_volume}, channels say ${x.qv}`);
    if (BigInt(a.volume) !== x.vol) bad.push(`${a.address}: volume ${a.volume}, channels say ${x.vol}`);
  }
  for (const c of commons) {
    const x = commonDerived.get(c.owner_id) ?? { plan: 0n, fact: 0n };
    if (BigInt(c.plan) !== x.plan) bad.push(`common ${c.address}: plan ${c.plan}, channels say ${x.plan}`);
    if (BigInt(c.fact) !== x.fact) bad.push(`common ${c.address}: fact ${c.fact}, channels say ${x.fact}`);
  }

  // --- 4. transaction ids, parents, signatures ---
  for (const t of txs) {
    const id = hashBody(`${trackerPem};${t.timestamp.toString(16)};${t.seq}`);
    if (t.tx_id !== id) bad.push(`tx seq ${t.seq}: tx_id ${t.tx_id} != H(pk;hex(ts);seq) ${id}`);
    if (t.parent_tx_id && !txById.has(t.parent_tx_id))
      bad.push(`tx ${t.tx_id}: unknown parent ${t.parent_tx_id}`);
    if (t.status !== 1) bad.push(`tx ${t.tx_id}: status ${t.status}`);
    if (opts.verifySignatures) {
      const item = unsignedItemOf(t, trackerPem);
      if (t.sign === null) bad.push(`tx ${t.tx_id}: not signed`);
      else if (!verifyMessage(canonicalJson(item), t.sign, trackerPem))
        bad.push(`tx ${t.tx_id}: signature does not verify`);
    }
  }
  for (let i = 1; i < txs.length; i++) {
    if (txs[i]!.timestamp < txs[i - 1]!.timestamp)
      bad.push(`tx seq ${txs[i]!.seq}: timestamp runs backwards`);
  }
  return bad;
}

/** The wire item (without `sign`) of a stored transaction, as SPEC §4 History describes it. */
export function unsignedItemOf(t: TxRowView, trackerPem: string): Record<string, unknown> {
  return {
    tx_id: t.tx_id,
    parent_tx_id: t.parent_tx_id,
    tx_type: t.tx_type,
    from: t.from_address,
    to: t.to_address,
    amount: toJsonInteger(BigInt(t.amount)),
    volume: toJsonInteger(BigInt(t.volume)),
    quantum_count: toJsonInteger(BigInt(t.quantum_count)),
    contract_id: t.contract_id,
    price_amount: toJsonInteger(BigInt(t.price_amount)),
    price_quantum_power: t.price_quantum_power,
    planned_quantum_count: toJsonInteger(BigInt(t.planned_quantum_count)),
    timelock: t.timelock,
    timestamp: t.timestamp,
    status: t.status,
    version: t.version,
    pk: trackerPem,
  };
}
