/** Countdown, age and date text. Numbers here are milliseconds, never money. */

function pad(n: number): string {
  return n.toString().padStart(2, '0');
}

/** Unit marks of a countdown, written right after each number (the UI passes translated ones). */
export interface CountdownUnits {
  d: string;
  h: string;
  m: string;
  s: string;
}
const SHORT_UNITS: CountdownUnits = { d: 'd', h: 'h', m: 'm', s: 's' };

/** Time left as "1d 02h", "1h 02m 03s", "4m 05s", "12s"; "0s" when over. */
export function formatCountdown(ms: number, u: CountdownUnits = SHORT_UNITS): string {
  if (!Number.isFinite(ms) || ms <= 0) return `0${u.s}`;
  const total = Math.floor(ms / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}${u.d} ${pad(h)}${u.h}`;
  if (h > 0) return `${h}${u.h} ${pad(m)}${u.m} ${pad(s)}${u.s}`;
  if (m > 0) return `${m}${u.m} ${pad(s)}${u.s}`;
  return `${s}${u.s}`;
}

/** Whole seconds until `at` (for "reconnecting in Ns"), never negative. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export type AgeUnit = 'now' | 's' | 'm' | 'h' | 'd';

/** Age of data as a count and unit, for translation: 5000 → {n: 5, unit: 's'}. */
export function ageParts(ms: number): { n: number; unit: AgeUnit } {
  if (!Number.isFinite(ms) || ms < 1000) return { n: 0, unit: 'now' };
  const s = Math.floor(ms / 1000);
  if (s < 60) return { n: s, unit: 's' };
  const m = Math.floor(s / 60);
  if (m < 60) return { n: m, unit: 'm' };
  const h = Math.floor(m / 60);
  if (h < 48) return { n: h, unit: 'h' };
  return { n: Math.floor(h / 24), unit: 'd' };
}

export type DurationUnit = 's' | 'm' | 'h' | 'd';

/** A span of time as a count and unit, rounded to the nearest: 1_800_000 → {n: 30, unit: 'm'}. */
export function durationParts(ms: number): { n: number; unit: DurationUnit } {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return { n: s, unit: 's' };
  const m = Math.round(s / 60);
  if (m < 90) return { n: m, unit: 'm' };
  const h = Math.round(m / 60);
  if (h < 48) return { n: h, unit: 'h' };
  return { n: Math.round(h / 24), unit: 'd' };
}

/** "2025-01-31 14:05:09" in local time. */
export function formatDateTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** "2025-01-31" for <input type=date> values. */
export function formatDateInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Parses "YYYY-MM-DD" (local time) to epoch ms at the start (or end) of that day. */
export function parseDateInput(s: string, endOfDay = false): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // 2025-02-31 is no date (Date would roll it over to March).
  if (d.getMonth() !== Number(m[2]) - 1 || d.getDate() !== Number(m[3])) return undefined;
  if (endOfDay) d.setHours(23, 59, 59, 999);
  return d.getTime();
}
