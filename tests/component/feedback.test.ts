/**
 * How the UI speaks: errors as one sentence with their detail behind a disclosure, toasts that do
 * not pile up, numbers in the UI language, and icons that need no emoji font.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises } from '@vue/test-utils';
import ErrorText from '../../renderer/src/components/common/ErrorText.vue';
import MoneyAmount from '../../renderer/src/components/common/MoneyAmount.vue';
import PriceText from '../../renderer/src/components/common/PriceText.vue';
import ToastArea from '../../renderer/src/components/common/ToastArea.vue';
import StatusBar from '../../renderer/src/components/layout/StatusBar.vue';
import { setTransport } from '../../renderer/src/stores/transport';
import { MAX_TOASTS, useNotificationsStore } from '../../renderer/src/stores/notifications';
import { useSessionStore } from '../../renderer/src/stores/session';
import { FakeApi, identity, profile, status } from './fake-api';
import { freshApp, must, mountIn } from './mount-app';

let api: FakeApi;
beforeEach(() => {
  api = new FakeApi();
  freshApp(api);
});
afterEach(() => {
  setTransport(null);
  vi.useRealTimers();
});

const nbsp = (s: string | null | undefined) => (s ?? '').replace(/\u00a0|\u202f/g, ' ').trim();

describe('error text', () => {
  it('defect 3: says the sentence once; the service wording waits behind "Details"', () => {
    const e = Object.assign(new Error('the passphrase is wrong'), { code: 'WRONG_PASSPHRASE' });
    const w = mountIn(ErrorText, { props: { error: e, testid: 'x' } });
    expect(must('x').textContent).toBe('The passphrase is wrong.');
    expect(document.querySelector('[data-testid="x-details"]')).toBeNull();
    w.unmount();

    const bad = Object.assign(
      new Error('files[0].message: Invalid input: expected string, received undefined'),
      { code: 'BAD_FILE' },
    );
    const w2 = mountIn(ErrorText, { props: { error: bad, testid: 'y' } });
    expect(must('y').textContent).toBe('This file is not a valid offer or receipt.');
    const details = must<HTMLDetailsElement>('y-details');
    expect(details.open).toBe(false);
    expect(details.querySelector('summary')!.textContent).toBe('Details');
    expect(details.textContent).toContain('expected string');
    w2.unmount();
  });

  it('defect 3: a public key or a short key pasted as a private key is named as such', () => {
    const w = mountIn(ErrorText, {
      props: { error: Object.assign(new Error('x'), { code: 'NOT_PRIVATE_KEY' }), testid: 'a' },
    });
    expect(must('a').textContent).toMatch(/public key/i);
    w.unmount();
    const w2 = mountIn(ErrorText, {
      props: {
        error: Object.assign(new Error('the key has 1024 bits'), { code: 'KEY_TOO_SHORT' }),
        testid: 'b',
      },
      locale: 'ru',
    });
    expect(must('b').textContent).toMatch(/2048/);
    w2.unmount();
  });
});

describe('toasts', () => {
  it('defect 12: repeats merge into one toast with a count; at most a few stack at once', async () => {
    const store = useNotificationsStore();
    const w = mountIn(ToastArea);
    for (let i = 0; i < 6; i++) store.error('Not connected to the tracker.', 'OFFLINE: not connected');
    await flushPromises();
    const toasts = () => document.querySelectorAll('[data-testid="toast"]');
    expect(toasts()).toHaveLength(1);
    expect(must('toast-count').textContent).toBe('×6');

    for (let i = 0; i < 8; i++) store.info('notify.channelOpened', { id: `ch-${i}` });
    await flushPromises();
    expect(toasts()).toHaveLength(MAX_TOASTS);
    expect(MAX_TOASTS).toBeLessThanOrEqual(4);
    // The error waits for the user; the newest passing messages fill the rest.
    expect([...toasts()].map((t) => (t as HTMLElement).dataset.level)).toContain('error');
    expect(document.body.textContent).toContain('Channel ch-7 opened.');
    expect(document.body.textContent).not.toContain('Channel ch-0 opened.');

    must<HTMLButtonElement>('toasts-dismiss-all').click();
    await flushPromises();
    expect(toasts()).toHaveLength(0);
    w.unmount();
  });
});

describe('numbers in the UI language', () => {
  it('defect 5: money in Russian: space-grouped, decimal comma, atoms declined', () => {
    const w = mountIn(MoneyAmount, { props: { atoms: '11000', testid: 'm' }, locale: 'ru' });
    expect(nbsp(must('m').querySelector('.money__tp')!.textContent)).toBe('1,1 TP');
    expect(nbsp(must('m').querySelector('.money__atoms')!.textContent)).toBe('11 000 атомов');
    w.unmount();
    const one = mountIn(MoneyAmount, { props: { atoms: '21', testid: 'n' }, locale: 'ru' });
    expect(nbsp(must('n').querySelector('.money__atoms')!.textContent)).toBe('21 атом');
    one.unmount();
  });

  it('defect 5: a price in one unit system: "per 1 MiB", never "2^20 bytes"', () => {
    const en = mountIn(PriceText, { props: { atoms: '1100', power: 20, testid: 'p' } });
    expect(nbsp(must('p').textContent).replace(/\s+/g, ' ')).toBe('0.11 TP per 1 MiB (1,100 atoms)');
    en.unmount();
    const ru = mountIn(PriceText, { props: { atoms: '1100', power: 20, testid: 'q' }, locale: 'ru' });
    expect(nbsp(must('q').textContent).replace(/\s+/g, ' ')).toBe('0,11 TP за 1 МиБ (1 100 атомов)');
    ru.unmount();
  });
});

describe('icons', () => {
  /** Emoji and pictographs that need an emoji font (a lock, a warning sign …). */
  const EMOJI = /\p{Extended_Pictographic}/u;

  /** Every template and every translation, as text (Vite reads them, as it does for the build). */
  const sources: Record<string, string> = import.meta.glob(
    ['../../renderer/src/**/*.vue', '../../renderer/src/i18n/*.ts'],
    { query: '?raw', import: 'default', eager: true },
  );

  it('defect 13: no emoji in the templates or texts: icons are SVG', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(30);
    const offenders = Object.entries(sources).flatMap(([file, text]) =>
      text
        .split('\n')
        .map((line, i) => `${file}:${i + 1}: ${line.trim()}`)
        .filter((line) => EMOJI.test(line)),
    );
    expect(offenders).toEqual([]);
  });

  it('defect 13: the lock of a locked identity is an SVG icon', () => {
    const session = useSessionStore();
    session.identities = [identity({ protection: 'passphrase', unlocked: false })];
    session.trackers = [profile()];
    session.activeIdentityId = 'id-alice';
    session.status = status();
    const w = mountIn(StatusBar);
    const unlock = must('status-unlock');
    expect(unlock.querySelector('svg')).not.toBeNull();
    expect(unlock.textContent!.trim()).toBe('Unlock');
    w.unmount();
  });
});
