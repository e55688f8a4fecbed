import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { HistoryFilter } from '../../../shared/api/models';

export type View = 'dashboard' | 'channels' | 'history' | 'contacts' | 'settings';
export const VIEWS: readonly View[] = ['dashboard', 'channels', 'history', 'contacts', 'settings'];

/** The view named by the address (`#/channels`), or null; anything else in the hash is not ours. */
export function viewOfHash(hash: string): View | null {
  const m = /^#\/([a-z]+)$/.exec(hash);
  return m && (VIEWS as readonly string[]).includes(m[1]!) ? (m[1] as View) : null;
}

/**
 * The in-app router: the current view, kept in the address as `#/<view>` so a reload (and Back)
 * returns to it, plus a filter another view asks History to open with. The hash is only read at
 * start (it may still carry the served host's access token, which the API client takes).
 */
export const useUiStore = defineStore('ui', () => {
  const view = ref<View>(viewOfHash(location.hash) ?? 'dashboard');
  const pendingHistoryFilter = ref<HistoryFilter | null>(null);
  /** A public key another view asked Contacts to name (a channel's counterparty). */
  const pendingContactKey = ref<string | null>(null);

  function addContact(publicPem: string): void {
    pendingContactKey.value = publicPem;
    navigate('contacts');
  }

  function takeContactKey(): string | null {
    const k = pendingContactKey.value;
    pendingContactKey.value = null;
    return k;
  }

  function navigate(v: View): void {
    view.value = v;
    if (viewOfHash(location.hash) !== v) history.pushState(history.state, '', `#/${v}`);
  }

  function showHistory(filter: HistoryFilter): void {
    pendingHistoryFilter.value = filter;
    navigate('history');
  }

  function takeHistoryFilter(): HistoryFilter | null {
    const f = pendingHistoryFilter.value;
    pendingHistoryFilter.value = null;
    return f;
  }

  /** Back and Forward move between views. */
  function bindLocation(): () => void {
    const onPop = () => {
      const v = viewOfHash(location.hash);
      if (v) view.value = v;
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }

  return {
    view,
    navigate,
    showHistory,
    takeHistoryFilter,
    pendingHistoryFilter,
    addContact,
    takeContactKey,
    bindLocation,
  };
});
