/**
 * Money and traffic arithmetic (SPEC §1, §4). Amounts are uint64 atoms carried as decimal
 * strings; every computation uses bigint. Pure: safe for the renderer.
 */
import { ProtocolError } from './errors';

export const UINT64_MAX = (1n << 64n) - 1n;
export const ATOMS_PER_TELEPORT = 10_000n;
export const MAX_QUANTUM_POWER = 63;

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Parses a uint64 given as a decimal string (or, leniently, a safe JSON integer). */
export function parseUint64(value: unknown, field = 'amount'): bigint {
  let v: bigint;
  if (typeof value === 'string' && DECIMAL.test(value)) v = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) v = BigInt(value);
  else if (typeof value === 'bigint') v = value;
  else throw new ProtocolError('BAD_PAYLOAD', `${field} must be an unsigned 64-bit integer`);
  if (v < 0n || v > UINT64_MAX) {
    throw new ProtocolError('BAD_PAYLOAD', `${field} is outside the unsigned 64-bit range`);
  }
  return v;
}

/** Like parseUint64 but only accepts the canonical decimal string form. */
export function parseUint64String(value: unknown, field = 'amount'): bigint {
  if (typeof value !== 'string') {
    throw new ProtocolError('BAD_PAYLOAD', `${field} must be a decimal string`);
  }
  return parseUint64(value, field);
}

export function isUint64String(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL.test(value) && BigInt(value) <= UINT64_MAX;
}

/** JSON form of a count of bytes or quanta: a number while exact, else a decimal string. */
export function toJsonInteger(v: bigint): number | string {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export function quantumBytes(power: number): bigint {
  if (!Number.isInteger(power) || power < 0 || power > MAX_QUANTUM_POWER) {
    throw new ProtocolError('BAD_PAYLOAD', `quantum power must be an integer 0–${MAX_QUANTUM_POWER}`);
  }
  return 1n << BigInt(power);
}

export interface Price {
  amount: bigint;
  quantumPower: number;
}

/**
 * Compares two prices (atoms per quantum of 2^power bytes). A price at power p equals twice its
 * amount at p − 1, so the lower power is rescaled up before comparing. Returns −1, 0 or 1.
 */
export function comparePrices(a: Price, b: Price): -1 | 0 | 1 {
  const top = Math.max(a.quantumPower, b.quantumPower);
  const left = a.amount << BigInt(top - a.quantumPower);
  const right = b.amount << BigInt(top - b.quantumPower);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Expresses a price at another power; exact only when scaling up or when divisible. */
export function priceAtPower(p: Price, power: number): { amount: bigint; exact: boolean } {
  if (power >= p.quantumPower) return { amount: p.amount << BigInt(power - p.quantumPower), exact: true };
  const shift = BigInt(p.quantumPower - power);
  const amount = p.amount >> shift;
  return { amount, exact: amount << shift === p.amount };
}

/** Atoms reserved by a transfer channel: priceTokens × plannedQuantumCount. */
export function reservation(priceTokens: bigint, plannedQuantumCount: bigint): bigint {
  return priceTokens * plannedQuantumCount;
}

/** Bytes a channel plans to move: plannedQuantumCount × 2^power. */
export function plannedBytes(plannedQuantumCount: bigint, power: number): bigint {
  return plannedQuantumCount * quantumBytes(power);
}

/** Whole quanta needed to carry `volume` bytes: 1.5 quanta are paid as 2. */
export function quantaForVolume(volume: bigint, power: number): bigint {
  const q = quantumBytes(power);
  return (volume + q - 1n) / q;
}

export interface Settlement {
  quantumCount: bigint;
  tokens: bigint;
  volume: bigint;
}

/** The settlement of a channel closed after `volume` bytes: quanta rounded up, tokens = price × quanta. */
export function settle(priceTokens: bigint, power: number, volume: bigint): Settlement {
  const quantumCount = quantaForVolume(volume, power);
  return { quantumCount, tokens: priceTokens * quantumCount, volume };
}

/**
 * Checks the close figures of a channel (SPEC §4 close): quantumCount ≤ planned, tokens = price ×
 * quantumCount, and quantumCount = ⌈volume / 2^power⌉ (volume ≤ quantumCount × 2^power and more
 * than one quantum short of it is not allowed: a peer pays for the quanta it started, no more).
 * Throws BAD_SETTLEMENT with the reason.
 */
export function checkSettlement(
  contract: { priceTokens: bigint; priceQuantumPower: number; plannedQuantumCount: bigint },
  close: Settlement,
): void {
  const { priceTokens, priceQuantumPower, plannedQuantumCount } = contract;
  if (close.quantumCount > plannedQuantumCount) {
    throw new ProtocolError(
      'BAD_SETTLEMENT',
      `quantumCount ${close.quantumCount} exceeds plannedQuantumCount ${plannedQuantumCount}`,
    );
  }
  const expectedTokens = priceTokens * close.quantumCount;
  if (close.tokens !== expectedTokens) {
    throw new ProtocolError(
      'BAD_SETTLEMENT',
      `tokens ${close.tokens} must equal priceTokens × quantumCount = ${expectedTokens}`,
    );
  }
  const q = quantumBytes(priceQuantumPower);
  if (close.volume > close.quantumCount * q) {
    throw new ProtocolError(
      'BAD_SETTLEMENT',
      `volume ${close.volume} exceeds quantumCount × 2^${priceQuantumPower} = ${close.quantumCount * q}`,
    );
  }
  const needed = quantaForVolume(close.volume, priceQuantumPower);
  if (close.quantumCount !== needed) {
    throw new ProtocolError(
      'BAD_SETTLEMENT',
      `volume ${close.volume} needs exactly ${needed} quanta of 2^${priceQuantumPower} bytes, not ${close.quantumCount}`,
    );
  }
}

/** Formats atoms as teleports without floating point: 12345 → "1.2345". */
export function formatTeleports(atoms: bigint): string {
  const neg = atoms < 0n;
  const abs = neg ? -atoms : atoms;
  const whole = abs / ATOMS_PER_TELEPORT;
  const frac = (abs % ATOMS_PER_TELEPORT).toString().padStart(4, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** Parses a teleport amount typed by a user ("1.25") into atoms; throws on more than 4 decimals. */
export function parseTeleports(text: string): bigint {
  const m = /^\s*(\d+)(?:\.(\d{0,4}))?\s*$/.exec(text);
  if (!m) throw new ProtocolError('BAD_PAYLOAD', 'enter teleports with at most 4 decimals');
  const whole = BigInt(m[1] ?? '0');
  const frac = BigInt((m[2] ?? '').padEnd(4, '0') || '0');
  const atoms = whole * ATOMS_PER_TELEPORT + frac;
  if (atoms > UINT64_MAX) throw new ProtocolError('BAD_PAYLOAD', 'amount is too large');
  return atoms;
}
