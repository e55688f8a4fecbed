/**
 * Mounts one component the way the app runs it: a fresh Pinia, the i18n of the given language, the
 * fake transport installed, attached to the document (dialogs teleport to <body>).
 */
import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import type { Component } from 'vue';
import { createAppI18n, type AppLocale } from '../../renderer/src/i18n';
import { setTransport } from '../../renderer/src/stores/transport';
import type { IdentityInfo } from '../../shared/api/models';
import { useSessionStore } from '../../renderer/src/stores/session';
import { identity, profile, status, type FakeApi } from './fake-api';

export function freshApp(api: FakeApi): void {
  setActivePinia(createPinia());
  setTransport(api);
  document.body.innerHTML = '';
}

export function mountIn<C extends Component>(
  component: C,
  opts: { props?: Record<string, unknown>; locale?: AppLocale } = {},
) {
  return mount(component, {
    props: opts.props,
    global: { plugins: [createAppI18n(opts.locale ?? 'en')] },
    attachTo: document.body,
  } as ComponentMountingOptions<C>);
}

/** An element anywhere in the document by test id (teleported dialogs live under <body>). */
export function byTestId<T extends Element = HTMLElement>(id: string): T | null {
  return document.querySelector<T>(`[data-testid="${id}"]`);
}

export function must<T extends Element = HTMLElement>(id: string): T {
  const el = byTestId<T>(id);
  if (!el) throw new Error(`no element with data-testid="${id}"`);
  return el;
}

/** Types into an input as a user does: sets the value and fires input and change. */
export function typeInto(el: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

/** Alice (or the given identities, Alice active) online on the embedded tracker. */
export function aliceOnline(identities: IdentityInfo[] = [identity()]): void {
  const session = useSessionStore();
  session.identities = identities;
  session.trackers = [profile()];
  session.activeIdentityId = 'id-alice';
  session.activeProfileId = 'p-embedded';
  session.status = status({ state: 'online', identityId: 'id-alice', profileId: 'p-embedded' });
}
