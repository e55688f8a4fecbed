/** Byte counts (uint64 decimal strings) in binary units, computed with bigint. */
import { formatFixed, toBig, type Integer } from './numbers';

export const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;
export type ByteUnit = (typeof BYTE_UNITS)[number];

/** The unit's name as shown: English symbols unless the UI passes translated ones (КиБ, МиБ …). */
export type UnitName = (unit: ByteUnit) => string;
const SYMBOL: UnitName = (u) => u;

/**
 * 1536 → "1.5 KiB", 1048576 → "1 MiB", 0 → "0 B". Up to `decimals` digits, truncated toward zero
 * ("exact-ish": never rounds up to a unit the volume has not reached), trailing zeros dropped.
 */
export function formatBytes(v: Integer, decimals = 2, locale = 'en', name: UnitName = SYMBOL): string {
  const n = toBig(v);
  if (n < 0n) return `-${formatBytes(-n, decimals, locale, name)}`;
  let unit = 0;
  while (unit < BYTE_UNITS.length - 1 && n >= 1n << BigInt(10 * (unit + 1))) unit++;
  const div = 1n << BigInt(10 * unit);
  const scale = 10n ** BigInt(decimals);
  const frac = (((n % div) * scale) / div).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${formatFixed(n / div, decimals > 0 ? frac : '', locale)} ${name(BYTE_UNITS[unit]!)}`;
}

/** Size of a quantum of 2^power bytes: 20 → "1 MiB", 10 → "1 KiB", 3 → "8 B". */
export function formatQuantum(power: number, locale = 'en', name: UnitName = SYMBOL): string {
  if (!Number.isInteger(power) || power < 0 || power > 63) return '?';
  return formatBytes(1n << BigInt(power), 2, locale, name);
}

/** Bytes carried by `quanta` quanta of 2^power bytes. */
export function quantaBytes(quanta: string | bigint, power: number): bigint {
  if (!Number.isInteger(power) || power < 0 || power > 63) return 0n;
  return toBig(quanta) << BigInt(power);
}

/**
 * A volume typed in a binary unit, converted exactly: "2.5" MiB → 2621440 bytes. Accepts a dot or
 * a comma as the decimal mark; refuses what is not a whole number of bytes ("0.1" B) or too large.
 * Returns the bytes, or the i18n key of the problem.
 */
export function parseVolume(text: string, unitShift: number): { bytes: bigint } | { problem: string } {
  const s = text.trim();
  if (!s) return { problem: 'validation.required' };
  const m = /^(\d+)(?:[.,](\d+))?$/.exec(s);
  if (!m) return { problem: 'validation.volume' };
  const fraction = m[2] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(m[1]!) * scale + BigInt(fraction || '0');
  const bytes = (scaled << BigInt(unitShift)) / scale;
  if ((scaled << BigInt(unitShift)) % scale !== 0n) return { problem: 'validation.wholeBytes' };
  if (bytes >= 1n << 64n) return { problem: 'validation.tooLarge' };
  return { bytes };
}
