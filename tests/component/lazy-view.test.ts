/** Screens loaded on first show (App.vue): the screen once its chunk comes, a clear message if it fails. */
import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { flushPromises } from '@vue/test-utils';
import { lazyView } from '../../renderer/src/components/layout/lazy-view';
import { FakeApi } from './fake-api';
import { byTestId, freshApp, mountIn } from './mount-app';

const Screen = defineComponent({ render: () => h('p', { 'data-testid': 'the-screen' }, 'here') });

describe('lazy views', () => {
  it('shows a spinner while the chunk loads, then the screen', async () => {
    freshApp(new FakeApi());
    let arrive: (c: typeof Screen) => void = () => undefined;
    const View = lazyView(() => new Promise((resolve) => (arrive = resolve)), 0);
    const w = mountIn(View);
    await flushPromises();
    expect(byTestId('view-loading')?.textContent).toContain('Loading');
    arrive(Screen);
    await flushPromises();
    expect(byTestId('the-screen')).not.toBeNull();
    expect(byTestId('view-loading')).toBeNull();
    w.unmount();
  });

  it('a chunk that does not load says so and offers a reload (in Russian too)', async () => {
    freshApp(new FakeApi());
    const View = lazyView(() => Promise.reject(new Error('Failed to fetch dynamically imported module')), 0);
    const w = mountIn(View, { locale: 'ru' });
    await flushPromises();
    expect(byTestId('view-failed')?.textContent).toContain('Не удалось загрузить этот экран');
    expect(byTestId('view-reload')).not.toBeNull();
    w.unmount();
  });
});
