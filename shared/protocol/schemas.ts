/**
 * Runtime schemas of every frame and message of the protocol (SPEC §3, §4), shared by the tracker
 * (strict, for requests) and the app (lenient where SPEC §3 lists the original server's variants).
 * Pure: safe for the renderer.
 */
import { z } from 'zod';
import { ProtocolError, type ErrorCode } from './errors';
import { UINT64_MAX } from './amounts';

/** Largest frame either side accepts (SPEC: the tracker closes with 1009 above it). */
export const MAX_FRAME_BYTES = 64 * 1024;
export const MAX_CORR_TOKEN_LENGTH = 256;
export const MAX_CHANNEL_ID_LENGTH = 128;

const PRINTABLE = /^[\x20-\x7e]+$/;

export const uint64String = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'must be a decimal string')
  // zod runs refinements after a failed regex too: BigInt('1e3') would throw (an INTERNAL error).
  .refine((s) => /^[0-9]+$/.test(s) && BigInt(s) <= UINT64_MAX, 'must fit in 64 bits');

/**
 * A uint64 the original server may send as a string or as a JSON number (SPEC §3), as a decimal
 * string. Numbers are tried first (what trackers send) and transformed once: a history page holds
 * five of these per item, and this form parses in a quarter of the time of a union of transforms.
 */
export const lenientUint64 = z
  .union([
    z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER, 'must be an exact integer'),
    uint64String,
  ])
  .transform((v) => String(v));

/**
 * A count of a history item, kept as sent (a number or a decimal string: the cache stores which).
 * No transform: a page of 1000 items parses several times faster without one per field.
 */
export const itemCount = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER, 'must be an exact integer'),
  uint64String,
]);

export const safeCount = z
  .number()
  .int()
  .nonnegative()
  .refine((n) => Number.isSafeInteger(n), 'must be an exact integer');

export const quantumPower = z.number().int().min(0).max(63);
export const channelId = z
  .string()
  .min(1)
  .max(MAX_CHANNEL_ID_LENGTH)
  .regex(PRINTABLE, 'must be printable ASCII');
export const pem = z.string().min(1).max(4096);
export const base64Sign = z.string().min(1).max(2048);

// ---------- request envelopes (client → tracker) ----------

export const requestEnvelope = z.object({
  cmd: z.number().int(),
  corrToken: z.string().min(1).max(MAX_CORR_TOKEN_LENGTH),
  payload: z.record(z.string(), z.unknown()),
});
export type RequestEnvelope = z.infer<typeof requestEnvelope>;

export const singleSignedPayload = z.object({
  message: z.string().min(1),
  pk: pem,
  sign: base64Sign,
});
export type SingleSignedPayload = z.infer<typeof singleSignedPayload>;

export const doubleSignedPayload = z.object({
  message: z.string().min(1),
  fromPK: pem,
  fromSign: base64Sign,
  toPK: pem,
  toSign: base64Sign,
});
export type DoubleSignedPayload = z.infer<typeof doubleSignedPayload>;

// ---------- request messages (inside `message`) ----------

export const addressMessage = z.object({ address: z.string().min(1).max(256), pk: pem });
export type AddressMessage = z.infer<typeof addressMessage>;

export const channelIdMessage = z.object({ channelId, pk: pem });

export const contractMessage = z.object({
  fromPK: pem,
  toPK: pem,
  channelId,
  fromAddress: z.string().min(1).max(256),
  toAddress: z.string().min(1).max(256),
  priceTokens: uint64String,
  priceQuantumPower: quantumPower,
  plannedQuantumCount: z.number().int().min(1).refine(Number.isSafeInteger, 'must be exact'),
});
export type ContractMessage = z.infer<typeof contractMessage>;

export const closeMessage = contractMessage.extend({
  quantumCount: safeCount,
  tokens: uint64String,
  volume: safeCount,
});
export type CloseMessage = z.infer<typeof closeMessage>;

const fieldFilter = z.object({ value: z.union([z.string().max(256), z.number().int()]) });

export const firstTransactionsMessage = z.object({
  limits: z
    .object({
      pageSize: z.number().int().min(1).max(1000).default(20),
      page: z.number().int().min(1).default(1),
    })
    .default({ pageSize: 20, page: 1 }),
  pk: pem,
  order: z.union([z.literal(0), z.literal(1), z.literal(-1)]).optional(),
  fields: z
    .object({
      tx_type: fieldFilter.optional(),
      channel_id: fieldFilter.optional(),
      from: fieldFilter.optional(),
      to: fieldFilter.optional(),
    })
    .optional(),
});
export type FirstTransactionsMessage = z.infer<typeof firstTransactionsMessage>;

export const nextTransactionsMessage = z.object({
  cursorId: z.string().min(1).max(64),
  page: z.number().int().min(1),
  pk: pem,
});
export const cursorMessage = z.object({ cursorId: z.string().min(1).max(64), pk: pem });

// ---------- response frames (tracker → client) ----------

export const exData = z
  .object({
    beforeCreate: z.number().optional(),
    created: z.number().optional(),
    handled: z.number().optional(),
  })
  .passthrough();

export const successFrame = z.object({
  cmd: z.number().int().optional(),
  corrToken: z.string(),
  data: z.object({ message: z.string(), sign: z.string() }),
  exData: z.unknown().optional(),
});
export type SuccessFrame = z.infer<typeof successFrame>;

export const errorFrame = z.object({
  corrToken: z.string().optional(),
  data: z.unknown().optional(),
  error: z.string(),
  exData: z.unknown().optional(),
});
export type ErrorFrame = z.infer<typeof errorFrame>;

// ---------- results (inside a success `message`), lenient for the original server ----------

/** A result carrying `timeLock` (the tracker always sends it; absent in some original answers). */
const timeLocked = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ ...shape, timeLock: z.number().default(0) });

/** The original server writes `timelock`; the documented schema says `timeLock`: accept both. */
const acceptingLowercaseTimelock = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => {
    if (v && typeof v === 'object' && !('timeLock' in v) && 'timelock' in v) {
      const { timelock, ...rest } = v as Record<string, unknown>;
      return { ...rest, timeLock: timelock };
    }
    return v;
  }, schema);

/**
 * The object schemas below the lenient wrappers: `z.input` of them is what the tracker's engine
 * returns (ledger/engine/results.ts), so a field that drifts on either side fails the type check.
 */
export const addressStateObject = timeLocked({
  address: z.string(),
  current: z.object({ amount: lenientUint64, quantumVolume: lenientUint64, volume: lenientUint64 }),
  limit: z.object({ amount: lenientUint64, quantumVolume: lenientUint64 }),
  price: z.object({ amount: lenientUint64, quantumPower }),
  pk: z.string(),
  lifetime: z.number().optional(),
});
export const addressStateResult = acceptingLowercaseTimelock(addressStateObject);
export type AddressStateResult = z.infer<typeof addressStateResult>;

export const openTransferObject = timeLocked({ pk: z.string(), lifetime: z.number().optional() });
export const openTransferResult = acceptingLowercaseTimelock(openTransferObject);
export const pkResult = z.object({ pk: z.string() }).passthrough();
export const closeAddressResult = z.object({
  pk: z.string(),
  state: z.object({ amount: lenientUint64, quantumVolume: lenientUint64, volume: lenientUint64 }),
});
export const channelStateResult = z.object({
  channelId: z.string(),
  state: z.union([z.literal(1), z.literal(2), z.literal(4)]),
  pk: z.string(),
});
export const commonStateResult = z.object({
  address: z.string(),
  state: z.object({
    own: z.object({ fact: lenientUint64, plan: lenientUint64 }),
    foreign: z.object({ fact: lenientUint64, plan: lenientUint64 }),
    profit: lenientUint64,
  }),
  pk: z.string(),
});
export type CommonStateResult = z.infer<typeof commonStateResult>;

export const transactionItemFields = z.object({
  tx_id: z.string(),
  parent_tx_id: z.string(),
  tx_type: z.number().int(),
  from: z.string(),
  to: z.string(),
  amount: itemCount,
  volume: itemCount,
  quantum_count: itemCount,
  contract_id: z.string(),
  price_amount: itemCount,
  price_quantum_power: z.number().int(),
  planned_quantum_count: itemCount,
  timelock: z.number(),
  timestamp: z.number(),
  status: z.number().int(),
  version: z.string(),
  pk: z.string(),
  sign: z.string(),
});
/** An item as the app accepts it: the original server may add fields. */
export const transactionItem = transactionItemFields.passthrough();
export type TransactionItem = z.infer<typeof transactionItem>;

export const firstTransactionsResult = z.object({
  _meta: z.object({
    cursorId: z.string(),
    totalCount: z.number().int(),
    pageCount: z.number().int(),
    currentPage: z.number().int(),
    perPage: z.number().int(),
  }),
  items: z.array(z.unknown()),
});
export const nextTransactionsResult = z.object({ items: z.array(z.unknown()) });

/** Validates with a schema and turns violations into a ProtocolError naming the fields. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
  code: ErrorCode = 'BAD_PAYLOAD',
): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
  throw new ProtocolError(code, `${what} is invalid: ${issues}`);
}

/** JSON.parse that reports a ProtocolError instead of a SyntaxError. */
export function parseJson(text: string, what: string, code: ErrorCode = 'BAD_PAYLOAD'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtocolError(code, `${what} is not valid JSON`);
  }
}

/** JSON with object keys sorted at every level: the canonical form item signatures cover. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
