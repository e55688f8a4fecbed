/**
 * The history chart (issue 9, daily use): uPlot, loaded on demand, fed by the main process's exact
 * buckets; zoom and pan stay inside the data and ask for finer buckets of the span shown. The
 * drawing itself needs a real canvas: the e2e history journey checks it in Chromium.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import HistoryChart from '../../renderer/src/components/history/HistoryChart.vue';
import BalanceChart from '../../renderer/src/components/history/chart/BalanceChart.vue';
import {
  MIN_SPAN_MS,
  axisTime,
  fullRange,
  isZoomed,
  mergeDetail,
  panRange,
  toSeries,
  zoomRange,
} from '../../renderer/src/components/history/chart/chartData';
import { setTransport } from '../../renderer/src/stores/transport';
import { useSessionStore } from '../../renderer/src/stores/session';
import type { ChartPoint } from '../../shared/api/models';
import { FakeApi, identity } from './fake-api';
import { freshApp, must, mountIn } from './mount-app';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
function point(i: number, over: Partial<ChartPoint> = {}): ChartPoint {
  return { t: T0 + i * HOUR, earned: '0', paid: '0', paidBytes: '0', balance: '0', ...over };
}

describe('chart data', () => {
  const full = { min: 0, max: 100 * HOUR };

  it('zooms about the middle or a point under the cursor, never past the data nor under a minute', () => {
    expect(zoomRange(full, full, 0.5)).toEqual({ min: 25 * HOUR, max: 75 * HOUR });
    // The time under the cursor stays where it was on screen (a tenth from the left).
    expect(zoomRange(full, full, 0.5, 10 * HOUR)).toEqual({ min: 5 * HOUR, max: 55 * HOUR });
    expect(zoomRange({ min: 0, max: 100 }, full, 0.5)).toEqual({ min: 0, max: MIN_SPAN_MS });
    expect(zoomRange({ min: 50 * HOUR, max: 60 * HOUR }, full, 100)).toEqual(full);
  });

  it('labels the time axis as precisely as its ticks need', () => {
    expect(axisTime('2026-12-02 01:14:31', 5000)).toBe('01:14:31');
    expect(axisTime('2026-12-02 01:14:31', 250, 1_796_174_071_050)).toBe('01:14:31.050');
    expect(axisTime('2026-12-02 01:14:31', 600_000)).toBe('01:14');
    expect(axisTime('2026-12-02 01:14:31', 86_400_000)).toBe('2026-12-02');
  });

  it('pans by a share of the width and stops at either end', () => {
    const r = { min: 10 * HOUR, max: 30 * HOUR };
    expect(panRange(r, full, 0.5)).toEqual({ min: 20 * HOUR, max: 40 * HOUR });
    expect(panRange(r, full, -5)).toEqual({ min: 0, max: 20 * HOUR });
    expect(panRange(r, full, 50)).toEqual({ min: 80 * HOUR, max: 100 * HOUR });
    expect(isZoomed(r, full)).toBe(true);
    expect(isZoomed(full, full)).toBe(false);
  });

  it('draws numbers made from the exact decimals; the finer buckets replace the overview’s in their span', () => {
    const pts = [
      point(0, { balance: '-5', earned: '7' }),
      point(1, { paid: '3', paidBytes: '1024' }),
      point(2),
    ];
    expect(toSeries(pts)).toEqual([
      [T0, T0 + HOUR, T0 + 2 * HOUR],
      [-5, 0, 0],
      [7, 0, 0],
      [0, 3, 0],
      [0, 1024, 0],
    ]);
    expect(fullRange(pts)).toEqual({ min: T0, max: T0 + 2 * HOUR });
    expect(fullRange(pts.slice(0, 1))).toBeNull();
    const detail = [point(0.5, { balance: '1' }), point(0.75, { balance: '2' })];
    const merged = mergeDetail(pts, detail, { min: T0 + HOUR / 2, max: T0 + 1.5 * HOUR });
    expect(merged.map((p) => p.t)).toEqual([T0, T0 + HOUR / 2, T0 + 0.75 * HOUR, T0 + 2 * HOUR]);
  });
});

describe('history chart', () => {
  let api: FakeApi;
  beforeEach(() => {
    api = new FakeApi().handle('history.chart', (a) => {
      const from = a.fromTime ?? T0;
      return [0, 1, 2].map((i) => ({ ...point(0), t: from + i * 60_000, balance: String(100 + i) }));
    });
    freshApp(api);
    useSessionStore().identities = [identity()];
    useSessionStore().activeIdentityId = 'id-alice';
  });
  afterEach(() => {
    setTransport(null);
    vi.useRealTimers();
  });

  it('sums totals exactly (beyond 2^53 atoms) and says so in words', async () => {
    const big = '9007199254740993'; // 2^53 + 1: a double would lose the 1
    const w = mountIn(HistoryChart, {
      props: { points: [point(0, { earned: big }), point(1, { earned: '1', balance: '9007199254740994' })] },
    });
    await flushPromises();
    expect(must('chart-summary').textContent).toContain('earned 900,719,925,474.0994 TP');
    expect(must('history-chart').getAttribute('aria-label')).toBe(must('chart-summary').textContent);
    w.unmount();
  });

  it('with fewer than two buckets says there is not enough data, and loads no chart code', async () => {
    const w = mountIn(HistoryChart, { props: { points: [point(0)] } });
    await flushPromises();
    expect(must('chart-empty').textContent).toContain('Not enough data');
    expect(w.findComponent(BalanceChart).exists()).toBe(false);
    w.unmount();
  });

  it('loads the drawn chart on demand; zoomed in, it asks for finer buckets of the span shown', async () => {
    const pts = Array.from({ length: 10 }, (_, i) => point(i, { balance: String(i) }));
    const w = mountIn(HistoryChart, { props: { points: pts } });
    await vi.waitFor(() => expect(w.findComponent(BalanceChart).exists()).toBe(true));
    const chart = w.findComponent(BalanceChart);
    expect(chart.props('points')).toHaveLength(10);
    // No canvas in this DOM: it says so instead of failing.
    expect(must('chart-unavailable')).toBeTruthy();

    vi.useFakeTimers();
    chart.vm.$emit('range', { min: T0 + 2 * HOUR, max: T0 + 4 * HOUR });
    chart.vm.$emit('range', { min: T0 + 3 * HOUR, max: T0 + 5 * HOUR });
    await vi.advanceTimersByTimeAsync(300);
    vi.useRealTimers();
    await flushPromises();
    // Only the settled span is asked for.
    expect(api.callsOf('history.chart')).toEqual([
      { identityId: 'id-alice', buckets: 200, fromTime: T0 + 3 * HOUR, toTime: T0 + 5 * HOUR },
    ]);
    const shown = chart.props('points') as ChartPoint[];
    expect(shown.map((p) => p.balance)).toEqual(['0', '1', '2', '100', '101', '102', '6', '7', '8', '9']);

    // Back to the whole span: the overview alone.
    chart.vm.$emit('range', null);
    await flushPromises();
    expect(chart.props('points')).toHaveLength(10);
    w.unmount();
  });
});
