/** Money formatting for the UI. Atoms are uint64 decimal strings: bigint only, never floats. */
import { ATOMS_PER_TELEPORT, formatTeleports, parseTeleports } from '../../../shared/protocol/amounts';

export type Atoms = string | bigint;

export function toBig(v: Atoms | number): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return /^-?\d+$/.test(v) ? BigInt(v) : 0n;
}

/** Groups the digits of an integer: 11000 → "11,000", -1234567 → "-1,234,567". */
export function groupDigits(v: Atoms | number, separator = ','): string {
  const s = toBig(v).toString();
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
  return neg ? `-${grouped}` : grouped;
}

/** Atoms as teleports with grouped whole part: 11000 → "1.1", 123456789 → "12,345.6789". */
export function teleports(v: Atoms): string {
  const s = formatTeleports(toBig(v));
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const [whole = '0', frac] = body.split('.');
  return `${neg ? '-' : ''}${groupDigits(whole)}${frac ? '.' + frac : ''}`;
}

/** "1.1 TP" */
export function formatTp(v: Atoms): string {
  return `${teleports(v)} TP`;
}

/** "11,000 atoms" */
export function formatAtoms(v: Atoms): string {
  return `${groupDigits(v)} atoms`;
}

/** "1.1 TP (11,000 atoms)" */
export function formatMoney(v: Atoms): string {
  return `${formatTp(v)} (${formatAtoms(v)})`;
}

/** Share a/b as a fraction 0..1 for drawing only (bars, charts): never used for money text. */
export function ratio(part: Atoms, whole: Atoms): number {
  const p = toBig(part);
  const w = toBig(whole);
  if (w <= 0n || p <= 0n) return 0;
  if (p >= w) return 1;
  return Number((p * 1_000_000n) / w) / 1_000_000;
}

export function isDecimalString(s: string): boolean {
  return /^(0|[1-9][0-9]*)$/.test(s.trim());
}

export const UINT64_MAX = (1n << 64n) - 1n;

/** Parses user-typed teleports ("1.25") into atoms, or null when malformed. */
export function parseTpInput(text: string): bigint | null {
  try {
    return parseTeleports(text);
  } catch {
    return null;
  }
}

export { ATOMS_PER_TELEPORT };
