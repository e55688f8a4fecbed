import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { HistoryFilter } from '../../../shared/api/models';

export type View = 'dashboard' | 'channels' | 'history' | 'settings';
export const VIEWS: readonly View[] = ['dashboard', 'channels', 'history', 'settings'];

/** The in-app router: the current view, plus a filter another view asks History to open with. */
export const useUiStore = defineStore('ui', () => {
  const view = ref<View>('dashboard');
  const pendingHistoryFilter = ref<HistoryFilter | null>(null);

  function navigate(v: View): void {
    view.value = v;
  }

  function showHistory(filter: HistoryFilter): void {
    pendingHistoryFilter.value = filter;
    view.value = 'history';
  }

  function takeHistoryFilter(): HistoryFilter | null {
    const f = pendingHistoryFilter.value;
    pendingHistoryFilter.value = null;
    return f;
  }

  return { view, navigate, showHistory, takeHistoryFilter, pendingHistoryFilter };
});
