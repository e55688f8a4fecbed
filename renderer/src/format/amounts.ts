/** Money formatting for the UI. Atoms are uint64 decimal strings: bigint only, never floats. */
import { ATOMS_PER_TELEPORT, parseTeleports } from '../../../shared/protocol/amounts';
import { formatFixed, formatInteger, pluralOf, toBig, type Integer } from './numbers';

export type Atoms = string | bigint;
export { toBig };

/** Groups the digits of an integer the way the language does: 11000 → "11,000" (en), "11 000" (ru). */
export function groupDigits(v: Integer, locale = 'en'): string {
  return formatInteger(v, locale);
}

/** Atoms as teleports, exact: 11000 → "1.1", 123456789 → "12,345.6789" (en), "12 345,6789" (ru). */
export function teleports(v: Atoms, locale = 'en'): string {
  const n = toBig(v);
  const abs = n < 0n ? -n : n;
  const frac = (abs % ATOMS_PER_TELEPORT).toString().padStart(4, '0').replace(/0+$/, '');
  return formatFixed(abs / ATOMS_PER_TELEPORT, frac, locale, n < 0n);
}

/** "1.1 TP" */
export function formatTp(v: Atoms, locale = 'en', symbol = 'TP'): string {
  return `${teleports(v, locale)} ${symbol}`;
}

/** The unit word for a count: English "atom"/"atoms"; the UI passes its translated words. */
export type UnitWord = (count: bigint) => string;
export const ENGLISH_ATOMS: UnitWord = (n) => (pluralOf(n, 'en') === 'one' ? 'atom' : 'atoms');

/** "11,000 atoms" */
export function formatAtoms(v: Atoms, locale = 'en', word: UnitWord = ENGLISH_ATOMS): string {
  return `${groupDigits(v, locale)} ${word(toBig(v))}`;
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
