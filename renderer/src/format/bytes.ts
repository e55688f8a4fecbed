/** Byte counts (uint64 decimal strings) in binary units, computed with bigint. */
import { toBig } from './amounts';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/**
 * 1536 → "1.5 KiB", 1048576 → "1 MiB", 0 → "0 B". Up to `decimals` digits, truncated toward zero
 * ("exact-ish": never rounds up to a unit the volume has not reached), trailing zeros dropped.
 */
export function formatBytes(v: string | bigint | number, decimals = 2): string {
  const n = toBig(v);
  if (n < 0n) return `-${formatBytes(-n, decimals)}`;
  let unit = 0;
  while (unit < UNITS.length - 1 && n >= 1n << BigInt(10 * (unit + 1))) unit++;
  if (unit === 0) return `${n} B`;
  const div = 1n << BigInt(10 * unit);
  const whole = n / div;
  const scale = 10n ** BigInt(decimals);
  const frac = ((n % div) * scale) / div;
  const fracText = decimals > 0 ? frac.toString().padStart(decimals, '0').replace(/0+$/, '') : '';
  return `${whole}${fracText ? '.' + fracText : ''} ${UNITS[unit]}`;
}

/** Size of a quantum of 2^power bytes: 20 → "1 MiB", 10 → "1 KiB", 3 → "8 B". */
export function formatQuantum(power: number): string {
  if (!Number.isInteger(power) || power < 0 || power > 63) return '?';
  return formatBytes(1n << BigInt(power));
}

/** Bytes carried by `quanta` quanta of 2^power bytes. */
export function quantaBytes(quanta: string | bigint, power: number): bigint {
  if (!Number.isInteger(power) || power < 0 || power > 63) return 0n;
  return toBig(quanta) << BigInt(power);
}
