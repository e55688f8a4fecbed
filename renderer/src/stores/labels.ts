import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Label, LabelImportResult, LabelType } from '../../../shared/api/labels';
import { transport } from './transport';

const key = (type: LabelType, ref: string) => `${type}\n${ref}`;

/**
 * The owner's labels on transactions, addresses and channels, all held here (a few thousand at
 * most) so that every list shows them at once; reloaded whenever the main process says they changed.
 */
export const useLabelsStore = defineStore('labels', () => {
  const byKey = ref(new Map<string, string>());
  const loaded = ref(false);

  async function load(): Promise<void> {
    const all = await transport().invoke('labels.list', {});
    byKey.value = new Map(all.map((l) => [key(l.type, l.ref), l.label]));
    loaded.value = true;
  }

  function get(type: LabelType, ref: string | null | undefined): string | undefined {
    return ref ? byKey.value.get(key(type, ref)) : undefined;
  }

  /** Sets the label, or clears it when `text` is blank. */
  async function set(type: LabelType, ref: string, text: string): Promise<void> {
    if (text.trim() === '') {
      await transport().invoke('labels.clear', { type, ref });
      byKey.value.delete(key(type, ref));
    } else {
      const stored = await transport().invoke('labels.set', { type, ref, label: text });
      byKey.value.set(key(type, ref), stored.label);
    }
  }

  function exportFile(): Promise<{ fileName: string; content: string }> {
    return transport().invoke('labels.export', {});
  }

  function importFile(content: string): Promise<LabelImportResult> {
    return transport().invoke('labels.import', { content });
  }

  function bindEvents(): () => void {
    return transport().on('labels.changed', () => void load().catch(() => undefined));
  }

  return { byKey, loaded, load, get, set, exportFile, importFile, bindEvents };
});

export type { Label };
