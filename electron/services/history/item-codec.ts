/**
 * A history item as the cache stores it, and back. The tracker's item (SPEC §4 History) is kept as
 * typed columns plus what its JSON needs beyond them:
 * - `shape`: the item's keys in their order, whether each count came as a JSON number or a string,
 *   and the names of unknown extra fields — one text per distinct layout, stored once;
 * - `extra`: the values of unknown fields (JSON of an array, null when there are none);
 * - `sign` as bytes when it is canonical base64 (the tracker's RSA signature), else the text as sent
 *   (the original server's opaque strings);
 * - `pk` (the tracker PEM) and the addresses, each stored once and referenced by id.
 * `decodeItem` rebuilds the very object that was received, so `JSON.stringify` of it is the item's
 * JSON as sent and its signature verifies again against the tracker key.
 */
import { canonicalJson, transactionItem } from '../../../shared/protocol/schemas';
import type { HistoryItem } from '../../../shared/api/models';

export type SignatureVerdict = 'valid' | 'invalid' | 'unverifiable';

/** Verdicts as stored (one small integer). */
export const VERDICT_CODES: Readonly<Record<SignatureVerdict, number>> = {
  valid: 0,
  invalid: 1,
  unverifiable: 2,
};
export const VERDICTS: readonly SignatureVerdict[] = ['valid', 'invalid', 'unverifiable'];

/**
 * A uint64 as bound to SQLite: a bigint up to 2^63 − 1 (an INTEGER: better-sqlite3 binds a JS number
 * as a REAL), else its decimal text.
 */
export type StoredCount = bigint | string;

/** The counts the protocol lets the original server send as numbers or strings. */
const COUNT_FIELDS = ['amount', 'volume', 'quantum_count', 'price_amount', 'planned_quantum_count'] as const;
type CountField = (typeof COUNT_FIELDS)[number];
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'tx_id',
  'parent_tx_id',
  'tx_type',
  'from',
  'to',
  ...COUNT_FIELDS,
  'contract_id',
  'price_quantum_power',
  'timelock',
  'timestamp',
  'status',
  'version',
  'pk',
  'sign',
]);
const COUNTS: ReadonlySet<string> = new Set(COUNT_FIELDS);

const MAX_TX_ID = 256;
const INT64_MAX = (1n << 63n) - 1n;
/** Each known key's entry in a shape, as JSON text (counts: # came as a number, $ as a string). */
const SHAPE_ENTRY = new Map<string, string>(
  [...KNOWN_FIELDS].flatMap((k): [string, string][] =>
    COUNTS.has(k)
      ? [
          [`${k}#`, JSON.stringify(`${k}#`)],
          [`${k}$`, JSON.stringify(`${k}$`)],
        ]
      : [[k, JSON.stringify(k)]],
  ),
);

/** One item ready for the `tx` table (addresses, PEM and shape still as text: the store maps them to ids). */
export interface EncodedItem {
  txId: string;
  parentTxId: string;
  txType: number;
  from: string;
  to: string;
  amount: StoredCount;
  volume: StoredCount;
  quantumCount: StoredCount;
  contractId: string;
  priceAmount: StoredCount;
  pricePower: number;
  plannedQuantumCount: StoredCount;
  timelock: number;
  timestamp: number;
  status: number;
  version: string;
  pk: string;
  sign: Buffer | string;
  shape: string;
  extra: string | null;
}

function storedCount(v: string | number): StoredCount {
  const big = BigInt(v);
  return big <= INT64_MAX ? big : String(v);
}

/** The stored form of `sign`: bytes when base64 gives back exactly this text, else the text. */
function storedSign(sign: string): Buffer | string {
  const bytes = Buffer.from(sign, 'base64');
  return bytes.toString('base64') === sign ? bytes : sign;
}

/** The last layout seen: a page holds a thousand items of one layout (same keys, same kinds). */
let lastLayout: { keys: string[]; counted: number; shape: string } | null = null;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The item's shape as JSON text (its keys in order, counts marked # number or $ string, unknown
 * keys marked +) and the values of its unknown keys. `counted`: bit i set when COUNT_FIELDS[i] came
 * as a number.
 */
function shapeOf(
  obj: Record<string, unknown>,
  keys: string[],
  counted: number,
): { shape: string; extras: unknown[] } {
  if (lastLayout && lastLayout.counted === counted && sameKeys(lastLayout.keys, keys)) {
    return { shape: lastLayout.shape, extras: [] };
  }
  let shape = '[';
  const extras: unknown[] = [];
  for (const key of keys) {
    if (shape.length > 1) shape += ',';
    const entry = COUNTS.has(key) ? `${key}${typeof obj[key] === 'number' ? '#' : '$'}` : key;
    const known = SHAPE_ENTRY.get(entry);
    if (known !== undefined) shape += known;
    else {
      shape += JSON.stringify(`+${key}`);
      extras.push(obj[key]);
    }
  }
  shape += ']';
  // Only layouts of known keys are remembered: extras differ from item to item.
  if (extras.length === 0) lastLayout = { keys, counted, shape };
  return { shape, extras };
}

/**
 * An item received from a tracker as stored, or null when it is malformed (schema, an empty or
 * oversized id, a time that is not an exact integer).
 */
export function encodeItem(raw: unknown): EncodedItem | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = transactionItem.safeParse(raw);
  if (!r.success) return null;
  const t = r.data;
  if (t.tx_id.length === 0 || t.tx_id.length > MAX_TX_ID) return null;
  if (!Number.isSafeInteger(t.timestamp) || !Number.isSafeInteger(t.timelock)) return null;
  const obj = raw as Record<string, unknown>;
  const keys = Object.keys(obj);
  let counted = 0;
  for (let i = 0; i < COUNT_FIELDS.length; i++) {
    if (typeof obj[COUNT_FIELDS[i]!] === 'number') counted |= 1 << i;
  }
  const { shape, extras } = shapeOf(obj, keys, counted);
  const count = (f: CountField) => storedCount(obj[f] as string | number);
  return {
    txId: t.tx_id,
    parentTxId: t.parent_tx_id,
    txType: t.tx_type,
    from: t.from,
    to: t.to,
    amount: count('amount'),
    volume: count('volume'),
    quantumCount: count('quantum_count'),
    contractId: t.contract_id,
    priceAmount: count('price_amount'),
    pricePower: t.price_quantum_power,
    plannedQuantumCount: count('planned_quantum_count'),
    timelock: t.timelock,
    timestamp: t.timestamp,
    status: t.status,
    version: t.version,
    pk: t.pk,
    sign: storedSign(t.sign),
    shape,
    extra: extras.length > 0 ? JSON.stringify(extras) : null,
  };
}

/** The known fields but `sign`, in canonical (sorted) order, each with its JSON key prefix. */
const SIGNED_KEYS = [...KNOWN_FIELDS].filter((k) => k !== 'sign').sort();
const SIGNED_PREFIXES = SIGNED_KEYS.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`);

/**
 * The text the tracker's item signature covers: the canonical JSON of the item without `sign`.
 * An item of exactly the known fields (what trackers send) is written straight in sorted key
 * order, several times faster than the general canonicalJson it equals.
 */
export function signedText(raw: Record<string, unknown>): string {
  const keys = Object.keys(raw);
  if (keys.length === KNOWN_FIELDS.size && keys.every((k) => KNOWN_FIELDS.has(k))) {
    let text = '';
    for (let i = 0; i < SIGNED_KEYS.length; i++) {
      const v = raw[SIGNED_KEYS[i]!];
      if (typeof v !== 'string' && typeof v !== 'number') return canonicalJson({ ...raw, sign: undefined });
      text += SIGNED_PREFIXES[i]! + JSON.stringify(v);
    }
    return `${text}}`;
  }
  return canonicalJson({ ...raw, sign: undefined });
}

/** An encoded item as the API's model (counts as decimal strings). */
export function modelOf(e: EncodedItem, signature: SignatureVerdict): HistoryItem {
  return {
    txId: e.txId,
    parentTxId: e.parentTxId,
    txType: e.txType,
    from: e.from,
    to: e.to,
    amount: String(e.amount),
    volume: String(e.volume),
    quantumCount: String(e.quantumCount),
    contractId: e.contractId,
    priceAmount: String(e.priceAmount),
    pricePower: e.pricePower,
    plannedQuantumCount: String(e.plannedQuantumCount),
    timelock: e.timelock,
    timestamp: e.timestamp,
    status: e.status,
    signature,
  };
}

/** An item's fields as a row gives them back (counts read as text, addresses joined): `ITEM_COLUMNS`. */
export interface ItemFieldsRow {
  tx_id: string;
  parent_tx_id: string;
  tx_type: number;
  from_address: string;
  to_address: string;
  amount: string;
  volume: string;
  quantum_count: string;
  contract_id: string;
  price_amount: string;
  price_quantum_power: number;
  planned_quantum_count: string;
  timelock: number;
  timestamp: number;
  status: number;
}

/** The SQL of `ItemFieldsRow` over `tx`: counts as exact decimal text, addresses joined. */
export const ITEM_COLUMNS = `tx.tx_id, tx.parent_tx_id, tx.tx_type,
  (SELECT address FROM addresses WHERE id = tx.from_id) AS from_address,
  (SELECT address FROM addresses WHERE id = tx.to_id) AS to_address,
  CAST(tx.amount AS TEXT) AS amount, CAST(tx.volume AS TEXT) AS volume,
  CAST(tx.quantum_count AS TEXT) AS quantum_count, tx.contract_id,
  CAST(tx.price_amount AS TEXT) AS price_amount, tx.price_quantum_power,
  CAST(tx.planned_quantum_count AS TEXT) AS planned_quantum_count, tx.timelock, tx.timestamp,
  tx.status`;

/** What a stored row gives back to rebuild its item (the item's fields, PEM, signature and layout). */
export interface StoredItemRow extends ItemFieldsRow {
  version: string;
  pem: string;
  sign: Buffer | string;
  shape: string;
  extra: string | null;
}

/** The value of one key of the shape, from its row. */
function valueOf(entry: string, row: StoredItemRow): unknown {
  const last = entry[entry.length - 1];
  if (last === '#' || last === '$') {
    const text = row[entry.slice(0, -1) as CountField];
    return last === '#' ? Number(text) : text;
  }
  switch (entry) {
    case 'from':
      return row.from_address;
    case 'to':
      return row.to_address;
    case 'pk':
      return row.pem;
    case 'sign':
      return typeof row.sign === 'string' ? row.sign : row.sign.toString('base64');
    default:
      return row[entry as keyof StoredItemRow];
  }
}

/** The item exactly as it was received (key order, number or string counts, extra fields). */
export function decodeItem(row: StoredItemRow): Record<string, unknown> {
  const shape = JSON.parse(row.shape) as string[];
  const extras = row.extra === null ? [] : (JSON.parse(row.extra) as unknown[]);
  let next = 0;
  // fromEntries defines own properties: an extra key named __proto__ stays a plain key.
  return Object.fromEntries(
    shape.map((entry) =>
      entry.startsWith('+')
        ? [entry.slice(1), extras[next++]]
        : [entry.replace(/[#$]$/, ''), valueOf(entry, row)],
    ),
  );
}
