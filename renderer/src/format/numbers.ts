/**
 * The one number formatter of the UI: Intl.NumberFormat of the UI language, fed bigints (exact to
 * uint64 and beyond, never a float). Russian groups with a (no-break) space and writes a decimal
 * comma; English groups with commas. Money and byte counts build on these two functions.
 */

export type Integer = string | bigint | number;

/** "11000" → 11000n; a malformed string is 0 (views carry validated decimal strings). */
export function toBig(v: Integer): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  return /^-?\d+$/.test(v) ? BigInt(v) : 0n;
}

interface LocaleFormat {
  integer: Intl.NumberFormat;
  decimal: string;
  plural: Intl.PluralRules;
}

const formats = new Map<string, LocaleFormat>();

function formatOf(locale: string): LocaleFormat {
  let f = formats.get(locale);
  if (!f) {
    const integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    const decimal =
      new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
    f = { integer, decimal, plural: new Intl.PluralRules(locale) };
    formats.set(locale, f);
  }
  return f;
}

/** 11000 → "11,000" (en), "11 000" (ru). */
export function formatInteger(v: Integer, locale = 'en'): string {
  return formatOf(locale).integer.format(toBig(v));
}

/**
 * A decimal given exactly as its integer part and its fraction digits: (12345n, "6789") →
 * "12,345.6789" (en), "12 345,6789" (ru). `negative` puts the sign in front (also for -0.5).
 */
export function formatFixed(whole: bigint, fraction: string, locale = 'en', negative = false): string {
  const f = formatOf(locale);
  const body = `${f.integer.format(whole < 0n ? -whole : whole)}${fraction ? f.decimal + fraction : ''}`;
  return negative || whole < 0n ? `-${body}` : body;
}

/**
 * CLDR plural category of an integer in this language (one, few, many, other), for unit words:
 * 1 атом, 2 атома, 5 атомов. Only the last digits decide, so bigints are cut to a safe number first.
 */
export function pluralOf(v: Integer, locale = 'en'): Intl.LDMLPluralRule {
  const n = toBig(v);
  const abs = n < 0n ? -n : n;
  return formatOf(locale).plural.select(Number(abs >= 1000n ? 1000n + (abs % 1000n) : abs));
}
