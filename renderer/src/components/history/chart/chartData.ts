import type { ChartPoint } from '../../../../../shared/api/models';

/** A visible span of the chart's time axis, in ms. */
export interface TimeRange {
  min: number;
  max: number;
}

/**
 * The series uPlot draws, aligned on the buckets' start times. Exact sums stay strings in the
 * points; numbers are made of them only to draw (a double is exact to 2^53 atoms, far beyond any
 * plotted difference a pixel can show).
 */
export function toSeries(points: readonly ChartPoint[]): [number[], number[], number[], number[], number[]] {
  return [
    points.map((p) => p.t),
    points.map((p) => Number(p.balance)),
    points.map((p) => Number(p.earned)),
    points.map((p) => Number(p.paid)),
    points.map((p) => Number(p.paidBytes)),
  ];
}

/** The whole span the points cover, from the first bucket's start to the last one's. */
export function fullRange(points: readonly ChartPoint[]): TimeRange | null {
  if (points.length < 2) return null;
  return { min: points[0]!.t, max: points[points.length - 1]!.t };
}

/** The smallest span the chart zooms to: a second (a burst of items can all fall in one). */
export const MIN_SPAN_MS = 1000;

/** A time-axis label as precise as the ticks' spacing needs: day, minute, second or millisecond. */
export function axisTime(formatted: string, tickSpacingMs: number, ms = 0): string {
  if (tickSpacingMs >= 86_400_000) return formatted.slice(0, 10);
  if (tickSpacingMs < 1000) return `${formatted.slice(11, 19)}.${String(ms % 1000).padStart(3, '0')}`;
  return tickSpacingMs >= 60_000 ? formatted.slice(11, 16) : formatted.slice(11, 19);
}

function clampTo(r: TimeRange, full: TimeRange): TimeRange {
  const span = Math.min(r.max - r.min, full.max - full.min);
  const min = Math.max(full.min, Math.min(r.min, full.max - span));
  return { min, max: min + span };
}

/**
 * Zoomed by `factor` (< 1 in, > 1 out) keeping the time `at` (default: the middle) where it is on
 * screen, never narrower than a minute nor wider than the full span.
 */
export function zoomRange(
  r: TimeRange,
  full: TimeRange,
  factor: number,
  at = (r.min + r.max) / 2,
): TimeRange {
  const span = Math.max(MIN_SPAN_MS, (r.max - r.min) * factor);
  const share = r.max > r.min ? (at - r.min) / (r.max - r.min) : 0.5;
  const min = Math.round(at - span * share);
  return clampTo({ min, max: min + Math.round(span) }, full);
}

/** Moved by `fraction` of its own width (negative: back in time), within the full span. */
export function panRange(r: TimeRange, full: TimeRange, fraction: number): TimeRange {
  const d = Math.round((r.max - r.min) * fraction);
  return clampTo({ min: r.min + d, max: r.max + d }, full);
}

/** Whether `r` shows less than the whole span (then finer buckets are worth fetching for it). */
export function isZoomed(r: TimeRange | null, full: TimeRange | null): boolean {
  return !!r && !!full && (r.min > full.min || r.max < full.max);
}

/**
 * The overview with the finer buckets of a zoomed span in place of its own buckets there: the
 * chart keeps its whole span for zooming out, and shows detail where it is zoomed in.
 */
export function mergeDetail(
  overview: readonly ChartPoint[],
  detail: readonly ChartPoint[],
  range: TimeRange,
): ChartPoint[] {
  if (!detail.length) return overview.slice();
  return [...overview.filter((p) => p.t < range.min), ...detail, ...overview.filter((p) => p.t > range.max)];
}
