/**
 * The renderer tells the main process the user is there (auto-lock's intent) on keyboard, pointer
 * and wheel input, at most once per period, and never on its own.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportActivity } from '../../renderer/src/util/activity';

describe('activity pings', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings on input, at most once per period; stops when asked', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const target = new EventTarget();
    let pings = 0;
    const stop = reportActivity(async () => void pings++, target, 30_000);
    expect(pings).toBe(0);
    target.dispatchEvent(new Event('keydown'));
    target.dispatchEvent(new Event('pointerdown'));
    target.dispatchEvent(new Event('wheel'));
    expect(pings).toBe(1);
    vi.setSystemTime(1_000_000 + 29_999);
    target.dispatchEvent(new Event('keydown'));
    expect(pings).toBe(1);
    vi.setSystemTime(1_000_000 + 30_000);
    target.dispatchEvent(new Event('pointerdown'));
    expect(pings).toBe(2);
    // Other events are not the user acting.
    vi.setSystemTime(1_000_000 + 90_000);
    target.dispatchEvent(new Event('mousemove'));
    target.dispatchEvent(new Event('focus'));
    expect(pings).toBe(2);
    stop();
    target.dispatchEvent(new Event('keydown'));
    expect(pings).toBe(2);
  });

  it('a failed ping is not an unhandled rejection and does not stop later ones', async () => {
    vi.useFakeTimers({ now: 0 });
    const target = new EventTarget();
    let calls = 0;
    reportActivity(() => (calls++, Promise.reject(new Error('host down'))), target, 10);
    target.dispatchEvent(new Event('keydown'));
    await Promise.resolve();
    vi.setSystemTime(10);
    target.dispatchEvent(new Event('keydown'));
    expect(calls).toBe(2);
  });
});
